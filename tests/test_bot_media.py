"""Fetching citizens' photos from Twilio (stood in for by `responses`)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import requests
import responses
from bot_support import Phone
from PIL import Image
from sqlalchemy import select

from core.models import Conversation, Message, Photo, Ticket
from tasks.media import MediaUnavailable, process_inbound_media, purge_draft_photos
from web.request_session import EXTENSION_KEY

CDN = "https://mms.twiliocdn.example/abc123?sig=x"


def jpeg(size: tuple[int, int] = (64, 48)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(out, format="JPEG")
    return out.getvalue()


@pytest.fixture
def fetch(app, settings, db):
    """`fetch(message_id)` runs the media task's work inside the test transaction."""
    database = app.extensions[EXTENSION_KEY]
    storage = app.extensions["sosoft.storage"]
    return lambda message_id: process_inbound_media(
        database, settings, storage, message_id, requests.Session()
    )


@pytest.fixture
def drafting(client, settings, seeded) -> Phone:
    phone = Phone(client, settings)
    phone.register()
    phone.send("1")
    phone.send("aydinlatma")
    return phone


def last_message(db) -> Message:
    return db.scalar(
        select(Message).where(Message.direction == "inbound").order_by(Message.id.desc()).limit(1)
    )


def media_url(settings, name: str = "ME1") -> str:
    return f"{settings.twilio_media_prefix}MM1/Media/{name}"


def test_good_photo_joins_the_draft_then_the_ticket(drafting, settings, seeded, fetch) -> None:
    db = seeded
    url = media_url(settings)
    drafting.photo(url, caption="Sokak lambası iki gündür yanmıyor")
    message = last_message(db)
    with responses.RequestsMock() as mock:
        mock.add(responses.GET, url, status=307, headers={"Location": CDN})
        mock.add(responses.GET, CDN, body=jpeg(), content_type="image/jpeg")
        assert fetch(message.id) == 1
        twilio_call, cdn_call = mock.calls
    assert twilio_call.request.headers["Authorization"].startswith("Basic ")
    # The CDN on another host never sees the account's credentials.
    assert "Authorization" not in cdn_call.request.headers
    photo = db.scalars(select(Photo)).one()
    assert photo.ticket_id is None and photo.content_type == "image/jpeg"
    assert db.scalars(select(Conversation)).one().context["draft"]["photo_ids"] == [photo.id]

    drafting.pin(41.0082, 28.9784)
    drafting.send("geç")
    drafting.send("EVET")
    ticket = db.scalars(select(Ticket)).one()
    db.refresh(photo)
    assert photo.ticket_id == ticket.id
    # Run again (a redelivered task): nothing more is stored.
    assert fetch(message.id) == 0
    assert len(db.scalars(select(Photo)).all()) == 1


def test_url_outside_the_prefix_is_never_requested(drafting, seeded, fetch) -> None:
    drafting.photo("https://evil.example.com/steal.jpg")
    message = last_message(seeded)
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        assert fetch(message.id) == 0
        assert len(mock.calls) == 0
    seeded.refresh(message)
    assert message.media[0]["state"] == "refused"
    assert seeded.scalars(select(Photo)).all() == []


def test_prefix_lookalike_host_is_refused(drafting, settings, seeded, fetch) -> None:
    lookalike = settings.twilio_media_prefix.replace(
        "api.twilio.com", "api.twilio.com.evil.example"
    )
    drafting.photo(lookalike + "MM1/Media/ME1")
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        fetch(last_message(seeded).id)
        assert len(mock.calls) == 0


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"\xff\xd8" + b"0" * (10 * 1024 * 1024 + 10), "image/jpeg"),  # over 10 MB
        (b"<html>not a photo</html>", "text/html"),
    ],
    ids=["oversized", "not-an-image"],
)
def test_unusable_photo_is_told_once(drafting, settings, seeded, fetch, body, content_type) -> None:
    db = seeded
    url = media_url(settings)
    drafting.photo(url)
    message = last_message(db)
    with responses.RequestsMock() as mock:
        mock.add(responses.GET, url, body=body, content_type=content_type)
        assert fetch(message.id) == 0
    assert fetch(message.id) == 0  # already handled: not fetched or told again
    db.refresh(message)
    assert message.media[0]["state"] == "rejected"
    notices = db.scalars(select(Message).where(Message.kind == "photo_unusable")).all()
    assert len(notices) == 1 and "kullanamadık" in notices[0].body
    assert db.scalars(select(Photo)).all() == []


def test_server_error_is_retried_later(drafting, settings, seeded, fetch) -> None:
    url = media_url(settings)
    drafting.photo(url)
    message = last_message(seeded)
    with responses.RequestsMock() as mock:
        mock.add(responses.GET, url, status=503)
        with pytest.raises(MediaUnavailable):
            fetch(message.id)
    seeded.refresh(message)
    assert "state" not in message.media[0]


def test_photo_captioned_with_a_number_goes_to_that_ticket(
    drafting, settings, seeded, fetch
) -> None:
    db = seeded
    drafting.send("Sokak lambası iki gündür yanmıyor")
    drafting.pin(41.0082, 28.9784)
    drafting.send("geç")
    drafting.send("EVET")
    ticket = db.scalars(select(Ticket)).one()
    url = media_url(settings, "ME7")
    drafting.photo(url, caption=f"#{ticket.number}")
    with responses.RequestsMock() as mock:
        mock.add(responses.GET, url, body=jpeg((32, 32)), content_type="image/jpeg")
        assert fetch(last_message(db).id) == 1
    assert db.scalars(select(Photo)).one().ticket_id == ticket.id


def test_media_nobody_asked_for_is_not_fetched(client, settings, seeded, fetch) -> None:
    phone = Phone(client, settings)
    phone.photo(media_url(settings))  # first contact: no draft to put it in
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        assert fetch(last_message(seeded).id) == 0
        assert len(mock.calls) == 0


def test_abandoned_draft_photos_are_purged(app, drafting, settings, seeded, fetch) -> None:
    db = seeded
    url = media_url(settings)
    drafting.photo(url)
    with responses.RequestsMock() as mock:
        mock.add(responses.GET, url, body=jpeg(), content_type="image/jpeg")
        fetch(last_message(db).id)
    drafting.send("İPTAL")
    photo = db.scalars(select(Photo)).one()
    storage = app.extensions["sosoft.storage"]
    assert storage.exists(photo.storage_key)
    database = app.extensions[EXTENSION_KEY]
    assert purge_draft_photos(database, storage, photo.created_at) == 0  # still young
    assert purge_draft_photos(database, storage, photo.created_at + timedelta(seconds=1)) == 1
    assert db.scalars(select(Photo)).all() == []
    assert not storage.exists(photo.storage_key)


def _queued_fetches(redis_client) -> list[int]:
    import base64
    import json

    ids = []
    for raw in redis_client.lrange("celery", 0, -1):
        envelope = json.loads(raw)
        assert envelope["headers"]["task"] == "tasks.media.fetch_inbound_media"
        args, _kwargs, _embed = json.loads(base64.b64decode(envelope["body"]))
        ids.append(args[0])
    return sorted(ids)


def test_media_whose_fetch_was_never_enqueued_are_relayed(app, db, settings, redis_client) -> None:
    from datetime import UTC, datetime

    from tasks.media import relay_media

    now = datetime.now(UTC)

    def inbound(sid: str, age: timedelta, media: list[dict]) -> Message:
        message = Message(
            twilio_sid=sid, direction="inbound", channel="whatsapp", address="+905321230000",
            status="received", media=media, created_at=now - age,
        )  # fmt: skip
        db.add(message)
        return message

    url = settings.twilio_media_prefix + "MM1/Media/ME1"
    waiting = inbound("SM_wait", timedelta(minutes=5), [{"url": url}])
    inbound("SM_done", timedelta(minutes=5), [{"url": url, "state": "stored"}])
    inbound("SM_young", timedelta(seconds=5), [{"url": url}])
    inbound("SM_old", timedelta(hours=2), [{"url": url}])
    inbound("SM_none", timedelta(minutes=5), [])
    db.flush()

    assert relay_media(app.extensions[EXTENSION_KEY], settings, now) == 1
    assert _queued_fetches(redis_client) == [waiting.id]

"""The duplicate offer keeps what the citizen said: her own open ticket nearby gets
the new text and photos as her comment; someone else's, which she then follows, keeps
her description and photos as an internal note that no citizen sees."""

from __future__ import annotations

import io

import pytest
import requests
import responses
from bot_support import Phone
from PIL import Image
from sqlalchemy import select

from core.errors import Forbidden
from core.models import Comment, Message, Photo, Ticket, TicketEvent, TicketFollower, User
from core.tickets.comments import add_followers_report
from core.tickets.following import follow
from tasks.media import process_inbound_media
from web.request_session import EXTENSION_KEY

HERE = (41.0082, 28.9784)
FOURTEEN_METRES_AWAY = (41.00833, 28.9784)


def png(colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (32, 24), colour).save(out, format="PNG")
    return out.getvalue()


def report(phone: Phone, text: str, where: tuple[float, float], photo: str | None = None) -> str:
    phone.send("1")
    phone.send("aydinlatma")
    phone.send(text)
    phone.pin(*where)
    if photo:
        phone.photo(photo)
        phone.send("tamam")
    else:
        phone.send("geç")
    return phone.send("EVET")


def fetch_last_photo(app, settings, db, body: bytes) -> None:
    message = db.scalar(
        select(Message).where(Message.media != []).order_by(Message.id.desc()).limit(1)
    )
    with responses.RequestsMock() as mock:
        mock.add(responses.GET, message.media[0]["url"], body=body, content_type="image/png")
        kept = process_inbound_media(
            app.extensions[EXTENSION_KEY],
            settings,
            app.extensions["sosoft.storage"],
            message.id,
            requests.Session(),
        )
    assert kept == 1


def test_her_own_ticket_nearby_gets_the_new_report_as_her_comment(
    app, client, settings, seeded
) -> None:
    db = seeded
    phone = Phone(client, settings)
    phone.register()
    report(phone, "Sokak lambası iki gündür yanmıyor", HERE)
    ticket = db.scalars(select(Ticket)).one()

    url = f"{settings.twilio_media_prefix}MM9/Media/ME9"
    offer = report(phone, "Artık direk de eğildi, düşebilir", FOURTEEN_METRES_AWAY, photo=url)
    assert f"sizin açık #{ticket.number}" in offer
    fetch_last_photo(app, settings, db, png((0, 0, 200)))
    assert f"#{ticket.number} bildiriminize ekledim" in phone.send("1")

    assert db.scalar(select(Ticket.id).where(Ticket.id != ticket.id)) is None
    comment = db.scalars(select(Comment)).one()
    assert (comment.ticket_id, comment.body, comment.is_internal) == (
        ticket.id, "Artık direk de eğildi, düşebilir", False,
    )  # fmt: skip
    photo = db.scalars(select(Photo)).one()
    assert photo.ticket_id == ticket.id and not photo.is_internal
    assert db.scalars(select(TicketFollower)).all() == []


def offered_someone_elses(client, settings, db) -> tuple[Ticket, Phone]:
    """A neighbour's ticket, and a second citizen offered it for her report with a photo."""
    first = Phone(client, settings)
    first.register()
    report(first, "Sokak lambası iki gündür yanmıyor", HERE)
    ticket = db.scalars(select(Ticket)).one()
    second = Phone(client, settings, "+905331112233", profile="Can")
    second.register()
    url = f"{settings.twilio_media_prefix}MM8/Media/ME8"
    offer = report(second, "Bizim kapının önü zifiri karanlık", FOURTEEN_METRES_AWAY, photo=url)
    assert f"#{ticket.number} takip et" in offer
    return ticket, second


def test_someone_elses_ticket_keeps_her_report_for_staff_only(
    app, client, settings, seeded, bearer, make_user
) -> None:
    db = seeded
    ticket, second = offered_someone_elses(client, settings, db)
    fetch_last_photo(app, settings, db, png((200, 0, 0)))
    assert "takip ediyorsunuz" in second.send("1")

    follower = db.scalar(select(User).where(User.phone == "+905331112233"))
    note = db.scalars(select(Comment)).one()
    assert (note.ticket_id, note.author_id, note.body, note.is_internal) == (
        ticket.id, follower.id, "Bizim kapının önü zifiri karanlık", True,
    )  # fmt: skip
    event = db.scalar(select(TicketEvent).where(TicketEvent.kind == "internal_note"))
    assert event.data["comment_id"] == note.id
    photo = db.scalars(select(Photo)).one()
    assert photo.ticket_id == ticket.id and photo.is_internal

    reporter = db.scalar(select(User).where(User.phone == "+905321234567"))
    seen = client.get(f"/api/v1/tickets/{ticket.id}", headers=bearer(reporter)).json
    assert seen["photos"] == [] and seen["comments"] == []
    staff = client.get(f"/api/v1/tickets/{ticket.id}", headers=bearer(make_user("support"))).json
    assert [p["id"] for p in seen["photos"] + staff["photos"]] == [photo.id]
    assert [c["body"] for c in staff["comments"]] == ["Bizim kapının önü zifiri karanlık"]
    public = client.get(f"/open311/v2/requests/{ticket.number}.json").get_json()[0]
    assert "/media/" not in (public.get("media_url") or "")


def test_a_photo_still_being_fetched_when_she_follows_is_staff_only_too(
    app, client, settings, seeded
) -> None:
    db = seeded
    ticket, second = offered_someone_elses(client, settings, db)
    second.send("1")  # follows before the photo was fetched
    fetch_last_photo(app, settings, db, png((0, 200, 0)))
    photo = db.scalars(select(Photo)).one()
    assert photo.ticket_id == ticket.id and photo.is_internal


def test_only_a_followers_report_is_kept_as_a_note(seeded, make_user, make_ticket) -> None:
    ticket = make_ticket()
    stranger = make_user("citizen")
    with pytest.raises(Forbidden):
        add_followers_report(
            seeded, ticket, stranger, "Bizim kapının önü de karanlık", channel="whatsapp"
        )
    follow(seeded, ticket, stranger, channel="whatsapp")
    note = add_followers_report(
        seeded, ticket, stranger, "  Bizim kapının önü de karanlık ", channel="sms"
    )
    assert note.is_internal and note.body == "Bizim kapının önü de karanlık"

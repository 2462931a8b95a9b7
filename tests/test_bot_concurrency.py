"""Twilio retries and parallel webhooks, with real commits and threads."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

from bot_support import INBOUND, Phone, reply_of, signed_post
from sqlalchemy import func, select

from core.models import Conversation, Message, Ticket
from core.tickets.seed_data import seed_defaults

IN_CITY = ("41.0082", "28.9784")


def at_once(calls: list[Callable[[], Any]]) -> list[Any]:
    """Run `calls` in threads released together; returns their results in order."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        results[index] = calls[index]()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return results


def ready_to_confirm(phone: Phone) -> None:
    phone.register()
    phone.send("1")
    phone.send("aydinlatma")
    phone.send("Sokak lambası iki gündür yanmıyor")
    phone.pin(float(IN_CITY[0]), float(IN_CITY[1]))
    phone.send("geç")


def test_same_message_sid_three_times_at_once(app, settings, committed_db) -> None:
    with committed_db.transaction() as session:
        seed_defaults(session)
    client = app.test_client()
    phone = Phone(client, settings)
    ready_to_confirm(phone)
    params = phone.params("EVET")

    def post() -> tuple[int, bytes]:
        response = signed_post(app.test_client(), settings, INBOUND, params)
        return response.status_code, response.get_data()

    results = at_once([post, post, post])
    assert [status for status, _ in results] == [200, 200, 200]
    assert len({body for _, body in results}) == 1
    with committed_db.transaction() as session:
        tickets = session.scalars(select(Ticket)).all()
        assert len(tickets) == 1
        assert f"#{tickets[0].number}".encode() in results[0][1]
        copies = session.scalar(
            select(func.count())
            .select_from(Message)
            .where(Message.twilio_sid == params["MessageSid"])
        )
        assert copies == 1


def test_two_messages_from_one_phone_at_once_are_both_applied(app, settings, committed_db) -> None:
    with committed_db.transaction() as session:
        seed_defaults(session)
    client = app.test_client()
    phone = Phone(client, settings)
    phone.register()
    phone.send("1")
    phone.send("aydinlatma")
    phone.send("Sokak lambası iki gündür yanmıyor")
    with committed_db.transaction() as session:
        version = session.scalars(select(Conversation)).one().version
    # WhatsApp often delivers a photo and a pin as two webhooks at the same moment.
    pin = phone.params("", Latitude=IN_CITY[0], Longitude=IN_CITY[1])
    photo = phone.params(
        "",
        NumMedia="1",
        MediaUrl0=settings.twilio_media_prefix + "MM1/Media/ME1",
        MediaContentType0="image/jpeg",
    )

    def post(params: dict[str, str]) -> Callable[[], str]:
        return lambda: reply_of(signed_post(app.test_client(), settings, INBOUND, params))

    replies = at_once([post(pin), post(photo)])
    assert all(replies)
    with committed_db.transaction() as session:
        conversation = session.scalars(select(Conversation)).one()
        draft = conversation.context["draft"]
        assert draft["lat"] == float(IN_CITY[0])  # the pin was kept...
        assert draft["media_count"] == 1  # ...and so was the photo
        assert conversation.version == version + 2
        assert conversation.state == "photo"

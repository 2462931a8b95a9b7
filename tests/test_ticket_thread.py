"""A ticket's whole thread for staff (`GET /tickets/{id}/messages`): what the reporter
and the followers wrote about it in the chat (the report, `#1001 …` comments, photos,
status questions, the rating) and what the city sent them, in order, with who was on
the other side and whether it arrived."""

from __future__ import annotations

import pytest
from bot_support import STATUS, Phone, signed_post
from sqlalchemy import select

from core.models import Message, Ticket, User

IN_CITY = (41.0082, 28.9784)
REPORT = ["1", "aydinlatma", "Sokak lambası iki gündür yanmıyor", "", "geç", "EVET"]


def report(phone: Phone, where: tuple[float, float] = IN_CITY) -> str:
    phone.send("1")
    phone.send("aydinlatma")
    phone.send("Sokak lambası iki gündür yanmıyor")
    phone.pin(*where)
    phone.send("geç")
    return phone.send("EVET")


@pytest.fixture
def reporter(client, settings, seeded) -> Phone:
    """A registered citizen who has reported a broken street lamp in the chat."""
    phone = Phone(client, settings)
    phone.register()
    report(phone)
    return phone


@pytest.fixture
def staff(make_user):
    return make_user("support")


def thread(client, bearer, staff, ticket, query: str = "") -> list[dict]:
    response = client.get(f"/api/v1/tickets/{ticket.id}/messages{query}", headers=bearer(staff))
    assert response.status_code == 200, response.json
    return response.json["data"]


def move(client, bearer, staff, ticket, to: str) -> None:
    response = client.post(
        f"/api/v1/tickets/{ticket.id}/transitions", json={"to": to}, headers=bearer(staff)
    )
    assert response.status_code == 200, response.json


def test_the_thread_holds_everything_said_about_the_ticket(
    client, settings, seeded, reporter, staff, bearer
) -> None:
    db = seeded
    ticket = db.scalars(select(Ticket)).one()
    number = ticket.number
    assert "eklendi" in reporter.send(f"#{number} lamba direği de eğildi")
    reporter.send("menü")  # about no ticket: not in the thread
    reporter.photo(settings.twilio_media_prefix + "MM9/Media/ME9", caption=f"#{number}")
    reporter.send(f"DURUM {number}")

    follower = Phone(client, settings, "+905331112233", profile="Can")
    follower.register()
    report(follower, where=(41.0084, 28.9785))  # the same lamp: offered to follow
    assert "takip ediyorsunuz" in follower.send("1")

    move(client, bearer, staff, ticket, "in_progress")
    move(client, bearer, staff, ticket, "resolved")
    assert "teşekkürler" in reporter.send("5")

    messages = thread(client, bearer, staff, ticket)
    said = [(m["direction"], m["party"], m["kind"], m["body"]) for m in messages]
    mine = [("inbound", "reporter", "chat", body) for body in REPORT]
    assert said == [
        *mine,
        ("outbound", "reporter", "report_received", said[len(mine)][3]),
        ("inbound", "reporter", "chat", f"#{number} lamba direği de eğildi"),
        ("inbound", "reporter", "chat", f"#{number}"),
        ("inbound", "reporter", "chat", f"DURUM {number}"),
        *[("inbound", "follower", "chat", body) for body in [*REPORT, "1"]],
        ("outbound", "reporter", "in_progress", said[-5][3]),
        ("outbound", "follower", "in_progress", said[-4][3]),
        ("outbound", "reporter", "resolved", said[-3][3]),
        ("outbound", "follower", "resolved", said[-2][3]),
        ("inbound", "reporter", "chat", "5"),
    ]
    assert [m["id"] for m in messages] == sorted(m["id"] for m in messages)
    # What the bot answered is part of the exchange; the channel is the chat's.
    assert "eklendi" in messages[len(mine) + 1]["reply"]
    assert "teşekkürler" in messages[-1]["reply"]
    assert messages[len(mine)]["reply"] is None
    assert {m["channel"] for m in messages} == {"whatsapp"}
    # Staff know who the follower is; the party says how they are involved.
    can = db.scalar(select(User).where(User.phone == "+905331112233"))
    followers = [m for m in messages if m["party"] == "follower"]
    assert {m["person"]["id"] for m in followers} == {can.id}


def test_delivery_state_and_why_a_message_never_arrived(
    client, settings, seeded, reporter, staff, bearer
) -> None:
    db = seeded
    ticket = db.scalars(select(Ticket)).one()
    move(client, bearer, staff, ticket, "in_progress")

    # The worker handed the in-progress message to Twilio, which could not deliver it.
    sent = db.scalar(select(Message).where(Message.kind == "in_progress"))
    sent.status, sent.twilio_sid = "sent", "SM" + "5e" * 16
    db.flush()
    params = {
        "MessageSid": sent.twilio_sid,
        "MessageStatus": "undelivered",
        "ErrorCode": "63016",
        "AccountSid": settings.TWILIO_ACCOUNT_SID,
    }
    assert signed_post(client, settings, STATUS, params).status_code == 204

    outbound = {m["kind"]: m for m in thread(client, bearer, staff, ticket) if m["kind"] != "chat"}
    received = outbound["report_received"]
    assert (received["status"], received["reason"]) == ("skipped", "answered in the chat reply")
    assert received["error_code"] is None and received["sent_at"] is None
    undelivered = outbound["in_progress"]
    assert (undelivered["status"], undelivered["error_code"]) == ("undelivered", 63016)
    inbound = [m for m in thread(client, bearer, staff, ticket) if m["direction"] == "inbound"]
    assert {m["status"] for m in inbound} == {"received"}
    assert {m["reason"] for m in inbound} == {None}


def test_another_ticket_s_messages_stay_in_its_own_thread(
    client, settings, seeded, reporter, staff, bearer
) -> None:
    db = seeded
    report(reporter, where=(41.05, 29.01))  # far away: a second ticket
    first, second = db.scalars(select(Ticket).order_by(Ticket.id)).all()
    reporter.send(f"#{second.number} hâlâ karanlık")
    reporter.send("#999999 yanlış numara")  # not hers: about no ticket

    bodies = [m["body"] for m in thread(client, bearer, staff, first)]
    assert f"#{second.number} hâlâ karanlık" not in bodies
    assert len([b for b in bodies if b == "EVET"]) == 1
    others = [m["body"] for m in thread(client, bearer, staff, second)]
    assert others[-1] == f"#{second.number} hâlâ karanlık"
    assert not any("999999" in (b or "") for b in bodies + others)

    # Paged by the cursor, in the same order.
    whole = [m["id"] for m in thread(client, bearer, staff, first)]
    page = client.get(f"/api/v1/tickets/{first.id}/messages?limit=4", headers=bearer(staff)).json
    rest = client.get(
        f"/api/v1/tickets/{first.id}/messages?limit=200&cursor={page['next_cursor']}",
        headers=bearer(staff),
    ).json
    assert [m["id"] for m in page["data"] + rest["data"]] == whole

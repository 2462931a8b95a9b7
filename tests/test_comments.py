"""Comments: public ones reach the reporter (and followers); internal notes never
reach a citizen by any path."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.models import Message, TicketEvent


def comments_url(ticket) -> str:
    return f"/api/v1/tickets/{ticket.id}/comments"


def test_staff_comment_notifies_and_counts_as_first_response(
    client, db, make_user, make_ticket, bearer
) -> None:
    reporter = make_user("citizen", locale="en")
    ticket = make_ticket(reporter)
    support = make_user("support")
    response = client.post(
        comments_url(ticket), json={"body": "Ekip yarın gelecek."}, headers=bearer(support)
    )
    assert response.status_code == 201, response.json
    assert response.json["internal"] is False
    assert response.json["author"]["id"] == support.id
    db.refresh(ticket)
    assert ticket.first_response_at is not None
    message = db.scalar(
        select(Message).where(Message.ticket_id == ticket.id, Message.kind == "staff_comment")
    )
    assert message.user_id == reporter.id and message.locale == "en"
    assert "Ekip yarın gelecek." in message.body


def test_internal_note_never_reaches_a_citizen(client, db, make_user, make_ticket, bearer):
    reporter = make_user("citizen")
    ticket = make_ticket(reporter)
    support = make_user("support")
    note = {"body": "Müteahhit ödemesi gecikti", "internal": True}
    assert client.post(comments_url(ticket), json=note, headers=bearer(support)).status_code == 201

    assert db.scalar(select(Message).where(Message.kind == "staff_comment")) is None
    as_citizen = client.get(comments_url(ticket), headers=bearer(reporter)).json
    assert as_citizen["data"] == []
    detail = client.get(f"/api/v1/tickets/{ticket.id}", headers=bearer(reporter)).json
    assert "Müteahhit" not in str(detail)
    as_staff = client.get(comments_url(ticket), headers=bearer(support)).json
    assert [c["internal"] for c in as_staff["data"]] == [True]
    event = db.scalar(select(TicketEvent).where(TicketEvent.kind == "internal_note"))
    assert "Müteahhit" not in str(event.data)


def test_reporter_comments_without_notifying_themselves(
    client, db, make_user, make_ticket, bearer
) -> None:
    reporter = make_user("citizen")
    ticket = make_ticket(reporter)
    response = client.post(
        comments_url(ticket), json={"body": "Fotoğraf ekledim."}, headers=bearer(reporter)
    )
    assert response.status_code == 201
    db.refresh(ticket)
    assert ticket.first_response_at is None
    assert db.scalar(select(Message).where(Message.kind == "staff_comment")) is None


def test_comments_are_paged(client, make_user, make_ticket, bearer) -> None:
    reporter = make_user("citizen")
    ticket = make_ticket(reporter)
    for n in range(3):
        client.post(comments_url(ticket), json={"body": f"not {n}"}, headers=bearer(reporter))
    first = client.get(f"{comments_url(ticket)}?limit=2", headers=bearer(reporter)).json
    rest = client.get(
        f"{comments_url(ticket)}?limit=2&cursor={first['next_cursor']}", headers=bearer(reporter)
    ).json
    assert [c["body"] for c in first["data"] + rest["data"]] == ["not 0", "not 1", "not 2"]


BAD = [
    ({}, "body"),
    ({"body": ""}, "body"),
    ({"body": "\x00\x01 "}, "body"),
    ({"body": "x" * 2001}, "body"),
    ({"body": 12}, "body"),
    ({"body": "ok", "internal": "maybe"}, "internal"),
]


@pytest.mark.parametrize(("body", "field"), BAD)
def test_bad_comment_is_422(client, db, make_user, make_ticket, bearer, body, field) -> None:
    ticket = make_ticket()
    response = client.post(comments_url(ticket), json=body, headers=bearer(make_user("support")))
    assert response.status_code == 422
    assert field in response.json["errors"]["json"]
    assert db.scalar(select(TicketEvent).where(TicketEvent.kind == "commented")) is None

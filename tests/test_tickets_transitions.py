"""POST /api/v1/tickets/{id}/transitions: every role × every from/to, and what a
move writes (timestamps, events, outbox rows)."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from core.models import Message, TicketEvent
from core.models.tickets import STATUSES

# The moves POST /transitions makes for staff; everything else is refused.
# (in_progress → escalated and escalated → in_progress go through the escalation
# endpoints only.)
GENERIC_MOVES = {
    ("new", "in_progress"),
    ("new", "closed"),
    ("in_progress", "resolved"),
    ("in_progress", "closed"),
    ("resolved", "closed"),
    ("resolved", "in_progress"),
}
# A move request may ask for an escalation too (the note is its reason).
REQUESTABLE = {("in_progress", "escalated")}
ALLOWED_FROM = {
    "new": ["in_progress", "closed"],
    "in_progress": ["resolved", "escalated", "closed"],
    "escalated": [],
    "resolved": ["closed", "in_progress"],
    "closed": [],
}


def expected_status(role: str, frm: str, to: str) -> int:
    if role == "citizen":
        return 403
    return 200 if (frm, to) in GENERIC_MOVES | REQUESTABLE else 409


CASES = [
    (role, frm, to, expected_status(role, frm, to))
    for role, frm, to in itertools.product(("citizen", "support", "manager"), STATUSES, STATUSES)
]


@pytest.mark.parametrize(("role", "frm", "to", "status"), CASES)
def test_transition_table(
    client, db, make_user, make_ticket, bearer, role, frm, to, status
) -> None:
    reporter = make_user("citizen")
    caller = reporter if role == "citizen" else make_user(role)
    ticket = make_ticket(reporter, status=frm)
    body = {"to": to}
    if to == "closed" and frm in ("new", "in_progress"):
        body["resolution"] = "invalid"
    if to == "escalated":
        body["note"] = "needs a manager"
    response = client.post(
        f"/api/v1/tickets/{ticket.id}/transitions", json=body, headers=bearer(caller)
    )
    assert response.status_code == status, response.json
    if status == 200:
        assert response.json["status"] == to
    elif status == 409:
        assert response.json["errors"]["allowed"] == ALLOWED_FROM[frm]
    if status != 200:
        db.refresh(ticket)
        assert ticket.status == frm


def move(client, bearer, user, ticket, **body):
    return client.post(f"/api/v1/tickets/{ticket.id}/transitions", json=body, headers=bearer(user))


@pytest.mark.parametrize("frm", ["new", "in_progress"])
def test_closing_early_needs_a_resolution(client, db, make_user, make_ticket, bearer, frm) -> None:
    ticket = make_ticket(status=frm)
    response = move(client, bearer, make_user("support"), ticket, to="closed")
    assert response.status_code == 422
    assert response.json["errors"]["allowed"] == ALLOWED_FROM[frm]
    db.refresh(ticket)
    assert ticket.status == frm


BAD_BODIES = [
    ({}, "to"),
    ({"to": "done"}, "to"),
    ({"to": 5}, "to"),
    ({"to": "closed", "resolution": "solved"}, "resolution"),
    ({"to": "closed", "resolution": "duplicate"}, "duplicate_of"),
    ({"to": "closed", "resolution": "duplicate", "duplicate_of": 99999999}, "duplicate_of"),
    ({"to": "closed", "resolution": "invalid", "duplicate_of": 1}, "duplicate_of"),
    ({"to": "closed", "resolution": "duplicate", "duplicate_of": "x"}, "duplicate_of"),
    ({"to": "in_progress", "resolution": "invalid"}, "resolution"),
    ({"to": "in_progress", "note": "n" * 2001}, "note"),
]


@pytest.mark.parametrize(("body", "field"), BAD_BODIES)
def test_bad_transition_body_is_422(
    client, db, make_user, make_ticket, bearer, body, field
) -> None:
    ticket = make_ticket()
    response = move(client, bearer, make_user("support"), ticket, **body)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]["json"]
    db.refresh(ticket)
    assert ticket.status == "new"


def test_duplicate_of_itself_is_422(client, make_user, make_ticket, bearer) -> None:
    ticket = make_ticket()
    response = move(
        client, bearer, make_user("support"), ticket,
        to="closed", resolution="duplicate", duplicate_of=ticket.id,
    )  # fmt: skip
    assert response.status_code == 422
    assert ticket.status == "new"


def test_close_as_duplicate_points_to_the_original(
    client, db, make_user, make_ticket, bearer
) -> None:
    original = make_ticket()
    reporter = make_user("citizen")
    copy = make_ticket(reporter)
    response = move(
        client, bearer, make_user("support"), copy,
        to="closed", resolution="duplicate", duplicate_of=original.id,
    )  # fmt: skip
    assert response.status_code == 200
    assert response.json["duplicate_of"] == original.id
    assert response.json["resolution"] == "duplicate"
    kinds = db.scalars(
        select(Message.kind).where(Message.ticket_id == copy.id, Message.user_id == reporter.id)
    ).all()
    assert "closed_duplicate" in kinds


def test_a_ticket_through_its_life(client, db, make_user, make_ticket, bearer) -> None:
    reporter = make_user("citizen")
    support = make_user("support")
    ticket = make_ticket(reporter)
    assert ticket.first_response_at is None

    assert move(client, bearer, support, ticket, to="in_progress").status_code == 200
    db.refresh(ticket)
    assert ticket.first_response_at is not None
    response = move(client, bearer, support, ticket, to="resolved", note="asfalt döküldü")
    assert response.json["resolved_at"] is not None
    response = move(client, bearer, support, ticket, to="closed")
    assert response.json["closed_at"] is not None
    assert response.json["resolution"] == "fixed"
    assert response.json["allowed_transitions"] == []

    events = db.scalars(
        select(TicketEvent).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
    ).all()
    assert [(e.kind, e.from_value, e.to_value) for e in events] == [
        ("created", None, "new"),
        ("status_changed", "new", "in_progress"),
        ("status_changed", "in_progress", "resolved"),
        ("status_changed", "resolved", "closed"),
    ]
    assert events[2].data == {"note": "asfalt döküldü"}
    assert all(e.actor_id == support.id for e in events[1:])
    outbox = db.scalars(
        select(Message.kind).where(Message.ticket_id == ticket.id).order_by(Message.id)
    ).all()
    assert outbox == ["report_received", "in_progress", "resolved", "closed"]


def test_missing_ticket_is_404(client, make_user, bearer, seeded) -> None:
    response = client.post(
        "/api/v1/tickets/987654/transitions",
        json={"to": "closed"},
        headers=bearer(make_user("manager")),
    )
    assert response.status_code == 404

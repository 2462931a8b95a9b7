"""Feedback: the reporter rates once; "not fixed" within the window reopens."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.models import Message, TicketEvent


def give(client, bearer, user, ticket, **body):
    return client.post(f"/api/v1/tickets/{ticket.id}/feedback", json=body, headers=bearer(user))


def resolved_ticket(make_ticket, reporter, days_ago: float = 1, status: str = "resolved"):
    return make_ticket(
        reporter, status=status, resolved_at=datetime.now(UTC) - timedelta(days=days_ago)
    )


def test_happy_reporter_rates(client, db, make_user, make_ticket, bearer) -> None:
    reporter = make_user("citizen")
    ticket = resolved_ticket(make_ticket, reporter)
    response = give(client, bearer, reporter, ticket, rating=5, fixed=True, comment="Teşekkürler")
    assert response.status_code == 201, response.json
    assert response.json["reopened"] is False and response.json["ticket_status"] == "resolved"


def test_not_fixed_reopens_within_the_window(client, db, make_user, make_ticket, bearer) -> None:
    reporter = make_user("citizen")
    ticket = resolved_ticket(make_ticket, reporter, days_ago=13)
    response = give(client, bearer, reporter, ticket, rating=1, fixed=False)
    assert response.json["reopened"] is True
    assert response.json["ticket_status"] == "in_progress"
    db.refresh(ticket)
    assert ticket.reopen_count == 1 and ticket.resolved_at is None
    event = db.scalar(select(TicketEvent).where(TicketEvent.kind == "reopened"))
    assert event.actor_id == reporter.id
    kinds = db.scalars(select(Message.kind).where(Message.ticket_id == ticket.id)).all()
    assert "reopened" in kinds


@pytest.mark.parametrize(("days_ago", "status"), [(15, "resolved"), (1, "closed")])
def test_not_fixed_late_or_closed_is_only_recorded(
    client, db, make_user, make_ticket, bearer, days_ago, status
) -> None:
    reporter = make_user("citizen")
    ticket = resolved_ticket(make_ticket, reporter, days_ago=days_ago, status=status)
    response = give(client, bearer, reporter, ticket, rating=2, fixed=False)
    assert response.status_code == 201
    assert response.json["reopened"] is False and response.json["ticket_status"] == status


def test_feedback_once(client, make_user, make_ticket, bearer) -> None:
    reporter = make_user("citizen")
    ticket = resolved_ticket(make_ticket, reporter)
    assert give(client, bearer, reporter, ticket, rating=4).status_code == 201
    assert give(client, bearer, reporter, ticket, rating=1).status_code == 409


@pytest.mark.parametrize("status", ["new", "in_progress", "escalated"])
def test_feedback_only_when_resolved(client, make_user, make_ticket, bearer, status) -> None:
    reporter = make_user("citizen")
    ticket = make_ticket(reporter, status=status)
    assert give(client, bearer, reporter, ticket, rating=4).status_code == 409


BAD = [
    ({}, "rating"),
    ({"rating": 0}, "rating"),
    ({"rating": 6}, "rating"),
    ({"rating": "5"}, "rating"),
    ({"rating": 3, "fixed": "evet"}, "fixed"),
    ({"rating": 3, "comment": "c" * 1001}, "comment"),
]


@pytest.mark.parametrize(("body", "field"), BAD)
def test_bad_feedback_is_422(client, make_user, make_ticket, bearer, body, field) -> None:
    reporter = make_user("citizen")
    ticket = resolved_ticket(make_ticket, reporter)
    response = give(client, bearer, reporter, ticket, **body)
    assert response.status_code == 422
    assert field in response.json["errors"]["json"]


def test_managers_list_feedback_with_filters(client, make_user, make_ticket, bearer) -> None:
    manager = make_user("manager")
    for rating, fixed in ((5, True), (1, False), (4, True)):
        reporter = make_user("citizen")
        give(client, bearer, reporter, resolved_ticket(make_ticket, reporter, days_ago=20),
             rating=rating, fixed=fixed)  # fmt: skip
    everything = client.get("/api/v1/feedback", headers=bearer(manager)).json["data"]
    assert [f["rating"] for f in everything] == [4, 1, 5]
    unhappy = client.get("/api/v1/feedback?fixed=false", headers=bearer(manager)).json["data"]
    assert [f["rating"] for f in unhappy] == [1]
    page = client.get("/api/v1/feedback?limit=2", headers=bearer(manager)).json
    rest = client.get(
        f"/api/v1/feedback?limit=2&cursor={page['next_cursor']}", headers=bearer(manager)
    ).json
    assert [f["rating"] for f in rest["data"]] == [5]

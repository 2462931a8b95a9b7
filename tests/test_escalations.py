"""Escalations: support asks, a manager decides once; the ticket goes back to work."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.models import Category, Escalation, Message, Team


def escalate(client, bearer, user, ticket, reason="Bütçe onayı gerekiyor"):
    return client.post(
        f"/api/v1/tickets/{ticket.id}/escalations", json={"reason": reason}, headers=bearer(user)
    )


def decide(client, bearer, user, escalation_id, **body):
    return client.post(
        f"/api/v1/escalations/{escalation_id}/decision", json=body, headers=bearer(user)
    )


def test_request_moves_the_ticket_to_escalated(client, db, make_user, make_ticket, bearer):
    ticket = make_ticket(status="in_progress")
    support = make_user("support")
    response = escalate(client, bearer, support, ticket)
    assert response.status_code == 201, response.json
    assert response.json["status"] == "pending"
    assert response.json["requested_by"]["id"] == support.id
    db.refresh(ticket)
    assert ticket.status == "escalated"


@pytest.mark.parametrize("status", ["new", "escalated", "resolved", "closed"])
def test_only_in_progress_tickets_escalate(client, make_user, make_ticket, bearer, status):
    ticket = make_ticket(status=status)
    response = escalate(client, bearer, make_user("support"), ticket)
    assert response.status_code == 409
    assert "allowed" in response.json["errors"]


def test_one_pending_escalation_per_ticket(client, db, make_user, make_ticket, bearer) -> None:
    support = make_user("support")
    ticket = make_ticket(status="in_progress")
    db.add(Escalation(ticket_id=ticket.id, requested_by_id=support.id, reason="önceki"))
    db.flush()
    assert escalate(client, bearer, support, ticket).status_code == 409


def test_a_second_escalation_says_one_is_waiting(client, make_user, make_ticket, bearer) -> None:
    support = make_user("support")
    ticket = make_ticket(status="in_progress")
    assert escalate(client, bearer, support, ticket).status_code == 201
    again = escalate(client, bearer, support, ticket)  # the ticket is escalated by now
    assert again.status_code == 409
    assert "already waiting for a manager" in again.json["message"]


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "  \x00 "}, {"reason": 5}])
def test_reason_is_required(client, make_user, make_ticket, bearer, body) -> None:
    ticket = make_ticket(status="in_progress")
    response = client.post(
        f"/api/v1/tickets/{ticket.id}/escalations", json=body, headers=bearer(make_user("support"))
    )
    assert response.status_code == 422
    assert "reason" in response.json["errors"]["json"]


def test_pending_queue_for_managers(client, make_user, make_ticket, bearer) -> None:
    support, manager = make_user("support"), make_user("manager")
    first, second = make_ticket(status="in_progress"), make_ticket(status="in_progress")
    escalate(client, bearer, support, first)
    escalate(client, bearer, support, second)
    queue = client.get("/api/v1/escalations?status=pending", headers=bearer(manager)).json
    assert [e["ticket"]["id"] for e in queue["data"]] == [first.id, second.id]
    paged = client.get("/api/v1/escalations?limit=1", headers=bearer(manager)).json
    assert paged["next_cursor"] is not None and len(paged["data"]) == 1
    bad = client.get("/api/v1/escalations?status=lost", headers=bearer(manager))
    assert bad.status_code == 422


def test_support_lists_the_escalations_they_requested(client, make_user, make_ticket, bearer):
    asker, colleague, manager = make_user("support"), make_user("support"), make_user("manager")
    mine, theirs, decided = (make_ticket(status="in_progress") for _ in range(3))
    escalate(client, bearer, asker, mine)
    escalate(client, bearer, colleague, theirs)
    escalation = escalate(client, bearer, asker, decided).json
    decide(client, bearer, manager, escalation["id"], approve=False, note="Bütçe yok")

    def listed(user, query=""):
        response = client.get(f"/api/v1/escalations{query}", headers=bearer(user))
        assert response.status_code == 200, response.json
        return [e["ticket"]["id"] for e in response.json["data"]]

    assert listed(asker) == [mine.id, decided.id]
    assert listed(asker, "?status=pending") == [mine.id]
    assert listed(asker, "?status=rejected") == [decided.id]
    assert listed(colleague) == [theirs.id]
    assert listed(manager) == [mine.id, theirs.id, decided.id]
    first = client.get("/api/v1/escalations?limit=1", headers=bearer(asker)).json
    rest = client.get(
        f"/api/v1/escalations?limit=1&cursor={first['next_cursor']}", headers=bearer(asker)
    ).json
    assert [e["ticket_id"] for e in first["data"] + rest["data"]] == [mine.id, decided.id]
    assert (
        rest["data"][0]["status"] == "rejected" and rest["data"][0]["decision_note"] == "Bütçe yok"
    )


def test_approval_raises_priority_and_moves_team(client, db, make_user, make_ticket, bearer):
    reporter = make_user("citizen")
    ticket = make_ticket(reporter, status="in_progress")
    escalation_id = escalate(client, bearer, make_user("support"), ticket).json["id"]
    parks = db.scalar(select(Category).where(Category.code == "parks"))
    response = decide(
        client, bearer, make_user("manager"), escalation_id,
        approve=True, priority="urgent", team_id=parks.default_team_id, note="öncelikli",
    )  # fmt: skip
    assert response.status_code == 200, response.json
    assert response.json["status"] == "approved"
    assert response.json["ticket"]["status"] == "in_progress"
    assert response.json["ticket"]["priority"] == "urgent"
    assert response.json["ticket"]["team"]["id"] == parks.default_team_id
    kinds = db.scalars(select(Message.kind).where(Message.user_id == reporter.id)).all()
    assert "escalation_approved" in kinds


def test_rejection_returns_to_work_without_telling_the_citizen(
    client, db, make_user, make_ticket, bearer
) -> None:
    reporter = make_user("citizen")
    ticket = make_ticket(reporter, status="in_progress")
    escalation_id = escalate(client, bearer, make_user("support"), ticket).json["id"]
    response = decide(client, bearer, make_user("manager"), escalation_id, approve=False)
    assert response.json["status"] == "rejected"
    assert response.json["ticket"]["status"] == "in_progress"
    kinds = db.scalars(select(Message.kind).where(Message.user_id == reporter.id)).all()
    assert "escalation_approved" not in kinds


def test_approval_without_change_of_plan_sends_nothing(
    client, db, make_user, make_ticket, bearer
) -> None:
    reporter = make_user("citizen")
    ticket = make_ticket(reporter, status="in_progress")
    escalation_id = escalate(client, bearer, make_user("support"), ticket).json["id"]
    decide(client, bearer, make_user("manager"), escalation_id, approve=True)
    kinds = db.scalars(select(Message.kind).where(Message.user_id == reporter.id)).all()
    assert "escalation_approved" not in kinds


def test_deciding_twice_is_409(client, make_user, make_ticket, bearer) -> None:
    ticket = make_ticket(status="in_progress")
    escalation_id = escalate(client, bearer, make_user("support"), ticket).json["id"]
    manager = make_user("manager")
    assert decide(client, bearer, manager, escalation_id, approve=True).status_code == 200
    assert decide(client, bearer, manager, escalation_id, approve=False).status_code == 409


BAD_DECISIONS = [
    ({}, "approve"),
    ({"approve": "yes please"}, "approve"),
    ({"approve": False, "priority": "urgent"}, "priority"),
    ({"approve": True, "priority": "low"}, "priority"),
    ({"approve": True, "priority": "whenever"}, "priority"),
    ({"approve": True, "team_id": 987654}, "team_id"),
    ({"approve": True, "team_id": "inactive"}, "team_id"),
]


@pytest.mark.parametrize(("body", "field"), BAD_DECISIONS)
def test_bad_decision_is_422_and_changes_nothing(
    client, db, make_user, make_ticket, bearer, body, field
) -> None:
    ticket = make_ticket(status="in_progress")
    escalation_id = escalate(client, bearer, make_user("support"), ticket).json["id"]
    if body.get("team_id") == "inactive":
        retired = Team(name="Eski Ekip", is_active=False)
        db.add(retired)
        db.flush()
        body = {**body, "team_id": retired.id}
    response = decide(client, bearer, make_user("manager"), escalation_id, **body)
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]["json"]
    db.refresh(ticket)
    assert ticket.status == "escalated" and ticket.priority == "normal"
    assert db.get(Escalation, escalation_id).status == "pending"

"""GET and PATCH /api/v1/tickets/{id}; events, messages and following."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from core.models import (
    Category,
    Comment,
    Escalation,
    Feedback,
    Message,
    Team,
    TicketEvent,
    TicketFollower,
)


def url(ticket, suffix: str = "") -> str:
    return f"/api/v1/tickets/{ticket.id}{suffix}"


def team(db, category_code: str) -> Team:
    category = db.scalar(select(Category).where(Category.code == category_code))
    return db.get(Team, category.default_team_id)


def test_detail_for_the_reporter_and_for_staff(client, db, make_user, make_ticket, bearer) -> None:
    reporter = make_user("citizen", name="Ayşe", phone="+905321112233")
    support = make_user("support", name="Destek")
    ticket = make_ticket(reporter, status="in_progress")
    db.add_all([
        Comment(ticket_id=ticket.id, author_id=support.id, body="Ekip yönlendirildi."),
        Comment(ticket_id=ticket.id, author_id=support.id, body="Bütçe yok", is_internal=True),
        Escalation(ticket_id=ticket.id, requested_by_id=support.id, reason="bütçe"),
        TicketFollower(ticket_id=ticket.id, user_id=make_user("citizen").id),
    ])  # fmt: skip
    ticket.followers_count = 1
    db.flush()

    mine = client.get(url(ticket), headers=bearer(reporter)).json
    assert [c["body"] for c in mine["comments"]] == ["Ekip yönlendirildi."]
    assert mine["reporter"] == {"id": reporter.id, "name": "Ayşe", "role": "citizen"}
    assert mine["comments"][0]["author"] == {"id": support.id, "name": "Destek", "role": "support"}
    assert mine["escalation"] is None
    assert mine["followers_count"] == 1
    assert mine["allowed_transitions"] == []
    assert mine["assignee"] is None

    staff = client.get(url(ticket), headers=bearer(support)).json
    assert [c["internal"] for c in staff["comments"]] == [False, True]
    assert staff["reporter"]["phone"] == "+905321112233"
    assert staff["escalation"]["status"] == "pending"
    assert staff["allowed_transitions"] == ["resolved", "escalated", "closed"]


def test_detail_shows_feedback(client, db, make_user, make_ticket, bearer) -> None:
    reporter = make_user("citizen")
    ticket = make_ticket(reporter, status="resolved")
    db.add(Feedback(ticket_id=ticket.id, user_id=reporter.id, rating=5, fixed=True))
    db.flush()
    detail = client.get(url(ticket), headers=bearer(reporter)).json
    assert detail["feedback"]["rating"] == 5


# --- PATCH ---------------------------------------------------------------------------------


def test_patch_priority_and_assignee_write_events(
    client, db, make_user, make_ticket, bearer
) -> None:
    ticket = make_ticket()
    roads = team(db, "infrastructure")
    worker = make_user("support", team=roads)
    response = client.patch(
        url(ticket), json={"priority": "urgent", "assignee_id": worker.id},
        headers=bearer(make_user("manager")),
    )  # fmt: skip
    assert response.status_code == 200, response.json
    assert response.json["priority"] == "urgent"
    assert response.json["assignee"]["id"] == worker.id
    assert response.json["first_response_at"] is not None
    kinds = db.scalars(
        select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
    ).all()
    assert kinds == ["created", "priority_changed", "assigned"]


def test_patch_category_reroutes_team_and_due_time(
    client, db, make_user, make_ticket, bearer
) -> None:
    roads = team(db, "infrastructure")
    ticket = make_ticket(assignee_id=make_user("support", team=roads).id)
    lighting = db.scalar(select(Category).where(Category.code == "lighting"))
    response = client.patch(
        url(ticket), json={"category_id": lighting.id}, headers=bearer(make_user("support"))
    )
    assert response.status_code == 200
    db.refresh(ticket)
    assert ticket.team_id == lighting.default_team_id
    assert ticket.due_at == ticket.created_at + timedelta(hours=lighting.sla_hours)
    assert ticket.assignee_id is None  # the roads worker is not in the lighting team
    kinds = set(db.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket.id)))
    assert {"category_changed", "team_changed", "unassigned"} <= kinds


def test_patch_category_with_explicit_team_keeps_that_team(
    client, db, make_user, make_ticket, bearer
) -> None:
    ticket = make_ticket()
    lighting = db.scalar(select(Category).where(Category.code == "lighting"))
    parks_team = team(db, "parks")
    response = client.patch(
        url(ticket), json={"category_id": lighting.id, "team_id": parks_team.id},
        headers=bearer(make_user("support")),
    )  # fmt: skip
    assert response.json["team"]["id"] == parks_team.id


def test_patch_unchanged_values_write_no_event(client, db, make_user, make_ticket, bearer):
    ticket = make_ticket()
    client.patch(url(ticket), json={"priority": "normal"}, headers=bearer(make_user("support")))
    assert db.scalar(select(TicketEvent.kind).where(TicketEvent.kind == "priority_changed")) is None


BAD_PATCHES = [
    ({}, "_schema"),
    ({"priority": "asap"}, "priority"),
    ({"category_id": 987654}, "category_id"),
    ({"category_id": "1"}, "category_id"),
    ({"team_id": 987654}, "team_id"),
    ({"assignee_id": 987654}, "assignee_id"),
    ({"assignee_id": "citizen"}, "assignee_id"),
    ({"assignee_id": "no_team"}, "assignee_id"),
    ({"assignee_id": "two_teams"}, "team_id"),
    ({"assignee_id": "inactive"}, "assignee_id"),
    ({"status": "closed"}, "status"),
]


@pytest.mark.parametrize(("body", "field"), BAD_PATCHES)
def test_bad_patch_is_422(client, db, make_user, make_ticket, bearer, body, field) -> None:
    ticket = make_ticket()
    people = {
        "citizen": make_user("citizen").id,
        "no_team": make_user("support").id,
        "two_teams": make_user("support", teams=(team(db, "parks"), team(db, "lighting"))).id,
        "inactive": make_user("support", team=team(db, "infrastructure"), is_active=False).id,
    }
    body = {k: people.get(v, v) if k == "assignee_id" else v for k, v in body.items()}
    response = client.patch(url(ticket), json=body, headers=bearer(make_user("manager")))
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]["json"]
    db.refresh(ticket)
    assert ticket.priority == "normal" and ticket.assignee_id is None
    assert ticket.team_id == team(db, "infrastructure").id


# --- events, messages, follow ----------------------------------------------------------------


def test_events_are_paged_oldest_first(client, make_user, make_ticket, bearer) -> None:
    ticket = make_ticket()
    support = make_user("support")
    for priority in ("high", "urgent", "low"):
        client.patch(url(ticket), json={"priority": priority}, headers=bearer(support))
    first = client.get(url(ticket, "/events?limit=2"), headers=bearer(support)).json
    assert [e["kind"] for e in first["data"]] == ["created", "priority_changed"]
    rest = client.get(
        url(ticket, f"/events?limit=2&cursor={first['next_cursor']}"), headers=bearer(support)
    ).json
    assert [e["to_value"] for e in rest["data"]] == ["urgent", "low"]
    assert rest["data"][0]["actor"]["id"] == support.id
    assert rest["next_cursor"] is None


def test_messages_show_the_thread_with_the_reporter_and_followers(
    client, db, make_user, make_ticket, bearer
) -> None:
    reporter = make_user("citizen")
    follower = make_user("citizen")
    ticket = make_ticket(reporter)
    db.add_all([
        Message(direction="inbound", channel="whatsapp", address=reporter.phone,
                user_id=reporter.id, ticket_id=ticket.id, body="Çukur hâlâ orada", status="received"),
        Message(direction="outbound", channel="whatsapp", address=follower.phone,
                user_id=follower.id, ticket_id=ticket.id, body="takipçiye", status="pending"),
    ])  # fmt: skip
    db.flush()
    response = client.get(url(ticket, "/messages"), headers=bearer(make_user("support")))
    said = {m["body"]: m["party"] for m in response.json["data"]}
    assert said["Çukur hâlâ orada"] == "reporter" and said["takipçiye"] == "follower"
    assert next(iter(said)).startswith("Bildiriminiz alındı")


def test_follow_and_unfollow_keep_the_count(client, db, make_user, make_ticket, bearer) -> None:
    ticket = make_ticket()
    b, c = make_user("citizen"), make_user("citizen")
    assert client.post(url(ticket, "/follow"), headers=bearer(b)).json == {
        "following": True, "followers_count": 1,
    }  # fmt: skip
    again = client.post(url(ticket, "/follow"), headers=bearer(b))
    assert again.status_code == 200 and again.json["followers_count"] == 1
    client.post(url(ticket, "/follow"), headers=bearer(c))
    response = client.delete(url(ticket, "/follow"), headers=bearer(b))
    assert response.json == {"following": False, "followers_count": 1}
    db.refresh(ticket)
    assert ticket.followers_count == 1
    assert client.get(url(ticket), headers=bearer(b)).status_code == 404


def test_followers_hear_of_progress(client, db, make_user, make_ticket, bearer) -> None:
    ticket = make_ticket()
    follower = make_user("citizen")
    client.post(url(ticket, "/follow"), headers=bearer(follower))
    client.post(
        url(ticket, "/transitions"),
        json={"to": "in_progress"},
        headers=bearer(make_user("support")),
    )
    kinds = db.scalars(select(Message.kind).where(Message.user_id == follower.id)).all()
    assert kinds == ["in_progress"]


def test_closed_tickets_cannot_be_followed(client, make_user, make_ticket, bearer) -> None:
    ticket = make_ticket(status="closed")
    assert (
        client.post(url(ticket, "/follow"), headers=bearer(make_user("citizen"))).status_code == 409
    )

"""One use case, one rule: what a citizen or staff member does behaves the same
whichever channel it comes through (the chat, the API, the sweeps)."""

from __future__ import annotations

from bot_support import Phone
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.db import Database
from core.models import (
    Category,
    Comment,
    Conversation,
    Feedback,
    Message,
    Ticket,
    TicketEvent,
    TicketFollower,
    User,
)
from core.tickets.opening import open_ticket
from core.tickets.workflow import apply_transition
from tests.notify_support import queued_ids

ON_THE_BOSPHORUS = {"lat": 41.0422, "lon": 29.0083}


def _resolved_chat_ticket(db: Session, settings, client, make_user) -> tuple[Phone, Ticket]:
    phone = Phone(client, settings)
    phone.register()
    reporter = db.scalar(select(User).where(User.phone == phone.number))
    category = db.scalar(select(Category).where(Category.code == "lighting"))
    ticket = open_ticket(
        db, settings, category=category, description="Sokak lambası yanmıyor, karanlık",
        channel="whatsapp", reporter=reporter, address="Kadıköy",
    )  # fmt: skip
    staff = make_user("support")
    apply_transition(db, ticket, "in_progress", actor=staff, role="support")
    apply_transition(db, ticket, "resolved", actor=staff, role="support")
    db.flush()
    return phone, ticket


# --- feedback: one rating per resolution ------------------------------------------------


def test_a_second_answer_to_fixed_or_not_is_refused_in_the_chat(
    client, settings, seeded, make_user
) -> None:
    phone, ticket = _resolved_chat_ticket(seeded, settings, client, make_user)
    assert "teşekkürler" in phone.send("düzeldi")
    # The same part again: refused, never overwritten (it used to reopen the ticket).
    assert "zaten aldık" in phone.send("düzelmedi")
    seeded.refresh(ticket)
    assert ticket.status == "resolved" and ticket.reopen_count == 0
    assert seeded.scalars(select(Feedback)).one().fixed is True


def test_the_parts_of_a_rating_may_come_through_different_channels(
    client, settings, seeded, make_user, bearer
) -> None:
    phone, ticket = _resolved_chat_ticket(seeded, settings, client, make_user)
    phone.send("düzeldi")
    reporter = seeded.get(User, ticket.reporter_id)
    url = f"/api/v1/tickets/{ticket.id}/feedback"
    assert client.post(url, json={"rating": 5}, headers=bearer(reporter)).status_code == 201
    again = client.post(url, json={"rating": 2}, headers=bearer(reporter))
    assert again.status_code == 409
    assert again.get_json()["message"] == "feedback for this ticket was already given"
    feedback = seeded.scalars(select(Feedback)).one()
    assert (feedback.rating, feedback.fixed) == (5, True)


def test_a_ticket_resolved_again_may_be_rated_again(
    client, settings, seeded, make_user, bearer
) -> None:
    _phone, ticket = _resolved_chat_ticket(seeded, settings, client, make_user)
    reporter = seeded.get(User, ticket.reporter_id)
    url = f"/api/v1/tickets/{ticket.id}/feedback"
    body = {"rating": 2, "fixed": False}
    assert client.post(url, json=body, headers=bearer(reporter)).get_json()["reopened"] is True
    seeded.refresh(ticket)
    staff = make_user("support")
    apply_transition(seeded, ticket, "resolved", actor=staff, role="support")
    seeded.flush()
    assert client.post(url, json={"rating": 5}, headers=bearer(reporter)).status_code == 201
    feedback = seeded.scalars(select(Feedback)).one()
    assert (feedback.rating, feedback.fixed) == (5, None)


def test_reopening_in_the_chat_hands_only_the_followers_message_to_the_sender(
    app, committed_db: Database, settings, redis_client
) -> None:
    client = app.test_client()
    phone = Phone(client, settings)
    phone.register()
    with committed_db.transaction() as session:
        from core.tickets.seed_data import seed_defaults

        seed_defaults(session)
        session.flush()
        reporter = session.scalar(select(User).where(User.phone == phone.number))
        follower = User(phone="+905339998877", full_name="F", role="citizen", locale="tr")
        staff = User(phone="+905339998866", full_name="S", role="support", locale="tr")
        session.add_all([follower, staff])
        session.flush()
        category = session.scalar(select(Category).where(Category.code == "lighting"))
        ticket = open_ticket(
            session, settings, category=category, description="Sokak lambası yanmıyor",
            channel="whatsapp", reporter=reporter, address="Kadıköy",
        )  # fmt: skip
        session.add(TicketFollower(ticket_id=ticket.id, user_id=follower.id))
        apply_transition(session, ticket, "in_progress", actor=staff, role="support")
        apply_transition(session, ticket, "resolved", actor=staff, role="support")
        ids = {"reporter": reporter.id, "follower": follower.id, "ticket": ticket.id}
    redis_client.delete("celery")

    assert "yeniden açıldı" in phone.send("düzelmedi")

    with committed_db.transaction() as session:
        rows = {
            m.user_id: m
            for m in session.scalars(
                select(Message).where(
                    Message.kind == "reopened", Message.ticket_id == ids["ticket"]
                )
            )
        }
    assert rows[ids["reporter"]].status == "skipped"
    assert rows[ids["follower"]].status == "pending"
    # The reporter read it in the reply: their row never reaches the worker's queue.
    assert queued_ids(redis_client) == [rows[ids["follower"]].id]


# --- following ----------------------------------------------------------------------------


def test_following_through_the_api_is_in_the_audit_trail(
    client, make_ticket, make_user, bearer
) -> None:
    ticket = make_ticket()
    neighbour = make_user("citizen")
    response = client.post(f"/api/v1/tickets/{ticket.id}/follow", headers=bearer(neighbour))
    assert response.status_code == 201
    events = client.get(
        f"/api/v1/tickets/{ticket.id}/events", headers=bearer(make_user("support"))
    ).get_json()["data"]
    [followed] = [e for e in events if e["kind"] == "follower_added"]
    assert followed["data"] == {"channel": "api"}


def test_erasing_a_citizen_ends_what_they_followed(client, settings, seeded, make_ticket) -> None:
    phone = Phone(client, settings)
    phone.register()
    citizen = seeded.scalar(select(User).where(User.phone == phone.number))
    ticket = make_ticket()
    seeded.add(TicketFollower(ticket_id=ticket.id, user_id=citizen.id))
    ticket.followers_count = 1
    seeded.flush()
    phone.send("SİL")
    assert "silindi" in phone.send("evet")
    seeded.refresh(ticket)
    assert ticket.followers_count == 0
    assert seeded.scalar(select(func.count()).select_from(TicketFollower)) == 0
    assert seeded.scalar(select(func.count()).select_from(Conversation)) == 0


# --- comments ------------------------------------------------------------------------------


def test_a_chat_comment_is_cleaned_and_named_in_its_event(
    client, settings, seeded, make_user
) -> None:
    phone, ticket = _resolved_chat_ticket(seeded, settings, client, make_user)
    assert "eklendi" in phone.send(f"#{ticket.number} hâlâ\x07 yanmıyor")
    comment = seeded.scalars(select(Comment)).one()
    assert comment.body == "hâlâ yanmıyor"
    event = seeded.scalar(select(TicketEvent).where(TicketEvent.kind == "commented"))
    assert event.data == {"comment_id": comment.id, "channel": "whatsapp"}


# --- escalation from the workflow, and placing a ticket ------------------------------------


def test_staff_escalate_through_the_workflow_as_through_the_escalation_endpoint(
    client, make_ticket, make_user, bearer
) -> None:
    ticket = make_ticket(status="in_progress")
    support = make_user("support")
    url = f"/api/v1/tickets/{ticket.id}/transitions"
    missing = client.post(url, json={"to": "escalated"}, headers=bearer(support))
    assert missing.status_code == 422
    assert "note" in missing.get_json()["errors"]["json"]
    done = client.post(
        url, json={"to": "escalated", "note": "needs a crane"}, headers=bearer(support)
    )
    assert done.status_code == 200 and done.get_json()["status"] == "escalated"
    escalation = client.get(
        "/api/v1/escalations?status=pending", headers=bearer(make_user("manager"))
    ).get_json()["data"]
    assert [(e["ticket"]["id"], e["reason"]) for e in escalation] == [(ticket.id, "needs a crane")]
    twice = client.post(url, json={"to": "escalated", "note": "again"}, headers=bearer(support))
    assert twice.status_code == 409


def test_staff_place_an_address_only_report_on_the_map(
    client, seeded, make_ticket, make_user, bearer
) -> None:
    ticket = make_ticket(lat=None, lon=None, address="Kadıköy Moda Caddesi 25 önü")
    support = make_user("support")
    headers = bearer(support)
    assert client.get(f"/api/v1/tickets/{ticket.id}", headers=headers).get_json()["needs_location"]

    outside = client.patch(
        f"/api/v1/tickets/{ticket.id}", json={"location": {"lat": 0, "lon": 0}}, headers=headers
    )
    assert outside.status_code == 422 and "location" in outside.get_json()["errors"]["json"]

    placed = client.patch(
        f"/api/v1/tickets/{ticket.id}",
        json={"location": ON_THE_BOSPHORUS, "address": "Moda Cd. 25, Kadıköy"},
        headers=headers,
    )
    assert placed.status_code == 200
    body = placed.get_json()
    assert body["needs_location"] is False and body["address"] == "Moda Cd. 25, Kadıköy"
    assert body["location"] == {"lat": ON_THE_BOSPHORUS["lat"], "lon": ON_THE_BOSPHORUS["lon"]}
    kinds = [
        e.kind
        for e in seeded.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket.id))
    ]
    assert "location_changed" in kinds and "address_changed" in kinds

    # From now on it counts where points count: the nearby search (duplicate offers).
    nearby = client.get(
        "/api/v1/tickets/nearby",
        query_string={**ON_THE_BOSPHORUS, "radius_m": 10},
        headers=headers,
    ).get_json()["data"]
    assert [t["id"] for t in nearby] == [ticket.id]


def test_an_escalation_decision_keeps_its_rules(client, make_ticket, make_user, bearer) -> None:
    ticket = make_ticket(status="in_progress", priority="high")
    support, manager = make_user("support"), make_user("manager")
    client.post(
        f"/api/v1/tickets/{ticket.id}/escalations",
        json={"reason": "needs a crane"},
        headers=bearer(support),
    )
    escalation_id = client.get(
        "/api/v1/escalations?status=pending", headers=bearer(manager)
    ).get_json()["data"][0]["id"]
    url = f"/api/v1/escalations/{escalation_id}/decision"
    lower = client.post(url, json={"approve": True, "priority": "low"}, headers=bearer(manager))
    assert lower.status_code == 422 and "priority" in lower.get_json()["errors"]["json"]
    ok = client.post(url, json={"approve": True, "priority": "urgent"}, headers=bearer(manager))
    assert ok.status_code == 200 and ok.get_json()["ticket"]["priority"] == "urgent"
    assert client.post(url, json={"approve": False}, headers=bearer(manager)).status_code == 409


def test_a_domain_refusal_is_the_error_envelope(client, make_ticket, make_user, bearer) -> None:
    ticket = make_ticket(status="new")
    response = client.post(
        f"/api/v1/tickets/{ticket.id}/transitions",
        json={"to": "resolved"},
        headers=bearer(make_user("support")),
    )
    assert response.status_code == 409
    body = response.get_json()
    assert body["code"] == 409 and body["status"] == "Conflict"
    assert body["errors"] == {"allowed": ["in_progress", "closed"]}

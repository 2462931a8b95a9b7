"""The ticket workflow table: every legal move passes, every illegal one is
refused with the allowed moves listed, and each move leaves its trace."""

from __future__ import annotations

import itertools

import pytest
from sqlalchemy import select

from core.config import Settings
from core.models import Category, Message, Ticket, TicketEvent, User
from core.models.tickets import STATUSES
from core.tickets.opening import open_ticket
from core.tickets.workflow import (
    WORKFLOW,
    IllegalTransition,
    ResolutionRequired,
    TransitionNotPermitted,
    allowed_targets,
    apply_transition,
)

LEGAL = sorted(WORKFLOW)
ILLEGAL = sorted(
    (frm, to) for frm, to in itertools.product(STATUSES, STATUSES) if (frm, to) not in WORKFLOW
)


@pytest.fixture
def ticket(seeded, settings: Settings, make_user) -> Ticket:
    category = seeded.scalar(select(Category).where(Category.code == "lighting"))
    reporter = make_user("citizen", locale="en")
    return open_ticket(
        seeded,
        settings,
        category=category,
        description="The street light on our corner is out",
        channel="whatsapp",
        reporter=reporter,
        lat=41.0082,
        lon=28.9784,
    )


def put_in(ticket: Ticket, status: str) -> Ticket:
    ticket.status = status
    return ticket


@pytest.mark.parametrize(("frm", "to"), LEGAL)
def test_every_legal_move_passes_and_writes_an_event(db, ticket, make_user, frm, to) -> None:
    manager = make_user("manager")
    put_in(ticket, frm)
    move = WORKFLOW[(frm, to)]
    event = apply_transition(
        db,
        ticket,
        to,
        actor=manager,
        role="manager",
        resolution="invalid" if move.needs_resolution else None,
        dedicated=move.dedicated,
    )
    assert ticket.status == to
    assert (event.kind, event.from_value, event.to_value) == (move.event, frm, to)
    assert event.actor_id == manager.id
    assert db.get(TicketEvent, event.id) is not None


@pytest.mark.parametrize(("frm", "to"), ILLEGAL)
def test_every_illegal_move_is_refused_with_the_allowed_list(db, ticket, frm, to) -> None:
    put_in(ticket, frm)
    with pytest.raises(IllegalTransition) as refused:
        apply_transition(db, ticket, to, actor=None, role="manager", resolution="invalid")
    assert refused.value.kind == "conflict"
    assert refused.value.allowed == allowed_targets(frm, "manager", include_dedicated=False)
    for target in refused.value.allowed:
        assert target in str(refused.value)
    # Said as English says it: "an in-progress ticket", never "a in_progress ticket".
    assert "a in_progress" not in str(refused.value) and "a escalated" not in str(refused.value)
    assert ticket.status == frm


def test_escalation_moves_only_through_the_dedicated_operation(db, ticket) -> None:
    put_in(ticket, "in_progress")
    with pytest.raises(IllegalTransition):
        apply_transition(db, ticket, "escalated", actor=None, role="support")
    apply_transition(db, ticket, "escalated", actor=None, role="support", dedicated=True)
    assert ticket.status == "escalated"


@pytest.mark.parametrize(
    ("frm", "to", "role"),
    [
        ("new", "in_progress", "citizen"),
        ("in_progress", "resolved", "citizen"),
        ("new", "in_progress", "system"),
        ("resolved", "closed", "citizen"),
    ],
)
def test_roles_outside_the_table_are_refused(db, ticket, frm, to, role) -> None:
    put_in(ticket, frm)
    with pytest.raises(TransitionNotPermitted) as refused:
        apply_transition(db, ticket, to, actor=None, role=role)
    assert refused.value.kind == "forbidden"
    assert ticket.status == frm


def test_support_cannot_decide_an_escalation(db, ticket) -> None:
    put_in(ticket, "escalated")
    with pytest.raises(TransitionNotPermitted):
        apply_transition(db, ticket, "in_progress", actor=None, role="support", dedicated=True)


@pytest.mark.parametrize("frm", ["new", "in_progress"])
def test_early_close_needs_a_resolution(db, ticket, frm) -> None:
    put_in(ticket, frm)
    with pytest.raises(ResolutionRequired):
        apply_transition(db, ticket, "closed", actor=None, role="support")
    with pytest.raises(ResolutionRequired):
        apply_transition(db, ticket, "closed", actor=None, role="support", resolution="fixed")
    with pytest.raises(ResolutionRequired, match="duplicate_of"):
        apply_transition(db, ticket, "closed", actor=None, role="support", resolution="duplicate")
    assert ticket.status == frm


def test_lifecycle_timestamps_and_reopen(db, ticket, make_user) -> None:
    support = make_user("support")
    apply_transition(db, ticket, "in_progress", actor=support, role="support")
    assert ticket.first_response_at is not None
    apply_transition(db, ticket, "resolved", actor=support, role="support")
    assert ticket.resolved_at is not None
    apply_transition(db, ticket, "in_progress", actor=None, role="citizen")
    assert ticket.resolved_at is None and ticket.reopen_count == 1
    apply_transition(db, ticket, "resolved", actor=support, role="support")
    apply_transition(db, ticket, "closed", actor=None, role="system")
    assert ticket.closed_at is not None and ticket.resolution == "fixed"
    kinds = db.scalars(
        select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket.id).order_by(TicketEvent.id)
    ).all()
    assert kinds == [
        "created",
        "status_changed",
        "status_changed",
        "reopened",
        "status_changed",
        "status_changed",
    ]


def test_each_move_queues_the_reporters_message_in_their_language(db, ticket) -> None:
    apply_transition(db, ticket, "in_progress", actor=None, role="support")
    bodies = db.scalars(
        select(Message.body).where(Message.ticket_id == ticket.id).order_by(Message.id)
    ).all()
    assert bodies == [
        f"Report #{ticket.number} received. Our team will review it and keep you posted.",
        f"Work has started on report #{ticket.number}.",
    ]


def test_a_whatsapp_user_with_a_hidden_number_still_hears_of_their_ticket(
    db, seeded, settings: Settings
) -> None:
    hidden = User(phone=None, whatsapp_id="TR.1a2b3c4d5e", full_name="Gizli", role="citizen")
    db.add(hidden)
    db.flush()
    category = seeded.scalar(select(Category).where(Category.code == "waste"))
    ticket = open_ticket(
        db, settings, category=category, description="Konteyner taşmış durumda",
        channel="whatsapp", reporter=hidden, lat=41.0, lon=29.0,
    )  # fmt: skip
    apply_transition(db, ticket, "in_progress", actor=None, role="support")
    rows = db.scalars(select(Message).where(Message.ticket_id == ticket.id)).all()
    assert [(m.address, m.channel) for m in rows] == [("TR.1a2b3c4d5e", "whatsapp")] * 2

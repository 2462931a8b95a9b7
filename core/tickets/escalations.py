"""Escalations: support asks a manager to step in, with the reason; the manager
approves (maybe raising the priority or moving the ticket to another team) or
rejects. Either way the ticket goes back to `in_progress`. One pair of functions
for the escalation endpoints, the workflow's `to: escalated` and the console."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import Conflict, Refused
from core.messaging import notifications
from core.models import Escalation, Ticket, User
from core.models.ticket_order import PRIORITY_RANK
from core.people.permissions import role_can
from core.tickets import changes
from core.tickets.opening import clean_text
from core.tickets.workflow import apply_transition, check_transition

REASON_MIN = 3


def pending_escalation(session: Session, ticket: Ticket) -> Escalation | None:
    return session.scalar(
        select(Escalation).where(Escalation.ticket_id == ticket.id, Escalation.status == "pending")
    )


def listed_escalations(
    session: Session,
    viewer: User,
    *,
    status: str | None = None,
    after_id: int | None = None,
    limit: int = 50,
) -> list[tuple[Escalation, Ticket]]:
    """Escalations oldest first, with their tickets: a manager sees every one, support
    the ones they requested (to follow up on them). `limit + 1` rows come back at most,
    so the caller can tell whether there is another page."""
    query = select(Escalation, Ticket).join(Ticket, Ticket.id == Escalation.ticket_id)
    if not role_can(viewer.role, "escalation.list"):
        query = query.where(Escalation.requested_by_id == viewer.id)
    if status:
        query = query.where(Escalation.status == status)
    if after_id is not None:
        query = query.where(Escalation.id > after_id)
    rows = session.execute(query.order_by(Escalation.id).limit(limit + 1)).all()
    return [(escalation, ticket) for escalation, ticket in rows]


def request_escalation(
    session: Session, ticket: Ticket, actor: User, reason: str | None, *, field: str = "reason"
) -> Escalation:
    """Escalate `ticket` (the caller holds its row lock); `field` names the reason's
    input for the caller's errors. Raises Refused, Conflict or a TransitionError."""
    # Asked first: a ticket with a pending escalation is escalated already, and the
    # workflow's refusal of escalated -> escalated would not say what is going on.
    if pending_escalation(session, ticket) is not None:
        raise Conflict(
            "an escalation of this ticket is already waiting for a manager",
            code="escalation_pending",
        )
    check_transition(ticket, "escalated", role=actor.role, dedicated=True)
    text = clean_text(reason or "")
    if len(text) < REASON_MIN:
        raise Refused("say why, in a few words", field=field, code="escalation_reason_missing")
    apply_transition(
        session, ticket, "escalated", actor=actor, role=actor.role, note=text, dedicated=True
    )
    escalation = Escalation(
        ticket_id=ticket.id,
        requested_by_id=actor.id,
        api_key_id=actor.acting_api_key_id,
        reason=text,
    )
    session.add(escalation)
    session.flush()
    return escalation


def decide_escalation(
    session: Session,
    escalation: Escalation,
    manager: User,
    *,
    approve: bool,
    note: str | None = None,
    priority: str | None = None,
    team_id: int | None = None,
) -> Ticket:
    """Approve or reject (the caller holds the escalation's row lock); an approval may
    raise the priority and hand the ticket to another team, and the citizen hears of
    that. Returns the ticket, back in progress."""
    if escalation.status != "pending":
        raise Conflict(
            f"this escalation was already {escalation.status}",
            code="escalation_decided", params={"decision": escalation.status},
        )  # fmt: skip
    ticket = session.get(Ticket, escalation.ticket_id, with_for_update=True)
    replanned = _replan(session, ticket, manager, approve, priority, team_id)
    text = clean_text(note or "") or None
    event = apply_transition(
        session, ticket, "in_progress", actor=manager, role=manager.role, note=text,
        dedicated=True,
    )  # fmt: skip
    escalation.status = "approved" if approve else "rejected"
    # The audit log says which way it went, beside the note (a new dict: JSONB
    # columns see reassignment, not mutation).
    event.data = {**event.data, "decision": escalation.status}
    escalation.decided_by_id = manager.id
    escalation.decided_at = datetime.now(UTC)
    escalation.decision_note = text
    if replanned:
        notifications.notify_ticket(session, ticket, "escalation_approved")
    return ticket


def _replan(
    session: Session,
    ticket: Ticket,
    manager: User,
    approve: bool,
    priority: str | None,
    team_id: int | None,
) -> bool:
    """True when the approval changed the priority or the team."""
    if not approve:
        for field, value in (("priority", priority), ("team_id", team_id)):
            if value is not None:
                raise Refused(
                    "only an approval changes the plan", field=field, code="plan_needs_approval"
                )
        return False
    changed = False
    if priority is not None:
        if PRIORITY_RANK[priority] < PRIORITY_RANK[ticket.priority]:
            raise Refused(
                f"may only be raised (now {ticket.priority})", field="priority",
                code="priority_only_raised", params={"priority": ticket.priority},
            )  # fmt: skip
        changed |= changes.set_priority(session, ticket, priority, manager)
    if team_id is not None:
        changed |= changes.move_to_team(
            session, ticket, changes.active_team(session, team_id), manager
        )
    return changed

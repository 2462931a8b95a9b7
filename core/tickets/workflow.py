"""The ticket workflow: the one table of legal moves, enforced for every caller
(API, bot, sweeps).

    new ──► in_progress ──► resolved ──► closed
                │  ▲            │
                ▼  │            └──► in_progress   (reopened: "not fixed")
            escalated ── manager approves / rejects ──► in_progress
    new / in_progress ──► closed   (with resolution duplicate | not_responsible | invalid)
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy.orm import Session

from core.messaging import notifications
from core.models import Ticket, TicketEvent, User

# Who may move a ticket. "system" is SoSoft itself: sweeps, and the bot acting on a
# citizen's chat message (e.g. "not fixed").
ACTORS = ("citizen", "support", "manager", "system")
STAFF = frozenset({"support", "manager"})
CLOSE_RESOLUTIONS = ("duplicate", "not_responsible", "invalid")


@dataclass(frozen=True)
class Move:
    roles: frozenset[str]
    event: str
    # Only through a dedicated operation (an escalation request or decision), which
    # records the why alongside; the generic transition call refuses it.
    dedicated: bool = False
    needs_resolution: bool = False


WORKFLOW: dict[tuple[str, str], Move] = {
    ("new", "in_progress"): Move(STAFF, "status_changed"),
    ("in_progress", "resolved"): Move(STAFF, "status_changed"),
    ("resolved", "closed"): Move(STAFF | {"system"}, "status_changed"),
    ("resolved", "in_progress"): Move(STAFF | {"citizen", "system"}, "reopened"),
    ("in_progress", "escalated"): Move(STAFF, "escalated", dedicated=True),
    ("escalated", "in_progress"): Move(
        frozenset({"manager"}), "escalation_decided", dedicated=True
    ),
    ("new", "closed"): Move(STAFF, "status_changed", needs_resolution=True),
    ("in_progress", "closed"): Move(STAFF, "status_changed", needs_resolution=True),
}


class TransitionError(Exception):
    """Base for refused transitions; `allowed` lists the legal targets from here."""

    status_code = 409

    def __init__(self, message: str, allowed: list[str]) -> None:
        super().__init__(message)
        self.allowed = allowed


class IllegalTransition(TransitionError):
    status_code = 409


class TransitionNotPermitted(TransitionError):
    status_code = 403


class ResolutionRequired(TransitionError):
    status_code = 422


def allowed_targets(
    status: str, role: str | None = None, *, include_dedicated: bool = True
) -> list[str]:
    """The statuses a ticket in `status` may move to (for `role`, when given)."""
    return [
        to
        for (frm, to), move in WORKFLOW.items()
        if frm == status
        and (role is None or role in move.roles)
        and (include_dedicated or not move.dedicated)
    ]


def apply_transition(
    session: Session,
    ticket: Ticket,
    to: str,
    *,
    actor: User | None,
    role: str,
    note: str | None = None,
    resolution: str | None = None,
    duplicate_of: Ticket | None = None,
    dedicated: bool = False,
    now: datetime | None = None,
) -> TicketEvent:
    """Move `ticket` to `to`, write the TicketEvent and the notification outbox rows.

    Raises IllegalTransition (409) for a move not in the table, TransitionNotPermitted
    (403) when `role` may not make it, ResolutionRequired (422) when closing early
    without a valid resolution. Nothing is changed when it raises.
    """
    frm = ticket.status
    move = WORKFLOW.get((frm, to))
    if move is None or (move.dedicated and not dedicated):
        allowed = allowed_targets(frm, role, include_dedicated=dedicated)
        raise IllegalTransition(
            f"a {frm} ticket cannot move to {to}; allowed: {', '.join(allowed) or 'none'}",
            allowed,
        )
    if role not in move.roles:
        allowed = allowed_targets(frm, role, include_dedicated=dedicated)
        raise TransitionNotPermitted(f"a {role} may not move a ticket from {frm} to {to}", allowed)
    if move.needs_resolution:
        if resolution not in CLOSE_RESOLUTIONS:
            raise ResolutionRequired(
                f"closing a {frm} ticket needs a resolution: {', '.join(CLOSE_RESOLUTIONS)}",
                allowed_targets(frm, role),
            )
        if resolution == "duplicate" and duplicate_of is None:
            raise ResolutionRequired("a duplicate needs duplicate_of", allowed_targets(frm, role))
        if duplicate_of is not None and duplicate_of.id == ticket.id:
            raise ResolutionRequired("a ticket cannot duplicate itself", allowed_targets(frm, role))

    now = now or datetime.now(UTC)
    ticket.status = to
    if role in STAFF and ticket.first_response_at is None:
        ticket.first_response_at = now
    if to == "resolved":
        ticket.resolved_at = now
    elif to == "closed":
        ticket.closed_at = now
        ticket.resolution = resolution or ticket.resolution or "fixed"
        if duplicate_of is not None:
            ticket.duplicate_of_id = duplicate_of.id
    elif frm == "resolved" and to == "in_progress":
        ticket.resolved_at = None
        ticket.reopen_count += 1

    event = TicketEvent(
        ticket_id=ticket.id,
        actor_id=actor.id if actor else None,
        kind=move.event,
        from_value=frm,
        to_value=to,
        data={
            k: v
            for k, v in {
                "note": note,
                "resolution": ticket.resolution if to == "closed" else None,
            }.items()
            if v
        },
        created_at=now,
    )
    session.add(event)
    notifications.ticket_status_changed(session, ticket, frm, to)
    session.flush()
    return event

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

from core.errors import DomainError
from core.messaging import notifications
from core.models import Ticket, TicketEvent, User
from core.tickets.events import record_event

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
    # A dedicated move a generic move request may still ask for: the API's transition
    # endpoint hands it to its operation (an escalation request, the note its reason).
    requestable: bool = False


WORKFLOW: dict[tuple[str, str], Move] = {
    ("new", "in_progress"): Move(STAFF, "status_changed"),
    ("in_progress", "resolved"): Move(STAFF, "status_changed"),
    ("resolved", "closed"): Move(STAFF | {"system"}, "status_changed"),
    ("resolved", "in_progress"): Move(STAFF | {"citizen", "system"}, "reopened"),
    ("in_progress", "escalated"): Move(STAFF, "escalated", dedicated=True, requestable=True),
    ("escalated", "in_progress"): Move(
        frozenset({"manager"}), "escalation_decided", dedicated=True
    ),
    ("new", "closed"): Move(STAFF, "status_changed", needs_resolution=True),
    ("in_progress", "closed"): Move(STAFF, "status_changed", needs_resolution=True),
}


class TransitionError(DomainError):
    """A refused move; `allowed` lists the legal targets from here (in `details`)."""

    def __init__(self, message: str, allowed: list[str], *, code: str, **params: str) -> None:
        super().__init__(
            message, details={"allowed": allowed}, code=code, params={"allowed": allowed, **params}
        )

    @property
    def allowed(self) -> list[str]:
        return self.details["allowed"]


class IllegalTransition(TransitionError):
    kind = "conflict"


class TransitionNotPermitted(TransitionError):
    kind = "forbidden"


class ResolutionRequired(TransitionError):
    kind = "refused"


def allowed_targets(
    status: str, role: str | None = None, *, include_dedicated: bool = True
) -> list[str]:
    """The statuses a ticket in `status` may move to (for `role`, when given)."""
    return [
        to
        for (frm, to), move in WORKFLOW.items()
        if frm == status
        and (role is None or role in move.roles)
        and (include_dedicated or not move.dedicated or move.requestable)
    ]


# How a status reads inside a sentence ("an in-progress ticket").
_IN_PROSE = {
    "new": "a new",
    "in_progress": "an in-progress",
    "escalated": "an escalated",
    "resolved": "a resolved",
    "closed": "a closed",
}


def _a_ticket(status: str) -> str:
    return f"{_IN_PROSE.get(status, 'a ' + status)} ticket"


def check_transition(
    ticket: Ticket,
    to: str,
    *,
    role: str,
    resolution: str | None = None,
    duplicate_of: Ticket | None = None,
    dedicated: bool = False,
) -> Move:
    """The move of `ticket` to `to`, or the TransitionError refusing it."""
    frm = ticket.status
    move = WORKFLOW.get((frm, to))
    # What a move request from this role could ask for instead.
    allowed = allowed_targets(frm, role, include_dedicated=False)
    if move is None:
        listed = ", ".join(allowed) or "none"
        raise IllegalTransition(
            f"{_a_ticket(frm)} cannot move to {to}; allowed: {listed}", allowed,
            code="transition_not_allowed", status=frm, to=to,
        )  # fmt: skip
    own_request = IllegalTransition(
        f"moving {_a_ticket(frm)} to {to} has its own request", allowed,
        code="transition_has_own_request", status=frm, to=to,
    )  # fmt: skip
    if move.dedicated and not dedicated and not move.requestable:
        raise own_request
    if role not in move.roles:
        raise TransitionNotPermitted(
            f"a {role} may not move {_a_ticket(frm)} to {to}", allowed,
            code="transition_not_permitted", role=role, status=frm, to=to,
        )  # fmt: skip
    if move.dedicated and not dedicated:
        raise own_request
    if move.needs_resolution:
        if resolution not in CLOSE_RESOLUTIONS:
            raise ResolutionRequired(
                f"closing {_a_ticket(frm)} needs a resolution: {', '.join(CLOSE_RESOLUTIONS)}",
                allowed, code="resolution_required", resolutions=", ".join(CLOSE_RESOLUTIONS),
            )  # fmt: skip
        if resolution == "duplicate" and duplicate_of is None:
            raise ResolutionRequired(
                "a duplicate needs duplicate_of", allowed, code="duplicate_of_required"
            )
        if duplicate_of is not None and duplicate_of.id == ticket.id:
            raise ResolutionRequired(
                "a ticket cannot duplicate itself", allowed, code="duplicate_of_self"
            )
    return move


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
    answered_in_chat: bool = False,
    now: datetime | None = None,
) -> TicketEvent:
    """Move `ticket` to `to`, write the TicketEvent and the notification outbox rows.

    `answered_in_chat`: the actor reads of the move in the bot's reply, so their own
    message about it is recorded as skipped (the other recipients still get theirs).

    Raises IllegalTransition (409) for a move not in the table, TransitionNotPermitted
    (403) when `role` may not make it, ResolutionRequired (422) when closing early
    without a valid resolution. Nothing is changed when it raises.
    """
    frm = ticket.status
    move = check_transition(
        ticket, to, role=role, resolution=resolution, duplicate_of=duplicate_of,
        dedicated=dedicated,
    )  # fmt: skip

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

    event = record_event(
        session, ticket, move.event, actor=actor, frm=frm, to=to, now=now,
        note=note or None, resolution=ticket.resolution if to == "closed" else None,
    )  # fmt: skip
    notifications.ticket_status_changed(
        session, ticket, frm, to, told_in_chat=actor if answered_in_chat else None
    )
    session.flush()
    return event

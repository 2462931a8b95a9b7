"""Staff changes to a ticket besides its status: priority, category, team, assignee.

Each change writes a TicketEvent; nothing is written when the value is unchanged.
The API's PATCH and the escalation decision both go through here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from core.models import Category, Team, Ticket, TicketEvent, User
from core.models.tickets import PRIORITIES


class ChangeRefused(ValueError):
    """The change is not allowed; `field` names the input to fix."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def _event(
    session: Session,
    ticket: Ticket,
    actor: User | None,
    kind: str,
    frm: object,
    to: object,
    **data: object,
) -> None:
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            actor_id=actor.id if actor else None,
            kind=kind,
            from_value=None if frm is None else str(frm),
            to_value=None if to is None else str(to),
            data={k: v for k, v in data.items() if v is not None},
        )
    )


def record_first_response(ticket: Ticket, actor: User | None, now: datetime | None = None) -> None:
    """The first thing staff do to a ticket starts nothing, but it is the response time."""
    if actor is not None and actor.is_staff and ticket.first_response_at is None:
        ticket.first_response_at = now or datetime.now(UTC)


def set_priority(session: Session, ticket: Ticket, priority: str, actor: User | None) -> bool:
    if priority not in PRIORITIES:
        raise ChangeRefused("priority", f"one of: {', '.join(PRIORITIES)}")
    if priority == ticket.priority:
        return False
    _event(session, ticket, actor, "priority_changed", ticket.priority, priority)
    ticket.priority = priority
    return True


def active_team(session: Session, team_id: int, field: str = "team_id") -> Team:
    team = session.get(Team, team_id)
    if team is None or not team.is_active:
        raise ChangeRefused(field, "no active team with this id")
    return team


def assignable_staff(session: Session, user_id: int, team_id: int | None) -> User:
    """An active support or manager user in `team_id` (when the ticket has a team)."""
    user = session.get(User, user_id)
    if user is None or not user.is_active or user.erased_at is not None or not user.is_staff:
        raise ChangeRefused("assignee_id", "the assignee must be an active support or manager user")
    if team_id is not None and user.team_id != team_id:
        raise ChangeRefused("assignee_id", "the assignee must be a member of the ticket's team")
    return user


def assign(session: Session, ticket: Ticket, assignee: User | None, actor: User | None) -> bool:
    new_id = assignee.id if assignee else None
    if new_id == ticket.assignee_id:
        return False
    kind = "assigned" if assignee else "unassigned"
    _event(session, ticket, actor, kind, ticket.assignee_id, new_id)
    ticket.assignee_id = new_id
    ticket.assignee = assignee
    return True


def move_to_team(session: Session, ticket: Ticket, team: Team | None, actor: User | None) -> bool:
    """Hand the ticket to `team`; an assignee outside the new team is unassigned."""
    new_id = team.id if team else None
    if new_id == ticket.team_id:
        return False
    _event(session, ticket, actor, "team_changed", ticket.team_id, new_id)
    ticket.team_id = new_id
    ticket.team = team
    if ticket.assignee_id is not None and new_id is not None:
        current = session.get(User, ticket.assignee_id)
        if current is None or current.team_id != new_id:
            assign(session, ticket, None, actor)
    return True


def recategorize(
    session: Session, ticket: Ticket, category: Category, actor: User | None, *, reroute: bool
) -> bool:
    """Change the category; the due time follows its SLA, and unless `reroute` is
    False (a team was chosen explicitly) so does the team."""
    if category.id == ticket.category_id:
        return False
    if not category.is_active:
        raise ChangeRefused("category_id", "this category is no longer in use")
    due_at = ticket.created_at + timedelta(hours=category.sla_hours)
    _event(
        session, ticket, actor, "category_changed", ticket.category_id, category.id,
        due_at=due_at.isoformat(),
    )  # fmt: skip
    ticket.category_id = category.id
    ticket.category = category
    ticket.due_at = due_at
    if reroute and category.default_team_id is not None:
        move_to_team(session, ticket, session.get(Team, category.default_team_id), actor)
    return True

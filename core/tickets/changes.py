"""Staff changes to a ticket besides its status: priority, category, team, assignee.

Each change writes a TicketEvent; nothing is written when the value is unchanged.
The API's PATCH, the console and the escalation decision all go through here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from core.errors import Refused
from core.models import Category, Team, Ticket, User
from core.models.tickets import PRIORITIES
from core.tickets.events import record_event


def record_first_response(ticket: Ticket, actor: User | None, now: datetime | None = None) -> None:
    """The first thing staff do to a ticket starts nothing, but it is the response time."""
    if actor is not None and actor.is_staff and ticket.first_response_at is None:
        ticket.first_response_at = now or datetime.now(UTC)


def set_priority(session: Session, ticket: Ticket, priority: str, actor: User | None) -> bool:
    if priority not in PRIORITIES:
        raise Refused(f"one of: {', '.join(PRIORITIES)}", field="priority")
    if priority == ticket.priority:
        return False
    record_event(session, ticket, "priority_changed", actor=actor, frm=ticket.priority, to=priority)
    ticket.priority = priority
    return True


def active_team(session: Session, team_id: int, field: str = "team_id") -> Team:
    team = session.get(Team, team_id)
    if team is None or not team.is_active:
        raise Refused("no active team with this id", field=field)
    return team


def assignable_staff(session: Session, user_id: int, team_id: int | None) -> User:
    """An active support or manager user in `team_id` (when the ticket has a team)."""
    user = session.get(User, user_id)
    if user is None or not user.is_active or user.erased_at is not None or not user.is_staff:
        raise Refused("the assignee must be an active support or manager user", field="assignee_id")
    if team_id is not None and user.team_id != team_id:
        raise Refused("the assignee must be a member of the ticket's team", field="assignee_id")
    return user


def assign(session: Session, ticket: Ticket, assignee: User | None, actor: User | None) -> bool:
    new_id = assignee.id if assignee else None
    if new_id == ticket.assignee_id:
        return False
    kind = "assigned" if assignee else "unassigned"
    record_event(session, ticket, kind, actor=actor, frm=ticket.assignee_id, to=new_id)
    ticket.assignee_id = new_id
    ticket.assignee = assignee
    return True


def move_to_team(session: Session, ticket: Ticket, team: Team | None, actor: User | None) -> bool:
    """Hand the ticket to `team`; an assignee outside the new team is unassigned."""
    new_id = team.id if team else None
    if new_id == ticket.team_id:
        return False
    record_event(session, ticket, "team_changed", actor=actor, frm=ticket.team_id, to=new_id)
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
        raise Refused("this category is no longer in use", field="category_id")
    due_at = ticket.created_at + timedelta(hours=category.sla_hours)
    record_event(
        session, ticket, "category_changed", actor=actor, frm=ticket.category_id,
        to=category.id, due_at=due_at.isoformat(),
    )  # fmt: skip
    ticket.category_id = category.id
    ticket.category = category
    ticket.due_at = due_at
    if reroute and category.default_team_id is not None:
        move_to_team(session, ticket, session.get(Team, category.default_team_id), actor)
    return True


def apply_changes(
    session: Session, ticket: Ticket, actor: User, changes: Mapping[str, Any]
) -> bool:
    """A staff member's edit of `ticket` (the caller holds its row lock): the keys of
    `changes` present among priority, category_id, team_id and assignee_id, applied
    category first (it may re-route the team), then team, then assignee. True when
    anything changed; the first change is also the ticket's first response."""
    changed = False
    if "priority" in changes:
        changed |= set_priority(session, ticket, changes["priority"], actor)
    if "category_id" in changes:
        category = session.get(Category, changes["category_id"])
        if category is None:
            raise Refused("no such category", field="category_id")
        changed |= recategorize(session, ticket, category, actor, reroute="team_id" not in changes)
    if "team_id" in changes:
        team = None if changes["team_id"] is None else active_team(session, changes["team_id"])
        changed |= move_to_team(session, ticket, team, actor)
    if "assignee_id" in changes:
        assignee = None
        if changes["assignee_id"] is not None:
            assignee = assignable_staff(session, changes["assignee_id"], ticket.team_id)
        changed |= assign(session, ticket, assignee, actor)
    if changed:
        record_first_response(ticket, actor)
    return changed

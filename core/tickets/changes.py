"""Staff changes to a ticket besides its status: priority, category, team, assignee.

Each change writes a TicketEvent; nothing is written when the value is unchanged.
The API's PATCH, the console and the escalation decision all go through here.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from core.errors import Forbidden, Refused
from core.models import Category, Team, Ticket, User
from core.models.tickets import PRIORITIES
from core.people.permissions import role_can
from core.tickets.events import record_event

# Handing a ticket to another team (explicitly, or by assigning someone of that team).
MOVE_PERMISSION = "ticket.move_team"


def record_first_response(ticket: Ticket, actor: User | None, now: datetime | None = None) -> None:
    """The first thing staff do to a ticket starts nothing, but it is the response time."""
    if actor is not None and actor.is_staff and ticket.first_response_at is None:
        ticket.first_response_at = now or datetime.now(UTC)


def set_priority(session: Session, ticket: Ticket, priority: str, actor: User | None) -> bool:
    if priority not in PRIORITIES:
        raise Refused(
            f"one of: {', '.join(PRIORITIES)}", field="priority",
            code="unknown_priority", params={"priorities": ", ".join(PRIORITIES)},
        )  # fmt: skip
    if priority == ticket.priority:
        return False
    record_event(session, ticket, "priority_changed", actor=actor, frm=ticket.priority, to=priority)
    ticket.priority = priority
    return True


def active_team(session: Session, team_id: int, field: str = "team_id") -> Team:
    team = session.get(Team, team_id)
    if team is None or not team.is_active:
        raise Refused("no active team with this id", field=field, code="team_not_active")
    return team


def assignable_staff(session: Session, user_id: int) -> User:
    """An active support or manager user (of any team: see `team_for_assignee`)."""
    user = session.get(User, user_id)
    if user is None or not user.is_active or user.erased_at is not None or not user.is_staff:
        raise Refused(
            "the assignee must be an active support or manager user", field="assignee_id",
            code="assignee_not_staff",
        )  # fmt: skip
    return user


def team_for_assignee(ticket: Ticket, assignee: User, *, team_named: bool = False) -> Team | None:
    """The team `ticket` must move to for `assignee` to work it: None when it need not
    (a ticket without a team is anyone's; a member of its team takes it as it is).
    Someone outside it brings the ticket to their one team; with several, the caller
    names the team (`team_named`: it did, and the ticket is in it now)."""
    if ticket.team_id is None or ticket.team_id in assignee.team_ids:
        return None
    who = assignee.full_name or f"user #{assignee.id}"
    teams = assignee.teams
    listing = ", ".join(f"{team.name} (#{team.id})" for team in teams)
    details = {"assignee_teams": [{"id": team.id, "name": team.name} for team in teams]}
    params = {"who": who, "teams": listing}
    if not teams:
        raise Refused(
            f"{who} belongs to no team yet: a manager adds them to one (their team_ids) first",
            field="assignee_id", details=details, code="assignee_without_team", params=params,
        )  # fmt: skip
    if team_named:
        raise Refused(
            f"{who} is not in the team named here; their teams: {listing}",
            field="assignee_id", details=details, code="assignee_not_in_team", params=params,
        )  # fmt: skip
    if len(teams) > 1:
        raise Refused(
            f"{who} works for several teams; name the one to hand the ticket to: {listing}",
            field="team_id", details=details, code="assignee_team_unclear", params=params,
        )  # fmt: skip
    return teams[0]


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
        if current is None or new_id not in current.team_ids:
            assign(session, ticket, None, actor)
    return True


def check_may_move(actor: User | None) -> None:
    if actor is not None and not role_can(actor.role, MOVE_PERMISSION):
        raise Forbidden(
            f"your role may not hand tickets to another team ({MOVE_PERMISSION})",
            code="team_move_forbidden", params={"permission": MOVE_PERMISSION},
        )  # fmt: skip


def recategorize(
    session: Session, ticket: Ticket, category: Category, actor: User | None, *, reroute: bool
) -> bool:
    """Change the category; the due time follows its SLA, and unless `reroute` is
    False (a team was chosen explicitly) so does the team."""
    if category.id == ticket.category_id:
        return False
    if not category.is_active:
        raise Refused(
            "this category is no longer in use", field="category_id", code="category_inactive"
        )
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
    category first (it may re-route the team), then team, then assignee. An assignee
    outside the ticket's team brings it to their team (`team_for_assignee`). True when
    anything changed; the first change is also the ticket's first response."""
    changed = False
    if "priority" in changes:
        changed |= set_priority(session, ticket, changes["priority"], actor)
    if "category_id" in changes:
        category = session.get(Category, changes["category_id"])
        if category is None:
            raise Refused("no such category", field="category_id", code="unknown_category")
        changed |= recategorize(session, ticket, category, actor, reroute="team_id" not in changes)
    if "team_id" in changes:
        team = None if changes["team_id"] is None else active_team(session, changes["team_id"])
        if (team.id if team else None) != ticket.team_id:
            check_may_move(actor)
        changed |= move_to_team(session, ticket, team, actor)
    if "assignee_id" in changes:
        assignee = None
        if changes["assignee_id"] is not None:
            assignee = assignable_staff(session, changes["assignee_id"])
            their_team = team_for_assignee(ticket, assignee, team_named="team_id" in changes)
            if their_team is not None:
                check_may_move(actor)
                changed |= move_to_team(session, ticket, their_team, actor)
        changed |= assign(session, ticket, assignee, actor)
    if changed:
        record_first_response(ticket, actor)
    return changed

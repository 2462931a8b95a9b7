"""Bulk actions on the tickets selected in the inbox: assign to a team or a person,
move to another status, close as duplicates of one ticket. All or nothing: the
selection changes in one transaction, through the same use cases as one ticket."""

from __future__ import annotations

from flask import redirect, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from console.blueprint import bp
from console.errors import bad_input
from console.session import signed_in_user
from console.status_counts import forget_counts
from core.errors import Forbidden, NotFound, Refused
from core.models import Ticket, User
from core.people.permissions import role_can
from core.tickets import changes
from core.tickets.queries import public_number
from core.tickets.workflow import apply_transition
from web.request_session import request_session

MAX_SELECTED = 200


def _selected(session) -> list[Ticket]:
    ids = sorted(
        {int(i) for i in request.form.getlist("ticket_id") if i.isdigit() and len(i) < 19}
    )[:MAX_SELECTED]
    # Locked in id order, so two bulk actions over overlapping selections cannot deadlock.
    return list(
        session.scalars(
            select(Ticket).where(Ticket.id.in_(ids)).order_by(Ticket.id).with_for_update()
        )
    )


def _assign(session, user: User, tickets: list[Ticket]) -> None:
    wanted: dict[str, int | None] = {}
    team = request.form.get("team_id", "")
    if team.isdigit():
        wanted["team_id"] = int(team)
    assignee = request.form.get("assignee_id", "")
    if assignee == "me":
        wanted["assignee_id"] = user.id
    elif assignee == "none":
        wanted["assignee_id"] = None
    elif assignee.isdigit():
        wanted["assignee_id"] = int(assignee)
    if not wanted:
        raise Refused("choose a team or a person", field="assignee_id", code="bulk_assign_nothing")
    if not role_can(user.role, "ticket.update"):
        raise Forbidden(
            "your role may not do this (ticket.update)",
            code="permission_missing", params={"permission": "ticket.update"},
        )  # fmt: skip
    for ticket in tickets:
        changes.apply_changes(session, ticket, user, wanted)


def _move(session, user: User, tickets: list[Ticket]) -> None:
    to = request.form.get("to", "")
    if not role_can(user.role, "ticket.transition"):
        raise Forbidden(
            "your role may not do this (ticket.transition)",
            code="permission_missing", params={"permission": "ticket.transition"},
        )  # fmt: skip
    for ticket in tickets:
        apply_transition(session, ticket, to, actor=user, role=user.role)


def _close_as_duplicates(session, user: User, tickets: list[Ticket]) -> None:
    number = public_number(request.form.get("original", ""))
    original = session.scalar(select(Ticket).where(Ticket.number == number)) if number else None
    if original is None:
        raise NotFound("no ticket of that number", field="original", code="ticket_number_unknown")
    if not role_can(user.role, "ticket.transition"):
        raise Forbidden(
            "your role may not do this (ticket.transition)",
            code="permission_missing", params={"permission": "ticket.transition"},
        )  # fmt: skip
    for ticket in tickets:
        if ticket.id != original.id:
            apply_transition(
                session, ticket, "closed", actor=user, role=user.role,
                resolution="duplicate", duplicate_of=original,
            )  # fmt: skip


ACTIONS = {"assign": _assign, "move": _move, "duplicate": _close_as_duplicates}


@bp.post("/inbox/bulk")
def bulk_action() -> Response | tuple[str, int]:
    user = signed_in_user()
    action = ACTIONS.get(request.form.get("action", ""))
    session = request_session()
    tickets = _selected(session)
    if action is None or not tickets:
        return bad_input("bulk.nothing")
    action(session, user, tickets)  # a DomainError rolls the whole selection back
    session.commit()
    forget_counts()
    return redirect(_back(len(tickets)))


def _back(count: int) -> str:
    """The inbox as it was (its filters), saying how many tickets changed."""
    back = request.form.get("back", "")
    if not back.startswith("/console/inbox"):
        back = url_for("console.inbox")
    separator = "&" if "?" in back else "?"
    return f"{back}{separator}done={count}"

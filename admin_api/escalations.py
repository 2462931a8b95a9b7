"""Escalations: support asks a manager to step in; the manager approves (maybe
raising the priority or moving the ticket to another team) or rejects. Either way
the ticket goes back to `in_progress`."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlalchemy import select
from sqlalchemy.orm import Session

from admin_api.pagination import after_id, page
from admin_api.schemas.ticket_activity import (
    DecisionSchema,
    EscalationCreateSchema,
    EscalationListArgs,
    EscalationPageSchema,
    EscalationWithTicketSchema,
)
from admin_api.schemas.tickets import MAX_ID, EscalationSchema
from admin_api.security import require
from admin_api.ticket_access import calling_user, visible_ticket
from admin_api.ticket_errors import field_error, transition_error
from admin_api.ticket_payloads import escalation_payload, ticket_summary
from core.messaging import notifications
from core.models import Escalation, Ticket, User
from core.tickets import changes
from core.tickets.changes import ChangeRefused
from core.tickets.opening import clean_text
from core.tickets.queries import PRIORITY_RANK
from core.tickets.workflow import TransitionError, apply_transition
from web.request_session import request_session

blp = Blueprint(
    "escalations",
    __name__,
    url_prefix="/api/v1",
    description="Support asks a manager to step in; the manager decides.",
)


@blp.route("/tickets/<int:ticket_id>/escalations")
class TicketEscalations(MethodView):
    @require("escalation.request")
    @blp.arguments(EscalationCreateSchema)
    @blp.response(201, EscalationSchema)
    @blp.alt_response(409, description="Not in progress, or an escalation is already pending")
    def post(self, data: dict[str, Any], ticket_id: int) -> dict[str, Any]:
        """Escalate an in-progress ticket to a manager, with the reason"""
        caller = calling_user()
        session = request_session()
        ticket = visible_ticket(ticket_id, lock=True)
        reason = clean_text(data["reason"])
        if len(reason) < 3:
            field_error("reason", "say why, in a few words")
        if _pending(session, ticket) is not None:
            abort(409, message="an escalation of this ticket is already waiting for a manager")
        try:
            apply_transition(
                session, ticket, "escalated", actor=caller, role=caller.role, note=reason,
                dedicated=True,
            )  # fmt: skip
        except TransitionError as exc:
            transition_error(exc)
        escalation = Escalation(ticket_id=ticket.id, requested_by_id=caller.id, reason=reason)
        session.add(escalation)
        session.commit()
        return escalation_payload(session, escalation, caller)


def _pending(session: Session, ticket: Ticket) -> Escalation | None:
    return session.scalar(
        select(Escalation).where(Escalation.ticket_id == ticket.id, Escalation.status == "pending")
    )


@blp.route("/escalations")
class Escalations(MethodView):
    @require("escalation.list")
    @blp.arguments(EscalationListArgs, location="query")
    @blp.response(200, EscalationPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Escalations, oldest first (`?status=pending` is the manager's queue)"""
        caller = calling_user()
        session = request_session()
        query = select(Escalation, Ticket).join(Ticket, Ticket.id == Escalation.ticket_id)
        if args.get("status"):
            query = query.where(Escalation.status == args["status"])
        after = after_id(args.get("cursor"))
        if after is not None:
            query = query.where(Escalation.id > after)
        rows = session.execute(query.order_by(Escalation.id).limit(args["limit"] + 1)).all()
        result = page(rows, args["limit"], key=lambda row: (row[0].id,))
        result["data"] = [
            {**escalation_payload(session, e, caller), "ticket": ticket_summary(t, caller)}
            for e, t in result["data"]
        ]
        return result


@blp.route("/escalations/<int:escalation_id>/decision")
class Decision(MethodView):
    @require("escalation.decide")
    @blp.arguments(DecisionSchema)
    @blp.response(200, EscalationWithTicketSchema)
    @blp.alt_response(409, description="Already decided")
    def post(self, data: dict[str, Any], escalation_id: int) -> dict[str, Any]:
        """Approve or reject an escalation; the ticket returns to in_progress"""
        caller = calling_user()
        session = request_session()
        escalation = None
        if escalation_id <= MAX_ID:
            escalation = session.get(Escalation, escalation_id, with_for_update=True)
        if escalation is None:
            abort(404, message="escalation not found")
        if escalation.status != "pending":
            abort(409, message=f"this escalation was already {escalation.status}")
        ticket = session.get(Ticket, escalation.ticket_id, with_for_update=True)
        changes_plan = _replan(session, ticket, data, caller)
        note = clean_text(data.get("note") or "") or None
        try:
            apply_transition(
                session, ticket, "in_progress", actor=caller, role=caller.role, note=note,
                dedicated=True,
            )  # fmt: skip
        except TransitionError as exc:
            transition_error(exc)
        escalation.status = "approved" if data["approve"] else "rejected"
        escalation.decided_by_id = caller.id
        escalation.decided_at = datetime.now(UTC)
        escalation.decision_note = note
        if changes_plan:
            notifications.notify_ticket(session, ticket, "escalation_approved")
        session.commit()
        return {
            **escalation_payload(session, escalation, caller),
            "ticket": ticket_summary(ticket, caller),
        }


def _replan(session: Session, ticket: Ticket, data: dict[str, Any], caller: User) -> bool:
    """An approval may raise the priority and move the ticket to another team;
    True when it changed either (the citizen hears of that)."""
    if not data["approve"]:
        for field in ("priority", "team_id"):
            if field in data:
                field_error(field, "only an approval changes the plan")
        return False
    changed = False
    try:
        if "priority" in data:
            if PRIORITY_RANK[data["priority"]] < PRIORITY_RANK[ticket.priority]:
                field_error("priority", f"may only be raised (now {ticket.priority})")
            changed |= changes.set_priority(session, ticket, data["priority"], caller)
        if "team_id" in data:
            team = changes.active_team(session, data["team_id"])
            changed |= changes.move_to_team(session, ticket, team, caller)
    except ChangeRefused as exc:
        field_error(exc.field, str(exc))
    return changed

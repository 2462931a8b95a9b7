"""Escalations: support asks a manager to step in; the manager approves (maybe
raising the priority or moving the ticket to another team) or rejects. Either way
the ticket goes back to `in_progress`."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import abort

from admin_api.blueprint import ApiBlueprint
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
from admin_api.ticket_payloads import escalation_payload, ticket_summary
from core.models import Escalation
from core.tickets.escalations import decide_escalation, listed_escalations, request_escalation
from web.request_session import request_session

blp = ApiBlueprint(
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
        escalation = request_escalation(session, ticket, caller, data["reason"])
        session.commit()
        return escalation_payload(session, escalation, caller)


@blp.route("/escalations")
class Escalations(MethodView):
    @require("escalation.list_own")
    @blp.arguments(EscalationListArgs, location="query")
    @blp.response(200, EscalationPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Escalations, oldest first: a manager's are all (`?status=pending` is the
        queue), support's the ones they requested"""
        caller = calling_user()
        session = request_session()
        rows = listed_escalations(
            session, caller, status=args.get("status"), after_id=after_id(args.get("cursor")),
            limit=args["limit"],
        )  # fmt: skip
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
        ticket = decide_escalation(
            session, escalation, caller, approve=data["approve"], note=data.get("note"),
            priority=data.get("priority"), team_id=data.get("team_id"),
        )  # fmt: skip
        session.commit()
        return {
            **escalation_payload(session, escalation, caller),
            "ticket": ticket_summary(ticket, caller),
        }

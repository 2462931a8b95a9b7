"""Feedback: the reporter rates a resolved ticket once; "not fixed" soon after
resolution reopens it. Managers read it all."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from sqlalchemy import select

from admin_api.blueprint import ApiBlueprint
from admin_api.pagination import after_id, page
from admin_api.schemas.ticket_activity import (
    FeedbackCreateSchema,
    FeedbackListArgs,
    FeedbackPageSchema,
    FeedbackResultSchema,
)
from admin_api.security import require
from admin_api.ticket_access import calling_user, visible_ticket
from admin_api.ticket_payloads import feedback_payload
from core.models import Feedback, Ticket
from core.tickets.feedback import give_feedback
from web.request_session import request_session

blp = ApiBlueprint(
    "feedback",
    __name__,
    url_prefix="/api/v1",
    description="How citizens rate the work on their reports.",
)


@blp.route("/tickets/<int:ticket_id>/feedback")
class TicketFeedback(MethodView):
    @require("feedback.create")
    @blp.arguments(FeedbackCreateSchema)
    @blp.response(201, FeedbackResultSchema)
    @blp.alt_response(409, description="Not resolved yet, or feedback already given")
    def post(self, data: dict[str, Any], ticket_id: int) -> dict[str, Any]:
        """Rate a resolved or closed ticket (the reporter, once); `fixed: false` may reopen it"""
        caller = calling_user()
        session = request_session()
        ticket = visible_ticket(ticket_id, lock=True)
        given = give_feedback(
            session, current_app.config["SOSOFT"], ticket, caller,
            rating=data["rating"], fixed=data.get("fixed"), comment=data.get("comment"),
        )  # fmt: skip
        session.commit()
        return {
            **feedback_payload(given.feedback),
            "reopened": given.reopened,
            "ticket_status": ticket.status,
        }


@blp.route("/feedback")
class FeedbackList(MethodView):
    @require("feedback.list")
    @blp.arguments(FeedbackListArgs, location="query")
    @blp.response(200, FeedbackPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """All feedback, newest first, with filters (managers)"""
        query = select(Feedback).join(Ticket, Ticket.id == Feedback.ticket_id)
        for arg, column in (
            ("rating", Feedback.rating),
            ("fixed", Feedback.fixed),
            ("category", Ticket.category_id),
            ("team", Ticket.team_id),
        ):
            if args.get(arg) is not None:
                query = query.where(column == args[arg])
        if args.get("created_from"):
            query = query.where(Feedback.created_at >= args["created_from"])
        if args.get("created_to"):
            query = query.where(Feedback.created_at < args["created_to"])
        after = after_id(args.get("cursor"))
        if after is not None:
            query = query.where(Feedback.id < after)
        rows = request_session().scalars(
            query.order_by(Feedback.id.desc()).limit(args["limit"] + 1)
        )
        result = page(rows.all(), args["limit"], key=lambda f: (f.id,))
        result["data"] = [feedback_payload(f) for f in result["data"]]
        return result

"""`/api/v1/tickets/{id}/comments`: public comments and staff-only internal notes."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import Blueprint, abort
from sqlalchemy import select

from admin_api.pagination import PaginationArgs, after_id, page
from admin_api.schemas.ticket_activity import CommentCreateSchema, CommentPageSchema
from admin_api.schemas.tickets import CommentSchema
from admin_api.security import current_principal, require
from admin_api.ticket_access import calling_user, require_reporter_or_staff, visible_ticket
from admin_api.ticket_errors import field_error
from admin_api.ticket_payloads import comment_payload
from core.messaging import notifications
from core.models import Comment, TicketEvent
from core.tickets.changes import record_first_response
from core.tickets.opening import clean_text
from web.request_session import request_session

blp = Blueprint(
    "comments",
    __name__,
    url_prefix="/api/v1/tickets",
    description="Comments on a ticket: public ones reach the reporter; internal notes never do.",
)
# What of a staff comment goes out by SMS/WhatsApp; the rest is on the ticket.
NOTIFICATION_EXCERPT = 300


@blp.route("/<int:ticket_id>/comments")
class Comments(MethodView):
    @require("ticket.read_own")
    @blp.arguments(PaginationArgs, location="query")
    @blp.response(200, CommentPageSchema)
    def get(self, args: dict[str, Any], ticket_id: int) -> dict[str, Any]:
        """Comments on a ticket, oldest first (internal notes for staff only)"""
        caller = calling_user()
        ticket = visible_ticket(ticket_id)
        query = select(Comment).where(Comment.ticket_id == ticket.id)
        if not caller.is_staff:
            query = query.where(Comment.is_internal.is_(False))
        after = after_id(args.get("cursor"))
        if after is not None:
            query = query.where(Comment.id > after)
        rows = request_session().scalars(query.order_by(Comment.id).limit(args["limit"] + 1))
        result = page(rows.all(), args["limit"], key=lambda c: (c.id,))
        result["data"] = [comment_payload(c, caller) for c in result["data"]]
        return result

    @require("comment.create")
    @blp.arguments(CommentCreateSchema)
    @blp.response(201, CommentSchema)
    def post(self, data: dict[str, Any], ticket_id: int) -> dict[str, Any]:
        """Comment on a ticket (citizens: their own reports); staff may add internal notes"""
        caller = calling_user()
        session = request_session()
        ticket = visible_ticket(ticket_id)
        if data["internal"] and not current_principal().can("comment.internal"):
            abort(403, message="internal notes are for staff")
        require_reporter_or_staff(caller, ticket, "comment on this ticket")
        body = clean_text(data["body"])
        if not body:
            field_error("body", "the comment is empty")
        comment = Comment(
            ticket_id=ticket.id, author_id=caller.id, body=body, is_internal=data["internal"]
        )
        session.add(comment)
        session.flush()
        session.add(
            TicketEvent(
                ticket_id=ticket.id,
                actor_id=caller.id,
                kind="internal_note" if comment.is_internal else "commented",
                data={"comment_id": comment.id},
            )
        )
        if caller.is_staff:
            record_first_response(ticket, caller)
            if not comment.is_internal:
                notifications.notify_ticket(
                    session, ticket, "staff_comment", comment=_excerpt(body)
                )
        session.commit()
        return comment_payload(comment, caller)


def _excerpt(body: str) -> str:
    if len(body) <= NOTIFICATION_EXCERPT:
        return body
    return body[: NOTIFICATION_EXCERPT - 1].rstrip() + "…"

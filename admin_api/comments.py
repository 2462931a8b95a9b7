"""`/api/v1/tickets/{id}/comments`: public comments and staff-only internal notes."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy import select

from admin_api.blueprint import ApiBlueprint
from admin_api.pagination import PaginationArgs, after_id, page
from admin_api.schemas.ticket_activity import CommentCreateSchema, CommentPageSchema
from admin_api.schemas.tickets import CommentSchema
from admin_api.security import current_principal, require
from admin_api.ticket_access import calling_user, visible_ticket
from admin_api.ticket_payloads import comment_payload
from core.models import Comment
from core.tickets.comments import add_comment
from web.request_session import request_session

blp = ApiBlueprint(
    "comments",
    __name__,
    url_prefix="/api/v1/tickets",
    description="Comments on a ticket: public ones reach the reporter; internal notes never do.",
)


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
        comment = add_comment(
            session, ticket, caller, data["body"], channel="api", internal=data["internal"]
        )
        session.commit()
        return comment_payload(comment, caller)

"""`/api/v1/tickets/{id}/…`: status transitions, the audit log, the chat thread
with the reporter, and following a ticket ("me too")."""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from sqlalchemy import select

from admin_api.blueprint import ApiBlueprint
from admin_api.pagination import PaginationArgs, after_id, page
from admin_api.schemas.tickets import (
    EventPageSchema,
    FollowSchema,
    MessagePageSchema,
    TicketDetailSchema,
    TransitionSchema,
)
from admin_api.security import require
from admin_api.ticket_access import calling_user, get_ticket, visible_ticket
from admin_api.ticket_errors import field_error
from admin_api.ticket_payloads import event_payload, thread_message_payload, ticket_detail
from core.messaging.thread import ticket_thread
from core.models import ApiKey, Ticket, TicketEvent, User
from core.tickets.escalations import request_escalation
from core.tickets.following import follow, unfollow
from core.tickets.workflow import apply_transition
from web.request_session import request_session

blp = ApiBlueprint(
    "ticket_workflow",
    __name__,
    url_prefix="/api/v1/tickets",
    description="Moving tickets through the workflow; audit log, chat thread, followers.",
)


@blp.route("/<int:ticket_id>/transitions")
class Transitions(MethodView):
    @require("ticket.transition")
    @blp.arguments(TransitionSchema)
    @blp.response(200, TicketDetailSchema)
    @blp.alt_response(409, description="Not a legal move from the current status")
    def post(self, data: dict[str, Any], ticket_id: int) -> dict[str, Any]:
        """Move a ticket to another status (errors list the allowed ones)"""
        caller = calling_user()
        session = request_session()
        ticket = visible_ticket(ticket_id, lock=True)
        duplicate_of = _duplicate_of(data, ticket)
        if data["to"] == "escalated":
            # The same request as POST /tickets/{id}/escalations: the note is the reason.
            request_escalation(session, ticket, caller, data.get("note"), field="note")
        else:
            apply_transition(
                session,
                ticket,
                data["to"],
                actor=caller,
                role=caller.role,
                note=data.get("note"),
                resolution=data.get("resolution"),
                duplicate_of=duplicate_of,
            )
        session.commit()
        return ticket_detail(session, ticket, caller)


def _duplicate_of(data: dict[str, Any], ticket: Ticket) -> Ticket | None:
    """The original of a duplicate; resolution and duplicate_of belong to closing only."""
    if data["to"] != "closed":
        for field in ("resolution", "duplicate_of"):
            if field in data:
                field_error(field, "only when closing a ticket")
        return None
    if "duplicate_of" not in data:
        if data.get("resolution") == "duplicate":
            field_error("duplicate_of", "a duplicate needs the id of the original ticket")
        return None
    if data.get("resolution") != "duplicate":
        field_error("duplicate_of", "only with resolution 'duplicate'")
    original = request_session().get(Ticket, data["duplicate_of"])
    if original is None:
        field_error("duplicate_of", "no such ticket")
    if original.id == ticket.id:
        field_error("duplicate_of", "a ticket cannot duplicate itself")
    return original


@blp.route("/<int:ticket_id>/events")
class Events(MethodView):
    @require("ticket.events")
    @blp.arguments(PaginationArgs, location="query")
    @blp.response(200, EventPageSchema)
    def get(self, args: dict[str, Any], ticket_id: int) -> dict[str, Any]:
        """The audit log of a ticket, oldest first (staff)"""
        caller = calling_user()
        ticket = visible_ticket(ticket_id)
        after = after_id(args.get("cursor"))
        query = (
            select(TicketEvent, User, ApiKey)
            .outerjoin(User, User.id == TicketEvent.actor_id)
            .outerjoin(ApiKey, ApiKey.id == TicketEvent.api_key_id)
            .where(TicketEvent.ticket_id == ticket.id)
        )
        if after is not None:
            query = query.where(TicketEvent.id > after)
        rows = request_session().execute(query.order_by(TicketEvent.id).limit(args["limit"] + 1))
        result = page(rows.all(), args["limit"], key=lambda row: (row[0].id,))
        result["data"] = [
            event_payload(event, actor, caller, key) for event, actor, key in result["data"]
        ]
        return result


@blp.route("/<int:ticket_id>/messages")
class Messages(MethodView):
    @require("ticket.messages")
    @blp.arguments(PaginationArgs, location="query")
    @blp.response(200, MessagePageSchema)
    def get(self, args: dict[str, Any], ticket_id: int) -> dict[str, Any]:
        """The ticket's thread, oldest first (staff): every message between the city and
        its reporter or a follower about it, with its delivery state"""
        caller = calling_user()
        ticket = visible_ticket(ticket_id)
        thread = ticket_thread(
            request_session(), ticket, after_id=after_id(args.get("cursor")), limit=args["limit"]
        )
        result = page(thread, args["limit"], key=lambda item: (item.message.id,))
        result["data"] = [thread_message_payload(item, caller) for item in result["data"]]
        return result


@blp.route("/<int:ticket_id>/follow")
class Follow(MethodView):
    @require("ticket.follow")
    @blp.response(201, FollowSchema)
    @blp.alt_response(200, schema=FollowSchema, description="Already following")
    @blp.alt_response(409, description="Closed, or the caller's own report")
    def post(self, ticket_id: int) -> tuple[dict[str, Any], int]:
        """Follow a ticket ("me too"): hear of its progress"""
        caller = calling_user()
        session = request_session()
        ticket = get_ticket(ticket_id, lock=True)
        if not follow(session, ticket, caller, channel="api"):
            return _follow_state(ticket, True), 200
        session.commit()
        return _follow_state(ticket, True), 201

    @require("ticket.follow")
    @blp.response(200, FollowSchema)
    def delete(self, ticket_id: int) -> dict[str, Any]:
        """Stop following a ticket"""
        caller = calling_user()
        session = request_session()
        ticket = visible_ticket(ticket_id, lock=True)
        if unfollow(session, ticket, caller):
            session.commit()
        return _follow_state(ticket, False)


def _follow_state(ticket: Ticket, following: bool) -> dict[str, Any]:
    return {"following": following, "followers_count": ticket.followers_count}

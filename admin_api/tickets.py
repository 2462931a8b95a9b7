"""`/api/v1/tickets`: open, list, read and change tickets; nearby search."""

from __future__ import annotations

from typing import Any

from flask import current_app
from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy import select
from sqlalchemy.orm import Session

from admin_api.blueprint import ApiBlueprint
from admin_api.category_filter import category_id
from admin_api.pagination import decode_cursor, invalid_cursor, page
from admin_api.schemas.tickets import (
    NearbyArgs,
    NearbyResultSchema,
    TicketCreateSchema,
    TicketDetailSchema,
    TicketListArgs,
    TicketPageSchema,
    TicketPatchSchema,
)
from admin_api.security import current_principal, require
from admin_api.ticket_access import NOT_FOUND, calling_user, visible_ticket
from admin_api.ticket_errors import field_error
from admin_api.ticket_filters import ticket_filters
from admin_api.ticket_payloads import category_ref, location, ticket_detail, ticket_summary
from core.errors import Refused
from core.geo import nearby_open_tickets
from core.models import Category, User
from core.people.phones import InvalidPhone, normalize_mobile
from core.people.users import create_user, find_by_phone
from core.tickets import changes
from core.tickets.location import set_address, set_location
from core.tickets.opening import open_ticket
from core.tickets.queries import BadCursor, list_tickets_query, public_number, ticket_by_number
from core.tickets.questions import InvalidAttributes, validate_attributes
from web.request_session import request_session

blp = ApiBlueprint(
    "tickets",
    __name__,
    url_prefix="/api/v1/tickets",
    description="Reports from citizens: open, find, read and work them.",
)


def _reporter_for(session: Session, data: dict[str, Any], caller: User) -> User:
    """The caller, or for staff the citizen named by `reporter_phone` (created if new)."""
    phone = data.get("reporter_phone")
    if phone is None:
        if caller.is_staff:
            field_error("reporter_phone", "staff file tickets for a citizen: give their phone")
        return caller
    if not current_principal().can("ticket.create_for_citizen"):
        abort(403, message="only staff may file a ticket for someone else")
    settings = current_app.config["SOSOFT"]
    try:
        e164 = normalize_mobile(phone, settings.ALLOWED_COUNTRIES)
        return find_by_phone(session, e164) or create_user(
            session, settings, phone=e164, full_name=data.get("reporter_name"), role="citizen"
        )
    except InvalidPhone as exc:
        field_error("reporter_phone", str(exc))
    except Refused as exc:
        raise exc.for_field(
            "reporter_name" if exc.field == "full_name" else "reporter_phone"
        ) from None


@blp.route("")
class Tickets(MethodView):
    @require("ticket.create")
    @blp.arguments(TicketCreateSchema)
    @blp.response(201, TicketDetailSchema)
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Open a ticket (a citizen, or staff for a citizen by `reporter_phone`)"""
        caller = calling_user()
        session = request_session()
        category = session.get(Category, data["category_id"])
        if category is None or (not category.is_active and not caller.is_staff):
            field_error("category_id", "no such category")
        reporter = _reporter_for(session, data, caller)
        try:
            attributes = validate_attributes(category.questions, data.get("attributes") or {})
        except InvalidAttributes as exc:
            abort(422, message=str(exc), errors={"json": {"attributes": exc.errors}})
        place = data.get("location") or {}
        ticket = open_ticket(
            session,
            current_app.config["SOSOFT"],
            category=category,
            description=data["description"],
            channel="api",
            reporter=reporter,
            actor=caller,
            lat=place.get("lat"),
            lon=place.get("lon"),
            address=data.get("address"),
            attributes=attributes,
            api_key_id=caller.acting_api_key_id,
        )
        session.commit()
        return ticket_detail(session, ticket, caller)

    @require("ticket.read_own")
    @blp.arguments(TicketListArgs, location="query")
    @blp.response(200, TicketPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """List tickets (citizens: the ones they reported or follow)"""
        caller = calling_user()
        if args.get("reporter") is not None and not caller.is_staff:
            abort(403, message="only staff may filter by reporter")
        after = decode_cursor(args.get("cursor"))
        try:
            query = list_tickets_query(
                ticket_filters(args, current_principal()),
                caller,
                sort=args["sort"],
                limit=args["limit"],
                after=after,
            )
        except BadCursor:
            invalid_cursor()
        rows = query.rows(request_session())
        result = page(rows, args["limit"], key=lambda row: query.order.key(*row))
        result["data"] = [ticket_summary(t, caller, d) for t, d in result["data"]]
        return result


@blp.route("/<int:ticket_id>")
class TicketById(MethodView):
    @require("ticket.read_own")
    @blp.response(200, TicketDetailSchema)
    def get(self, ticket_id: int) -> dict[str, Any]:
        """Everything about a ticket the caller may see"""
        ticket = visible_ticket(ticket_id)
        return ticket_detail(request_session(), ticket, calling_user())

    @require("ticket.update")
    @blp.arguments(TicketPatchSchema)
    @blp.response(200, TicketDetailSchema)
    def patch(self, data: dict[str, Any], ticket_id: int) -> dict[str, Any]:
        """Change priority, category (re-routes team and due time), team, assignee, or
        place the ticket (`location`, `address`)"""
        caller = calling_user()
        session = request_session()
        ticket = visible_ticket(ticket_id, lock=True)
        changed = changes.apply_changes(session, ticket, caller, data)
        if "location" in data:
            place = data["location"]
            changed |= set_location(
                session, current_app.config["SOSOFT"], ticket, caller,
                lat=place["lat"], lon=place["lon"], address=data.get("address"),
            )  # fmt: skip
        elif "address" in data:
            changed |= set_address(session, ticket, caller, data["address"])
        if changed:
            changes.record_first_response(ticket, caller)
            session.commit()
        return ticket_detail(session, ticket, caller)


@blp.route("/by-number/<string:number>")
class TicketByNumber(MethodView):
    @require("ticket.read_own")
    @blp.response(200, TicketDetailSchema)
    @blp.alt_response(404, description="No ticket of that number the caller may see")
    def get(self, number: str) -> dict[str, Any]:
        """The ticket a citizen names by its public number (`1001`, or `#1001` written
        `%231001`): the same answer, and the same 404s, as `GET /tickets/{id}`"""
        caller = calling_user()
        session = request_session()
        found = public_number(number)
        ticket = ticket_by_number(session, found, caller) if found is not None else None
        if ticket is None:
            abort(404, message=NOT_FOUND)
        return ticket_detail(session, ticket, caller)


@blp.route("/nearby")
class NearbyTickets(MethodView):
    @require("ticket.read_own")
    @blp.arguments(NearbyArgs, location="query")
    @blp.response(200, NearbyResultSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Open tickets within `radius_m` metres, nearest first ("is this already reported?")"""
        caller = calling_user()
        session = request_session()
        found = nearby_open_tickets(
            session,
            args["lat"],
            args["lon"],
            args["radius_m"],
            category_id=category_id(session, args.get("category")),
            limit=args["limit"],
        )
        # One query for the categories shown, instead of a lazy load per ticket.
        session.scalars(
            select(Category).where(Category.id.in_({t.category_id for t, _ in found}))
        ).all()
        return {"data": [_nearby_item(t, d, caller) for t, d in found]}


def _nearby_item(ticket: Any, distance_m: float, caller: User) -> dict[str, Any]:
    """What anyone may know of a stranger's open report; staff see the description too."""
    item = {
        "id": ticket.id,
        "number": ticket.number,
        "public_number": ticket.public_number,
        "status": ticket.status,
        "category": category_ref(ticket.category, caller.locale),
        "location": location(ticket),
        "distance_m": round(distance_m, 1),
        "followers_count": ticket.followers_count,
        "created_at": ticket.created_at,
    }
    if caller.is_staff:
        item["description"] = ticket.description
    return item

"""Query arguments of ticket lists -> `TicketFilters`, shared by the ticket list
and the exports so both accept and mean exactly the same filters."""

from __future__ import annotations

from typing import Any

from flask_smorest import abort

from admin_api.category_filter import category_id
from admin_api.security import Principal
from core.tickets.queries import TicketFilters
from web.request_session import request_session


def _check_ids(args: dict[str, Any]) -> None:
    """Ids beyond PostgreSQL's bigint match nothing; say so rather than fail."""
    for name in ("team", "assignee", "reporter"):
        value = args.get(name)
        if isinstance(value, int) and not 0 < value < 2**63:
            abort(422, message=f"no such {name}", errors={"query": {name: ["out of range"]}})


def ticket_filters(args: dict[str, Any], principal: Principal) -> TicketFilters:
    _check_ids(args)
    assignee = args.get("assignee")
    if assignee == "me":
        if principal.user is None:
            abort(422, message="an API key has no 'me'", errors={"query": {"assignee": ["me"]}})
        assignee = principal.user.id
    return TicketFilters(
        number=args.get("number"),
        statuses=tuple(args.get("status") or ()),
        priorities=tuple(args.get("priority") or ()),
        category_id=category_id(request_session(), args.get("category")),
        team_id=args.get("team"),
        channel=args.get("channel"),
        assignee=assignee,
        reporter_id=args.get("reporter"),
        created_from=args.get("created_from"),
        created_to=args.get("created_to"),
        overdue=args.get("overdue"),
        needs_location=args.get("needs_location"),
        q=args.get("q"),
        bbox=args.get("bbox"),
        near=args.get("near"),
        radius_m=args["radius_m"] if args.get("near") else None,
    )

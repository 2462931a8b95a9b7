"""The inbox: the tickets support works, filtered and sorted, with counts per
status, a search box taking `#1001` or text, and bulk actions on selected tickets."""

from __future__ import annotations

from typing import Any

from flask import Response, redirect, render_template, request, url_for
from sqlalchemy import func, select

from console.blueprint import bp, settings
from console.choices import choices
from console.i18n import t
from console.inbox_filters import INBOX_SORTS, decode_cursor, encode_cursor, inbox_view
from console.session import signed_in_user
from console.status_counts import status_counts
from core.models import Ticket
from core.models.tickets import OPEN_STATUSES, STATUSES
from core.tickets.queries import BadCursor, list_tickets_query
from web.request_session import request_session

MAX_ID = 2**63 - 1

PAGE_SIZE = 50


@bp.get("/")
def home() -> Response:
    return redirect(url_for("console.inbox"))


@bp.get("/inbox")
def inbox() -> str:
    user = signed_in_user()
    session = request_session()
    view = inbox_view(request.args, user)
    try:
        query = list_tickets_query(
            view.filters(user),
            user,
            sort=view.sort,
            after=decode_cursor(request.args.get("cursor")),
            limit=PAGE_SIZE,
        )
    except BadCursor:
        query = list_tickets_query(view.filters(user), user, sort=view.sort, limit=PAGE_SIZE)
    rows = query.rows(session)
    tickets = [ticket for ticket, _ in rows[:PAGE_SIZE]]
    next_cursor = None
    if len(rows) > PAGE_SIZE:
        next_cursor = encode_cursor(query.order.key(*rows[PAGE_SIZE - 1]))
    newest = session.scalar(select(func.max(Ticket.id))) or 0
    return render_template(
        "inbox.html",
        view=view,
        tickets=tickets,
        next_cursor=next_cursor,
        counts=status_counts(session),
        statuses=STATUSES,
        open_statuses=OPEN_STATUSES,
        sorts=INBOX_SORTS,
        choices=choices(session),
        newest_id=newest,
        poll_seconds=settings().CONSOLE_POLL_SECONDS,
        notice=request.args.get("done"),
        query_args=request.args,
    )


@bp.get("/inbox/poll")
def inbox_poll() -> dict[str, Any]:
    """What changed since the page was drawn: tickets newer than `after`, and the counts
    (cached: polling costs no count over the table)."""
    after = min(max(request.args.get("after", type=int) or 0, 0), MAX_ID)
    session = request_session()
    new = session.scalar(
        select(func.count()).select_from(
            select(Ticket.id).where(Ticket.id > after).limit(100).subquery()
        )
    )
    return {
        "new_tickets": new,
        "message": t("inbox.new_tickets", count=new) if new else "",
        "counts": status_counts(session),
    }

"""The ticket page: everything support needs to work one ticket, on one page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from flask import current_app, make_response, render_template, request
from sqlalchemy import select, text
from sqlalchemy.orm import joinedload

from console.blueprint import bp, settings
from console.choices import choices
from console.errors import not_found_page
from console.inbox import MAX_ID
from console.session import signed_in_user
from core.geo import lat_lon
from core.messaging.delivery_preview import reply_routes
from core.messaging.thread import ticket_thread
from core.models import Comment, Photo, Ticket, TicketEvent, User
from core.models.tickets import OPEN_STATUSES
from core.people.permissions import role_can
from core.tickets.escalations import pending_escalation
from core.tickets.questions import describe_answers
from core.tickets.views import mark_seen
from core.tickets.workflow import CLOSE_RESOLUTIONS, allowed_targets
from web.request_session import request_session

# The thread shown (and redrawn by one poll) at most: a long one's latest messages,
# the ones a desk answers; the API's thread pages through the rest.
THREAD_LIMIT = 200
# "Show the whole conversation": a bound all the same, for a number that wrote in a loop.
WHOLE_THREAD_LIMIT = 5000


def ticket_or_none(ticket_id: int, *, lock: bool = False) -> Ticket | None:
    if not 0 < ticket_id <= MAX_ID:
        return None
    if lock:
        return request_session().get(Ticket, ticket_id, with_for_update=True)
    # The page shows all four: one query rather than four.
    return request_session().scalar(
        select(Ticket)
        .where(Ticket.id == ticket_id)
        .options(
            joinedload(Ticket.category),
            joinedload(Ticket.team),
            joinedload(Ticket.assignee),
            joinedload(Ticket.reporter),
        )
    )


def moves_for(ticket: Ticket, user: User) -> list[str]:
    """The buttons: exactly the moves the workflow table allows this user from here."""
    if not role_can(user.role, "ticket.transition"):
        return []
    return allowed_targets(ticket.status, user.role, include_dedicated=False)


def _timeline(session: Any, ticket: Ticket) -> list[tuple[TicketEvent, User | None]]:
    rows = session.execute(
        select(TicketEvent, User)
        .outerjoin(User, User.id == TicketEvent.actor_id)
        .where(TicketEvent.ticket_id == ticket.id)
        .order_by(TicketEvent.id)
    )
    return [(event, actor) for event, actor in rows]


def _photos(session: Any, ticket: Ticket) -> list[dict[str, Any]]:
    storage = current_app.extensions["sosoft.storage"]
    photos = session.scalars(
        select(Photo).where(Photo.ticket_id == ticket.id).order_by(Photo.created_at, Photo.id)
    )
    return [{"photo": p, "url": storage.url(p.storage_key)} for p in photos]


@bp.get("/tickets/<int:ticket_id>")
def ticket_detail(ticket_id: int):
    user = signed_in_user()
    session = request_session()
    ticket = ticket_or_none(ticket_id)
    if ticket is None:
        return not_found_page()
    reporter = ticket.reporter
    comments = session.execute(
        select(Comment, User)
        .outerjoin(User, User.id == Comment.author_id)
        .where(Comment.ticket_id == ticket.id)
        .order_by(Comment.created_at, Comment.id)
    ).all()
    shown = WHOLE_THREAD_LIMIT if request.args.get("thread") == "all" else THREAD_LIMIT
    messages = ticket_thread(session, ticket, limit=shown, newest=True)
    earlier = len(messages) > shown
    messages = messages[-shown:]
    page = render_template(
        "ticket.html",
        ticket=ticket,
        reporter=reporter,
        answers=describe_answers(ticket.category.questions, ticket.attributes, user.locale),
        point=lat_lon(ticket.location) if ticket.location is not None else None,
        photos=_photos(session, ticket),
        messages=messages,
        earlier_messages=earlier,
        thread_limit=shown,
        last_message_id=messages[-1].message.id if messages else 0,
        comments=comments,
        timeline=_timeline(session, ticket),
        moves=moves_for(ticket, user),
        resolutions=CLOSE_RESOLUTIONS,
        is_open=ticket.status in OPEN_STATUSES,
        routes=reply_routes(session, settings(), ticket),
        reply_locale=reporter.locale if reporter else settings().DEFAULT_LOCALE,
        escalation=pending_escalation(session, ticket),
        can_escalate="escalated" in allowed_targets(ticket.status, user.role),
        choices=choices(session),
        bbox=settings().SERVICE_AREA_BBOX,
        tile_url=settings().CONSOLE_TILE_URL,
        tile_attribution=settings().CONSOLE_TILE_ATTRIBUTION,
        poll_seconds=settings().CONSOLE_POLL_SECONDS,
        poll_since=poll_mark(),
        notice=request.args.get("done"),
    )
    mark_seen(session, user, ticket)
    # Who looked last may be lost in a crash's last moment; no page view should wait
    # for the disk to say so.
    session.execute(text("SET LOCAL synchronous_commit TO OFF"))
    session.commit()
    return page


@bp.get("/tickets/<int:ticket_id>/thread")
def thread_since(ticket_id: int):
    """What the thread gained since the page's last poll: messages after `after` (to
    append) and earlier ones whose delivery state changed since `since` (to redraw).
    The page polls this instead of holding a connection open."""
    session = request_session()
    ticket = ticket_or_none(ticket_id)
    if ticket is None:
        return not_found_page()
    after = min(max(request.args.get("after", type=int) or 0, 0), MAX_ID)
    messages = ticket_thread(
        session, ticket, after_id=after, changed_since=_since(request.args.get("since")),
        limit=THREAD_LIMIT,
    )  # fmt: skip
    if any(item.message.id > after for item in messages):
        mark_seen(session, signed_in_user(), ticket)
        session.commit()
    response = make_response(render_template("_thread.html", messages=messages))
    response.headers["X-Thread-Since"] = poll_mark()
    return response


# A delivery state stamped in a transaction that began just before a poll's mark
# is still caught by the next poll; redrawing a message twice is harmless.
POLL_OVERLAP = timedelta(seconds=5)


def poll_mark() -> str:
    return (datetime.now(UTC) - POLL_OVERLAP).isoformat()


def _since(raw: str | None) -> datetime | None:
    try:
        since = datetime.fromisoformat(raw or "")
    except ValueError:
        return None
    return since if since.tzinfo is not None else None

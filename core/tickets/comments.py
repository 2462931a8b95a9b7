"""Commenting on a ticket: the reporter and staff add to it; staff may keep a note
internal. One function for the API, the bot's `#1001 …` and the console."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from core.errors import Forbidden, Refused
from core.messaging import notifications
from core.models import Comment, Ticket, User
from core.tickets.changes import record_first_response
from core.tickets.events import record_event
from core.tickets.following import is_following
from core.tickets.opening import clean_text

COMMENT_MAX = 2000
# What of a staff comment goes out by SMS/WhatsApp; the rest is on the ticket.
NOTIFICATION_EXCERPT = 300


def add_comment(
    session: Session,
    ticket: Ticket,
    author: User,
    body: str,
    *,
    channel: str,
    internal: bool = False,
    now: datetime | None = None,
) -> Comment:
    """Add a comment by `author`; a public one from staff reaches the reporter and the
    followers. Followers read a ticket but may not add to it. Raises Refused/Forbidden."""
    if internal and not author.is_staff:
        raise Forbidden("internal notes are for staff", code="internal_for_staff")
    if not (author.is_staff or ticket.reporter_id == author.id):
        raise Forbidden("only the reporter or staff may comment on this ticket", code="not_yours")
    comment = _write(session, ticket, author, body, channel=channel, internal=internal, now=now)
    text = comment.body
    if author.is_staff:
        record_first_response(ticket, author, now)
        if not internal:
            notifications.notify_ticket(session, ticket, "staff_comment", comment=excerpt(text))
    return comment


def add_followers_report(
    session: Session,
    ticket: Ticket,
    follower: User,
    body: str,
    *,
    channel: str,
    now: datetime | None = None,
) -> Comment:
    """Keep what a follower reported about the same problem (the bot's duplicate offer)
    as an internal note: staff read it, no citizen does, so neither the reporter nor
    other followers learn who she is. Raises Refused/Forbidden."""
    if not is_following(session, ticket, follower):
        raise Forbidden("only a follower's report is kept on a ticket", code="not_following")
    return _write(session, ticket, follower, body, channel=channel, internal=True, now=now)


def _write(
    session: Session,
    ticket: Ticket,
    author: User,
    body: str,
    *,
    channel: str,
    internal: bool,
    now: datetime | None,
) -> Comment:
    text = clean_text(body)
    if not text:
        raise Refused("the comment is empty", field="body", code="comment_empty")
    if len(text) > COMMENT_MAX:
        raise Refused(
            f"at most {COMMENT_MAX} characters", field="body",
            code="comment_long", params={"limit": COMMENT_MAX},
        )  # fmt: skip
    comment = Comment(
        ticket_id=ticket.id, author_id=author.id, api_key_id=author.acting_api_key_id,
        body=text, is_internal=internal,
    )  # fmt: skip
    if now is not None:
        comment.created_at = now
    session.add(comment)
    session.flush()
    record_event(
        session, ticket, "internal_note" if internal else "commented", actor=author, now=now,
        comment_id=comment.id, channel=channel,
    )  # fmt: skip
    return comment


def excerpt(body: str) -> str:
    if len(body) <= NOTIFICATION_EXCERPT:
        return body
    return body[: NOTIFICATION_EXCERPT - 1].rstrip() + "…"

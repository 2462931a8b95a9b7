"""A ticket's thread: every message between the city and the people of a ticket (its
reporter, its followers) about it, in the order they were written.

A message is about a ticket when its row names the ticket: notifications are written
so, and the bot writes the ticket an inbound message acted on (a report, a comment
"#1001 ...", a rating, a photo, a status question) onto that message.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.models import Message, Ticket, User

# Delivery states that mean the message never reached the citizen: the row says why.
NOT_DELIVERED = frozenset({"skipped", "failed", "undelivered"})


@dataclass(frozen=True)
class ThreadMessage:
    message: Message
    # Who is on the citizen's side: "reporter", "follower" (or someone who followed
    # once), or None when the row no longer names a person (erased, or never known).
    party: str | None
    user: User | None

    @property
    def reason(self) -> str | None:
        """Why a message was not delivered (None for one on its way or delivered)."""
        return self.message.error_message if self.message.status in NOT_DELIVERED else None

    @property
    def reply(self) -> str | None:
        """What the bot answered an inbound message, as the citizen read it."""
        return reply_text(self.message.reply) if self.message.direction == "inbound" else None


def ticket_thread(
    session: Session,
    ticket: Ticket,
    *,
    after_id: int | None = None,
    limit: int = 50,
    changed_since: datetime | None = None,
    newest: bool = False,
) -> list[ThreadMessage]:
    """The thread oldest first, from after message `after_id`; `limit + 1` messages at
    most, so the caller can tell whether there is more. `changed_since` adds the
    earlier messages whose row changed since (a delivery state: sent, delivered,
    failed), for a page that redraws them. `newest`: the last `limit + 1` messages
    instead of the first (still oldest first), the extra one the earliest."""
    query = (
        select(Message, User)
        .outerjoin(User, User.id == Message.user_id)
        .where(Message.ticket_id == ticket.id)
    )
    if after_id is not None:
        news = Message.id > after_id
        if changed_since is not None:
            news = or_(news, Message.updated_at > changed_since)
        query = query.where(news)
    if newest:
        rows = session.execute(query.order_by(Message.id.desc()).limit(limit + 1)).all()
        rows.reverse()
    else:
        rows = session.execute(query.order_by(Message.id).limit(limit + 1)).all()
    return [ThreadMessage(message, _party(ticket, user), user) for message, user in rows]


def _party(ticket: Ticket, user: User | None) -> str | None:
    if user is None:
        return None
    return "reporter" if user.id == ticket.reporter_id else "follower"


def reply_text(twiml: str | None) -> str | None:
    """The text of a TwiML reply the bot wrote (None when it said nothing)."""
    if not twiml:
        return None
    try:
        root = ET.fromstring(twiml)  # noqa: S314 - the bot's own reply, never a caller's
    except ET.ParseError:
        return None
    text = "\n".join(element.text or "" for element in root.iter("Message"))
    return text or None

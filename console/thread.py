"""The conversation with the reporter about one ticket, as the ticket page shows it:
every inbound message about the ticket and every outbound one with its delivery
state (the same rows as GET /api/v1/tickets/{id}/messages)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.models import Message, Ticket

THREAD_LIMIT = 200


def thread_messages(
    session: Session, ticket: Ticket, after_id: int = 0, changed_since: datetime | None = None
) -> list[Message]:
    """The thread after message `after_id`, and with `changed_since` also the earlier
    messages whose delivery state changed since then (sent, delivered, read, failed)."""
    news = Message.id > after_id
    if changed_since is not None:
        news = or_(news, Message.updated_at > changed_since)
    query = select(Message).where(
        Message.ticket_id == ticket.id,
        or_(Message.user_id.is_(None), Message.user_id == ticket.reporter_id),
        news,
    )
    # The newest THREAD_LIMIT, shown oldest first.
    newest = list(session.scalars(query.order_by(Message.id.desc()).limit(THREAD_LIMIT)))
    return newest[::-1]

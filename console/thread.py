"""The conversation with the reporter about one ticket, as the ticket page shows it:
every inbound message about the ticket and every outbound one with its delivery
state (the same rows as GET /api/v1/tickets/{id}/messages)."""

from __future__ import annotations

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.models import Message, Ticket

THREAD_LIMIT = 200


def thread_messages(session: Session, ticket: Ticket, after_id: int = 0) -> list[Message]:
    query = select(Message).where(
        Message.ticket_id == ticket.id,
        or_(Message.user_id.is_(None), Message.user_id == ticket.reporter_id),
        Message.id > after_id,
    )
    # The newest THREAD_LIMIT, shown oldest first.
    newest = list(session.scalars(query.order_by(Message.id.desc()).limit(THREAD_LIMIT)))
    return newest[::-1]

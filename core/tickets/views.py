"""Who last looked at a ticket: staff opening a ticket's page is recorded, so the
inbox can show the tickets a citizen wrote about since staff last looked."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import ColumnElement, and_, exists, func, or_, select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from core.models import Comment, Message, Ticket, TicketView, User


def mark_seen(session: Session, user: User, ticket: Ticket, now: datetime | None = None) -> None:
    """`user` has just looked at `ticket` (one row per user and ticket, kept current)."""
    now = now or datetime.now(UTC)
    session.execute(
        insert(TicketView)
        .values(user_id=user.id, ticket_id=ticket.id, seen_at=now)
        .on_conflict_do_update(
            index_elements=[TicketView.user_id, TicketView.ticket_id], set_={"seen_at": now}
        )
    )


def last_looked(session: Session, ticket: Ticket) -> datetime | None:
    """When any staff member last opened `ticket`."""
    return session.scalar(
        select(func.max(TicketView.seen_at)).where(TicketView.ticket_id == ticket.id)
    )


def citizen_wrote_since_staff_looked() -> ColumnElement[bool]:
    """A ticket the citizen wrote about (a chat message, or a comment of the reporter)
    after the last time any staff member looked at it, or that no one has looked at."""
    looked = (
        select(func.max(TicketView.seen_at))
        .where(TicketView.ticket_id == Ticket.id)
        .correlate(Ticket)
        .scalar_subquery()
    )
    since = func.coalesce(looked, func.to_timestamp(0))
    wrote = exists().where(
        Message.ticket_id == Ticket.id,
        Message.direction == "inbound",
        Message.created_at > since,
    )
    commented = exists().where(
        and_(
            Comment.ticket_id == Ticket.id,
            Comment.author_id == Ticket.reporter_id,
            Comment.created_at > since,
        )
    )
    return or_(wrote, commented)

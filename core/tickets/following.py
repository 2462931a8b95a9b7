"""Following a ticket ("me too"): a citizen hears of a problem someone else
reported. One function for the API, the bot's duplicate offer and the console."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from core.errors import Conflict
from core.models import Ticket, TicketFollower, User
from core.models.tickets import OPEN_STATUSES
from core.tickets.events import record_event


def is_following(session: Session, ticket: Ticket, user: User) -> bool:
    return session.get(TicketFollower, (ticket.id, user.id)) is not None


def follow(
    session: Session, ticket: Ticket, user: User, *, channel: str, now: datetime | None = None
) -> bool:
    """Start following; True when `user` was not following yet. The caller holds the
    ticket's row lock (the count). Raises Conflict for one's own or a finished ticket."""
    if ticket.reporter_id == user.id:
        raise Conflict("you reported this ticket; you hear of it already", code="follow_own")
    if is_following(session, ticket, user):
        return False
    if ticket.status not in OPEN_STATUSES:
        raise Conflict(
            f"this ticket is {ticket.status}; there is nothing left to follow",
            code="follow_done", params={"status": ticket.status},
        )  # fmt: skip
    added = session.execute(
        insert(TicketFollower)
        .values(ticket_id=ticket.id, user_id=user.id)
        .on_conflict_do_nothing()
        .returning(TicketFollower.ticket_id)
    ).first()
    if added is None:
        return False
    ticket.followers_count += 1
    record_event(session, ticket, "follower_added", actor=user, now=now, channel=channel)
    return True


def unfollow(session: Session, ticket: Ticket, user: User) -> bool:
    """Stop following; True when `user` was following."""
    follower = session.get(TicketFollower, (ticket.id, user.id))
    if follower is None:
        return False
    session.delete(follower)
    ticket.followers_count = max(0, ticket.followers_count - 1)
    return True

"""Erasing citizens: what SİL/DELETE asks for in the chat, and what retention does to
a citizen silent for RETENTION_DAYS. One function for both, so the promise in the
welcome's privacy notice is kept the same way whichever way it comes due."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import bindparam, delete, func, or_, select, update
from sqlalchemy.orm import Session

from core.models import Conversation, Message, Ticket, TicketFollower, User
from core.people.users import erased_values
from core.tickets.contact import forget_contacts


def erase_citizens(
    session: Session, user_ids: Collection[int], now: datetime, *, addresses: Collection[str] = ()
) -> None:
    """Name and numbers become an anonymous marker, never messaged or signed in again;
    their conversations and every message text to or from them go; they follow
    nothing any more. Their tickets stay, anonymous. `addresses`: numbers of the same
    person that may have written before they registered (the chat's sender)."""
    ids = bindparam("ids", list(user_ids), expanding=True)
    numbers = bindparam("numbers", list(addresses), expanding=True)
    session.flush()
    session.execute(
        update(Message)
        .where(or_(Message.user_id.in_(ids), Message.address.in_(numbers)))
        .values(body=None, address=None, media=[], content_variables=None)
        .execution_options(synchronize_session=False)
    )
    session.execute(
        delete(Conversation).where(
            or_(Conversation.user_id.in_(ids), Conversation.address.in_(numbers))
        )
    )
    _stop_following(session, ids)
    # Tickets filed for them by an integration (Open311) forget their number too.
    forget_contacts(session, select(User.phone).where(User.id.in_(ids)))
    if addresses:
        forget_contacts(session, list(addresses))
    session.execute(
        update(User)
        .where(User.id.in_(ids))
        .values(erased_values(now))
        .execution_options(synchronize_session=False)
    )
    # Loaded rows still hold the old values: read them again if anything looks.
    for user in session.identity_map.values():
        if isinstance(user, User) and user.id in user_ids:
            session.expire(user)


def _stop_following(session: Session, ids) -> None:
    erased_followers = (
        select(func.count())
        .where(TicketFollower.ticket_id == Ticket.id, TicketFollower.user_id.in_(ids))
        .scalar_subquery()
    )
    session.execute(
        update(Ticket)
        .where(
            Ticket.id.in_(select(TicketFollower.ticket_id).where(TicketFollower.user_id.in_(ids)))
        )
        .values(followers_count=func.greatest(Ticket.followers_count - erased_followers, 0))
        .execution_options(synchronize_session=False)
    )
    session.execute(delete(TicketFollower).where(TicketFollower.user_id.in_(ids)))

"""Which ticket a caller may touch: object-level authorization in one place.

Staff see every ticket; a citizen sees those they reported or follow. Anything
else is answered 404, so a ticket's existence is not revealed to strangers.
"""

from __future__ import annotations

from flask_smorest import abort
from sqlalchemy import select
from sqlalchemy.orm import Session

from admin_api.schemas.tickets import MAX_ID
from admin_api.security import current_principal
from core.models import Ticket, TicketFollower, User
from web.request_session import request_session

NOT_FOUND = "ticket not found"


def calling_user() -> User:
    """The signed-in user, or the support user a key with a `tickets:*` scope acts as;
    other API keys have no person behind them for these endpoints."""
    user = current_principal().acting_user()
    if user is None:
        abort(403, message="this operation needs a user's sign-in, not an API key")
    return user


def is_following(session: Session, user: User, ticket: Ticket) -> bool:
    return (
        session.scalar(
            select(TicketFollower.user_id).where(
                TicketFollower.ticket_id == ticket.id, TicketFollower.user_id == user.id
            )
        )
        is not None
    )


def can_see(session: Session, user: User, ticket: Ticket) -> bool:
    return user.is_staff or ticket.reporter_id == user.id or is_following(session, user, ticket)


def get_ticket(ticket_id: int, *, lock: bool = False) -> Ticket:
    """Any existing ticket (for "me too" on a stranger's report); 404 when missing."""
    if not 0 < ticket_id <= MAX_ID:
        abort(404, message=NOT_FOUND)
    ticket = request_session().get(Ticket, ticket_id, with_for_update=lock or None)
    if ticket is None:
        abort(404, message=NOT_FOUND)
    return ticket


def visible_ticket(ticket_id: int, *, lock: bool = False) -> Ticket:
    """The ticket if the caller may see it, else 404. `lock` takes a row lock for
    changes, so two concurrent moves of one ticket are serialised."""
    user = calling_user()
    ticket = get_ticket(ticket_id, lock=lock)
    if not can_see(request_session(), user, ticket):
        abort(404, message=NOT_FOUND)
    return ticket


def require_reporter_or_staff(user: User, ticket: Ticket, action: str) -> None:
    """Followers see a ticket but may not add to it."""
    if not (user.is_staff or ticket.reporter_id == user.id):
        abort(403, message=f"only the reporter or staff may {action}")

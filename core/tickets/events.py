"""The audit log's one writer: every change to a ticket records a `TicketEvent` here,
so who did what reads the same whichever channel the change came through.

The ticket must be in the database already (flushed): the event's row is written at
once, not at the next flush."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from core.direct_rows import insert_now
from core.models import Ticket, TicketEvent, User


def record_event(
    session: Session,
    ticket: Ticket,
    kind: str,
    *,
    actor: User | None,
    frm: object = None,
    to: object = None,
    now: datetime | None = None,
    api_key_id: int | None = None,
    **data: object,
) -> TicketEvent:
    """Add one event; `data` keeps only the values that are set. An integration's key
    is the actor when `actor` is the support user it acts as, or when no user acted
    and `api_key_id` names the key that did (an Open311 filing)."""
    event = TicketEvent(
        ticket_id=ticket.id,
        actor_id=actor.id if actor else None,
        api_key_id=(actor.acting_api_key_id if actor else None) or api_key_id,
        kind=kind,
        from_value=None if frm is None else str(frm),
        to_value=None if to is None else str(to),
        data={key: value for key, value in data.items() if value is not None},
    )
    # Without a time the database's default stamps it, like every other row.
    if now is not None:
        event.created_at = now
    # Written at once rather than at the next flush: every change writes one, and a
    # flush of it alone costs several times the INSERT (core.direct_rows).
    return insert_now(session, event)

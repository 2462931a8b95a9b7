"""A ticket's contact: the phone and email an integration (an Open311 client) gave
for the person it filed for.

A number sent by an API-key holder proves nothing about who owns it, so it never
becomes an account and never makes anyone the ticket's reporter. It is kept for staff
(to call back), and SoSoft texts it only when it already knows the number as a
citizen who consented in the chat: then once per filing, saying which integration
filed it and how to stop our messages, and at most OPEN311_TEXTS_PER_NUMBER_PER_DAY
times in 24 hours, so no key can make SoSoft pester a number.
"""

from __future__ import annotations

from sqlalchemy import Select, func, select, update
from sqlalchemy.orm import Session

from core.config import Settings
from core.messaging.notifications import queue_message
from core.messaging.texts import render
from core.models import ApiKey, Message, Ticket, User

FILED_FOR_YOU = "filed_for_you"
# An integration's name as it appears in the text (API key names are up to 120).
MAX_INTEGRATION_NAME = 60


def tell_contact(session: Session, settings: Settings, ticket: Ticket) -> Message | None:
    """Queue the "filed for you" text to the ticket's contact, if they may hear it."""
    if ticket.contact_phone is None:
        return None
    # Locked: two filings for one number at once are counted one after the other.
    citizen = session.scalar(
        select(User)
        .where(User.phone == ticket.contact_phone, User.role == "citizen")
        .with_for_update()
    )
    if citizen is None or citizen.consent_at is None:
        return None
    if _texts_today(session, ticket.contact_phone) >= settings.OPEN311_TEXTS_PER_NUMBER_PER_DAY:
        return None
    key = session.get(ApiKey, ticket.api_key_id) if ticket.api_key_id else None
    integration = (key.name if key else "Open311")[:MAX_INTEGRATION_NAME]
    body = render(FILED_FOR_YOU, citizen.locale, number=ticket.number, integration=integration)
    return queue_message(session, citizen, FILED_FOR_YOU, body, ticket=ticket)


def _texts_today(session: Session, phone: str) -> int:
    return session.scalar(
        select(func.count(Message.id)).where(
            Message.address == phone,
            Message.kind == FILED_FOR_YOU,
            Message.created_at > func.now() - func.make_interval(0, 0, 0, 1),
        )
    )


def forget_contacts(session: Session, phones: list[str] | Select) -> int:
    """Tickets whose contact is one of `phones` forget it, the email given with it
    too (the citizen erased their data, or retention erased them); returns how many did."""
    return session.execute(
        update(Ticket)
        .where(Ticket.contact_phone.in_(phones))
        .values(contact_phone=None, contact_email=None)
        .execution_options(synchronize_session=False)
    ).rowcount

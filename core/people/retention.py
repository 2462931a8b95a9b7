"""Retention: what the welcome promises. Citizens' personal data on tickets closed
RETENTION_DAYS ago is forgotten, dormant citizens are erased as if they had sent SİL,
and used or expired sign-in codes, refresh tokens and console sessions are purged. Run daily by Celery
beat through tasks/sweeps.py; each step is idempotent, so a rerun after a crash
finishes the job. Returns counts, never personal data.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import bindparam, delete, exists, func, or_, select, text, update
from sqlalchemy.orm import Session

from core.config import Settings
from core.db import SWEEP_BATCH, Database
from core.models import (
    ConsoleSession,
    Conversation,
    Feedback,
    Message,
    OtpCode,
    Photo,
    RefreshToken,
    Ticket,
    TicketFollower,
    User,
)
from core.people.erasure import erase_citizens
from core.storage import Storage

log = logging.getLogger(__name__)


def retain(
    database: Database, settings: Settings, storage: Storage, now: datetime
) -> dict[str, int]:
    """Forget citizens' personal data on tickets closed RETENTION_DAYS ago; purge old codes."""
    cutoff = now - timedelta(days=settings.RETENTION_DAYS)
    old_ticket = select(Ticket.id).where(Ticket.closed_at < cutoff)
    counts: dict[str, int] = {}
    with database.transaction() as session:
        counts["tickets_anonymised"] = _anonymise_tickets(session, old_ticket)
        counts["messages_cleared"] = session.execute(
            update(Message)
            .where(
                or_(Message.ticket_id.in_(old_ticket), Message.created_at < cutoff),
                or_(Message.body.is_not(None), Message.address.is_not(None)),
            )
            .values(body=None, address=None, media=[])
            .execution_options(synchronize_session=False)
        ).rowcount
        counts["photos_deleted"] = _delete_photos(session, storage, old_ticket)
        counts["citizens_erased"] = _erase_dormant_citizens(session, cutoff, now)
        counts["conversations_deleted"] = session.execute(
            delete(Conversation).where(
                Conversation.user_id.is_(None),
                func.coalesce(Conversation.last_inbound_at, Conversation.updated_at) < cutoff,
            )
        ).rowcount
        counts["otp_codes_purged"] = session.execute(
            delete(OtpCode).where(or_(OtpCode.used_at.is_not(None), OtpCode.expires_at < now))
        ).rowcount
        counts["refresh_tokens_purged"] = session.execute(
            delete(RefreshToken).where(RefreshToken.expires_at < now)
        ).rowcount
        # A signed-out or expired browser session signs no one in again: nothing to keep.
        counts["console_sessions_purged"] = session.execute(
            delete(ConsoleSession).where(
                or_(ConsoleSession.ended_at.is_not(None), ConsoleSession.expires_at < now)
            )
        ).rowcount
    log.info("retention (%d days): %s", settings.RETENTION_DAYS, counts)
    return counts


def _anonymise_tickets(session: Session, old_ticket) -> int:
    ids = list(
        session.scalars(
            select(Ticket.id)
            .where(
                Ticket.id.in_(old_ticket),
                or_(
                    Ticket.reporter_id.is_not(None),
                    Ticket.contact_phone.is_not(None),
                    Ticket.contact_email.is_not(None),
                    Ticket.source_details != text("'{}'::jsonb"),
                    exists().where(TicketFollower.ticket_id == Ticket.id),
                ),
            )
            .limit(SWEEP_BATCH * 10)
            .with_for_update(skip_locked=True)
        )
    )
    if not ids:
        return 0
    in_ids = bindparam("ids", ids, expanding=True)
    session.execute(
        update(Ticket)
        .where(Ticket.id.in_(in_ids))
        .values(reporter_id=None, contact_phone=None, contact_email=None, source_details={})
        .execution_options(synchronize_session=False)
    )
    session.execute(delete(TicketFollower).where(TicketFollower.ticket_id.in_(in_ids)))
    session.execute(
        update(Feedback)
        .where(Feedback.ticket_id.in_(in_ids))
        .values(user_id=None, comment=None)
        .execution_options(synchronize_session=False)
    )
    return len(ids)


def _erase_dormant_citizens(session: Session, cutoff: datetime, now: datetime) -> int:
    """Citizens silent for RETENTION_DAYS are erased as if they had sent SİL (the
    welcome promises their number and name are kept that long): no message, sign-in,
    ticket or rating since the cutoff, and no ticket of theirs still linked to them
    (`_anonymise_tickets` unlinks the old closed ones first). Their conversation goes."""
    active_since_cutoff = or_(
        # Signed up or signed in since (never signed in: last_login_at is NULL, which
        # would make the whole condition NULL; sign-in is never before sign-up).
        func.coalesce(User.last_login_at, User.created_at) >= cutoff,
        exists().where(Message.user_id == User.id, Message.created_at >= cutoff),
        exists().where(Ticket.reporter_id == User.id),
        exists().where(Feedback.user_id == User.id, Feedback.created_at >= cutoff),
    )
    ids = list(
        session.scalars(
            select(User.id)
            .where(User.role == "citizen", User.erased_at.is_(None), ~active_since_cutoff)
            .limit(SWEEP_BATCH * 10)
            .with_for_update(skip_locked=True)
        )
    )
    if not ids:
        return 0
    erase_citizens(session, ids, now)
    return len(ids)


def _delete_photos(session: Session, storage: Storage, old_ticket) -> int:
    photos = session.scalars(
        select(Photo)
        .where(Photo.ticket_id.in_(old_ticket))
        .limit(SWEEP_BATCH * 10)
        .with_for_update(skip_locked=True)
    ).all()
    for photo in photos:
        # Deleting a missing object succeeds (both storages), so a rerun after a crash
        # between here and the commit just deletes the rows.
        storage.delete(photo.storage_key)
        session.delete(photo)
    return len(photos)

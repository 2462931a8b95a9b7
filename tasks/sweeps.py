"""Periodic sweeps run by Celery beat (schedule in tasks/celery_app.py).

Each is safe to run twice and on several machines at once: rows are taken with
`FOR UPDATE SKIP LOCKED` and changed only when still in the state that selected them,
so a second run finds nothing left to do. Each returns (and logs) counts, never
personal data.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from celery import shared_task
from sqlalchemy import bindparam, delete, exists, func, or_, select, text, update
from sqlalchemy.orm import Session

from core import jobs
from core.config import Settings
from core.conversations.expiry import expire_stale_drafts
from core.db import Database
from core.messaging.notifications import queue_message
from core.messaging.texts import render
from core.models import (
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
from core.models.tickets import OPEN_STATUSES, PRIORITIES
from core.people.erasure import erase_citizens
from core.storage import Storage
from core.tickets.events import record_event
from core.tickets.workflow import apply_transition
from tasks.context import SoSoftTask
from tasks.notifications import LOST_IN_SENDING, SEND_TASK

log = logging.getLogger(__name__)

BATCH = 500
RELAY_BATCHES = 20


def _now() -> datetime:
    return datetime.now(UTC)


# --- outbox relay ---------------------------------------------------------------------


@shared_task(name="tasks.sweeps.relay_outbox", bind=True, ignore_result=True)
def relay_outbox(self: SoSoftTask) -> dict[str, int]:
    return relay(self.database, self.settings)


def relay(database: Database, settings: Settings) -> dict[str, int]:
    """Re-enqueue outbox rows pending too long, and rows a dead worker left in `sending`."""
    counts = {"recovered": 0, "relayed": 0, "unsent": 0}
    for _ in range(RELAY_BATCHES):
        with database.transaction() as session:
            recovered = _recover_stale_sending(session, settings)
            pending = _take_pending(session, settings)
        ids = recovered + pending
        counts["recovered"] += len(recovered)
        sent = _enqueue_all(settings, ids)
        counts["relayed"] += sent
        counts["unsent"] += len(ids) - sent
        if sent < len(ids) or len(pending) < BATCH:
            break
    if any(counts.values()):
        log.info("outbox relay: %s", counts)
    return counts


def _recover_stale_sending(session: Session, settings: Settings) -> list[int]:
    # No SID means we never stored Twilio's answer; the send task checks with Twilio
    # before sending such a row again (see tasks/notifications.py).
    return list(
        session.scalars(
            text(
                "UPDATE messages SET status = 'pending', error_message = :lost, updated_at = now()"
                " WHERE id IN (SELECT id FROM messages WHERE direction = 'outbound'"
                "   AND status = 'sending' AND twilio_sid IS NULL"
                "   AND updated_at < now() - make_interval(secs => :stale)"
                "   ORDER BY id LIMIT :batch FOR UPDATE SKIP LOCKED)"
                " RETURNING id"
            ),
            {"lost": LOST_IN_SENDING, "stale": settings.SENDING_STALE_SECONDS, "batch": BATCH},
        )
    )


def _take_pending(session: Session, settings: Settings) -> list[int]:
    # Touching updated_at hands each row to one relay run only, even with several beats.
    return list(
        session.scalars(
            text(
                "UPDATE messages SET updated_at = now()"
                " WHERE id IN (SELECT id FROM messages WHERE direction = 'outbound'"
                "   AND status = 'pending' AND updated_at < now() - make_interval(secs => :after)"
                "   ORDER BY id LIMIT :batch FOR UPDATE SKIP LOCKED)"
                " RETURNING id"
            ),
            {"after": settings.OUTBOX_RELAY_AFTER_SECONDS, "batch": BATCH},
        )
    )


def _enqueue_all(settings: Settings, ids: list[int]) -> int:
    for done, message_id in enumerate(sorted(ids)):
        if not jobs.enqueue(settings, SEND_TASK, message_id):
            return done  # Redis still away; the rows wait for the next run
    return len(ids)


# --- conversation expiry --------------------------------------------------------------


@shared_task(name="tasks.sweeps.expire_conversations", bind=True, ignore_result=True)
def expire_conversations(self: SoSoftTask) -> int:
    with self.database.transaction() as session:
        expired = expire_stale_drafts(session, self.settings, _now())
    return int(expired or 0)


# --- SLA breaches -----------------------------------------------------------------------


@shared_task(name="tasks.sweeps.flag_sla_breaches", bind=True, ignore_result=True)
def flag_sla_breaches(self: SoSoftTask) -> int:
    return flag_breaches(self.database, self.settings, _now())


def next_priority(priority: str) -> str:
    index = PRIORITIES.index(priority)
    return PRIORITIES[min(index + 1, len(PRIORITIES) - 1)]


def flag_breaches(database: Database, settings: Settings, now: datetime) -> int:
    """Open tickets past due: mark breached once, bump priority, alert opted-in managers."""
    with database.transaction() as session:
        tickets = session.scalars(
            select(Ticket)
            .where(
                Ticket.status.in_(OPEN_STATUSES),
                Ticket.due_at < now,
                Ticket.sla_breached_at.is_(None),
            )
            .order_by(Ticket.due_at)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        ).all()
        for ticket in tickets:
            _breach(session, settings, ticket, now)
    if tickets:
        log.info("SLA sweep: %d ticket(s) breached", len(tickets))
    return len(tickets)


def _breach(session: Session, settings: Settings, ticket: Ticket, now: datetime) -> None:
    before = ticket.priority
    ticket.sla_breached_at = now
    ticket.priority = next_priority(before)
    record_event(
        session, ticket, "sla_breached", actor=None, frm=before, to=ticket.priority, now=now,
        due_at=ticket.due_at.isoformat() if ticket.due_at else None,
    )  # fmt: skip
    due = ticket.due_at.astimezone(ZoneInfo(settings.CITY_TIMEZONE)) if ticket.due_at else now
    for manager in _alerted_managers(session, ticket):
        body = render(
            "sla_breached",
            manager.locale,
            number=ticket.number,
            category=ticket.category.name(manager.locale),
            due=due.strftime("%d.%m.%Y %H:%M"),
        )
        queue_message(session, manager, "sla_breached", body, ticket=ticket, channel="sms")


def _alerted_managers(session: Session, ticket: Ticket) -> list[User]:
    """Managers who asked for SLA alerts: those of the ticket's team and city-wide ones."""
    return list(
        session.scalars(
            select(User).where(
                User.role == "manager",
                User.sla_alerts.is_(True),
                User.is_active.is_(True),
                or_(User.team_id.is_(None), User.team_id == ticket.team_id),
            )
        )
    )


# --- auto-close -------------------------------------------------------------------------


@shared_task(name="tasks.sweeps.auto_close_resolved", bind=True, ignore_result=True)
def auto_close_resolved(self: SoSoftTask) -> int:
    return auto_close(self.database, self.settings, _now())


def auto_close(database: Database, settings: Settings, now: datetime) -> int:
    """Close tickets resolved AUTO_CLOSE_DAYS ago that nobody said were not fixed."""
    cutoff = now - timedelta(days=settings.AUTO_CLOSE_DAYS)
    not_fixed = exists().where(Feedback.ticket_id == Ticket.id, Feedback.fixed.is_(False))
    with database.transaction() as session:
        tickets = session.scalars(
            select(Ticket)
            .where(Ticket.status == "resolved", Ticket.resolved_at < cutoff, ~not_fixed)
            .order_by(Ticket.id)
            .limit(BATCH)
            .with_for_update(skip_locked=True)
        ).all()
        for ticket in tickets:
            apply_transition(
                session,
                ticket,
                "closed",
                actor=None,
                role="system",
                note=f"closed automatically {settings.AUTO_CLOSE_DAYS} days after resolution",
                now=now,
            )
    if tickets:
        log.info("auto-close: %d ticket(s) closed", len(tickets))
    return len(tickets)


# --- retention --------------------------------------------------------------------------


@shared_task(name="tasks.sweeps.apply_retention", bind=True, ignore_result=True)
def apply_retention(self: SoSoftTask) -> dict[str, int]:
    return retain(self.database, self.settings, self.storage, _now())


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
                    Ticket.source_details != text("'{}'::jsonb"),
                    exists().where(TicketFollower.ticket_id == Ticket.id),
                ),
            )
            .limit(BATCH * 10)
            .with_for_update(skip_locked=True)
        )
    )
    if not ids:
        return 0
    in_ids = bindparam("ids", ids, expanding=True)
    session.execute(
        update(Ticket)
        .where(Ticket.id.in_(in_ids))
        .values(reporter_id=None, contact_phone=None, source_details={})
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
            .limit(BATCH * 10)
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
        .limit(BATCH * 10)
        .with_for_update(skip_locked=True)
    ).all()
    for photo in photos:
        # Deleting a missing object succeeds (both storages), so a rerun after a crash
        # between here and the commit just deletes the rows.
        storage.delete(photo.storage_key)
        session.delete(photo)
    return len(photos)

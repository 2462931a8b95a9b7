"""The outbox relay: the safety net behind the after-commit hook (core/messaging/outbox.py).

Rows the hook could not hand to Celery (Redis away, a process killed between commit and
enqueue) wait `pending`; rows a killed worker left in `sending` without a Twilio SID go
back to `pending`, marked LOST_IN_SENDING so the send task asks Twilio before sending
again. Safe on several machines at once: rows are taken `FOR UPDATE SKIP LOCKED`.
Celery beat runs it through tasks/sweeps.py.
"""

from __future__ import annotations

import logging

from sqlalchemy import text
from sqlalchemy.orm import Session

from core import jobs
from core.config import Settings
from core.db import SWEEP_BATCH, Database
from core.messaging.outbox import LOST_IN_SENDING, SEND_TASK

log = logging.getLogger(__name__)

# How many batches one run relays before leaving the rest to the next run.
RELAY_BATCHES = 20


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
        if sent < len(ids) or len(pending) < SWEEP_BATCH:
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
            {
                "lost": LOST_IN_SENDING,
                "stale": settings.SENDING_STALE_SECONDS,
                "batch": SWEEP_BATCH,
            },
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
            {"after": settings.OUTBOX_RELAY_AFTER_SECONDS, "batch": SWEEP_BATCH},
        )
    )


def _enqueue_all(settings: Settings, ids: list[int]) -> int:
    for done, message_id in enumerate(sorted(ids)):
        if not jobs.enqueue(settings, SEND_TASK, message_id):
            return done  # Redis still away; the rows wait for the next run
    return len(ids)

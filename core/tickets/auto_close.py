"""Auto-close: a ticket resolved AUTO_CLOSE_DAYS ago that nobody said was not fixed is
closed by SoSoft itself, through the same workflow as staff. Run by Celery beat through
tasks/sweeps.py; safe to run twice (a closed ticket is never selected again).
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from sqlalchemy import exists, select

from core.config import Settings
from core.db import SWEEP_BATCH, Database
from core.models import Feedback, Ticket
from core.tickets.workflow import apply_transition

log = logging.getLogger(__name__)


def auto_close(database: Database, settings: Settings, now: datetime) -> int:
    """Close tickets resolved AUTO_CLOSE_DAYS ago that nobody said were not fixed."""
    cutoff = now - timedelta(days=settings.AUTO_CLOSE_DAYS)
    not_fixed = exists().where(Feedback.ticket_id == Ticket.id, Feedback.fixed.is_(False))
    with database.transaction() as session:
        tickets = session.scalars(
            select(Ticket)
            .where(Ticket.status == "resolved", Ticket.resolved_at < cutoff, ~not_fixed)
            .order_by(Ticket.id)
            .limit(SWEEP_BATCH)
            .with_for_update(skip_locked=True)
        ).all()
        for ticket in tickets:
            apply_transition(
                session,
                ticket,
                "closed",
                actor=None,
                role="system",
                note=f"closed automatically {settings.AUTO_CLOSE_DAYS:g} days after resolution",
                now=now,
            )
    if tickets:
        log.info("auto-close: %d ticket(s) closed", len(tickets))
    return len(tickets)

"""SLA breaches: an open ticket past its due time is marked breached once, its priority
goes up one step, and managers who asked for alerts get a text. Run by Celery beat
through tasks/sweeps.py; safe to run twice (a breached ticket is never selected again).
"""

from __future__ import annotations

import logging
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.config import Settings
from core.db import SWEEP_BATCH, Database
from core.messaging.notifications import queue_message
from core.messaging.texts import render
from core.models import Team, Ticket, User
from core.models.tickets import OPEN_STATUSES, PRIORITIES
from core.tickets.events import record_event

log = logging.getLogger(__name__)


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
            .limit(SWEEP_BATCH)
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
        # SMS reaches a manager whatever they last wrote on; without an SMS sender,
        # WhatsApp (TWILIO_TEMPLATE_SLA_ALERT outside the 24-hour window).
        channel = "sms" if settings.TWILIO_SMS_FROM else "whatsapp"
        queue_message(session, manager, "sla_breached", body, ticket=ticket, channel=channel)


def _alerted_managers(session: Session, ticket: Ticket) -> list[User]:
    """Managers who asked for SLA alerts: those of the ticket's team (among others of
    theirs) and city-wide ones (of no team)."""
    return list(
        session.scalars(
            select(User).where(
                User.role == "manager",
                User.sla_alerts.is_(True),
                User.is_active.is_(True),
                or_(~User.teams.any(), User.teams.any(Team.id == ticket.team_id)),
            )
        )
    )

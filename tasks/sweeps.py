"""Periodic sweeps run by Celery beat (schedule in tasks/celery_app.py): thin wrappers.

Each policy lives in core (the outbox relay in core/messaging/outbox_relay.py, SLA
breaches in core/tickets/sla.py, auto-close in core/tickets/auto_close.py, retention in
core/people/retention.py, draft expiry in core/conversations/expiry.py), so a test, a
benchmark or a CLI command runs exactly what beat runs. Each is safe to run twice and
on several machines at once, and returns counts, never personal data.
"""

from __future__ import annotations

from datetime import UTC, datetime

from celery import shared_task

from core.conversations.expiry import expire_stale_drafts
from core.messaging.outbox_relay import relay
from core.people.retention import retain
from core.tickets.auto_close import auto_close
from core.tickets.sla import flag_breaches
from tasks.context import SoSoftTask


def _now() -> datetime:
    return datetime.now(UTC)


@shared_task(name="tasks.sweeps.relay_outbox", bind=True, ignore_result=True)
def relay_outbox(self: SoSoftTask) -> dict[str, int]:
    return relay(self.database, self.settings)


@shared_task(name="tasks.sweeps.expire_conversations", bind=True, ignore_result=True)
def expire_conversations(self: SoSoftTask) -> int:
    with self.database.transaction() as session:
        expired = expire_stale_drafts(session, self.settings, _now())
    return int(expired or 0)


@shared_task(name="tasks.sweeps.flag_sla_breaches", bind=True, ignore_result=True)
def flag_sla_breaches(self: SoSoftTask) -> int:
    return flag_breaches(self.database, self.settings, _now())


@shared_task(name="tasks.sweeps.auto_close_resolved", bind=True, ignore_result=True)
def auto_close_resolved(self: SoSoftTask) -> int:
    return auto_close(self.database, self.settings, _now())


@shared_task(name="tasks.sweeps.apply_retention", bind=True, ignore_result=True)
def apply_retention(self: SoSoftTask) -> dict[str, int]:
    return retain(self.database, self.settings, self.storage, _now())

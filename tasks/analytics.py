"""Keeping the analytics rollup current (beat, every ANALYTICS_REFRESH_SECONDS)."""

from __future__ import annotations

from celery import shared_task

from core.analytics import rollups
from tasks import context


@shared_task(name="tasks.analytics.refresh_rollups", ignore_result=True)
def refresh_rollups() -> int:
    """Recompute the days whose tickets changed; returns how many days."""
    with context.database().transaction() as session:
        return rollups.refresh(session, context.settings().CITY_TIMEZONE)

"""Keeping the analytics rollup and the hotspot snapshot current (beat, every
ANALYTICS_REFRESH_SECONDS)."""

from __future__ import annotations

from celery import shared_task

from core.analytics import hotspots, rollups
from tasks import context


@shared_task(name="tasks.analytics.refresh_rollups", ignore_result=True)
def refresh_rollups() -> int:
    """Recompute the days whose tickets changed, then retake the hotspot snapshot if
    open tickets changed (its own transaction); returns how many days."""
    settings = context.settings()
    with context.database().transaction() as session:
        days = rollups.refresh(session, settings.CITY_TIMEZONE)
    with context.database().transaction() as session:
        hotspots.refresh_snapshot(session, settings.SERVICE_AREA_BBOX)
    return days

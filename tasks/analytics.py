"""Keeping the analytics rollup and the hotspot snapshot current (beat, every
ANALYTICS_REFRESH_SECONDS)."""

from __future__ import annotations

from celery import shared_task

from core.analytics import upkeep
from tasks.context import SoSoftTask


@shared_task(name="tasks.analytics.refresh_rollups", bind=True, ignore_result=True)
def refresh_rollups(self: SoSoftTask) -> int:
    """Fold what changed into the rollup, retake the hotspot snapshot if open tickets
    changed, vacuum what those emptied (core/analytics/upkeep.py); returns how many
    rollup days were recomputed."""
    return upkeep.refresh_all(self.database, self.settings)

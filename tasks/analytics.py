"""Keeping the analytics rollup and the hotspot snapshot current (beat, every
ANALYTICS_REFRESH_SECONDS), and the default heatmaps in Redis (every
HEATMAP_PRECOMPUTE_SECONDS)."""

from __future__ import annotations

from functools import lru_cache

from celery import shared_task

from core.analytics import map_upkeep, shared_cells, upkeep
from tasks.context import SoSoftTask


@shared_task(name="tasks.analytics.refresh_rollups", bind=True, ignore_result=True)
def refresh_rollups(self: SoSoftTask) -> int:
    """Fold what changed into the rollup, retake the hotspot snapshot if open tickets
    changed, vacuum what those emptied (core/analytics/upkeep.py); returns how many
    rollup days were recomputed."""
    return upkeep.refresh_all(self.database, self.settings)


@shared_task(name="tasks.analytics.share_default_heatmaps", bind=True, ignore_result=True)
def share_default_heatmaps(self: SoSoftTask) -> int:
    """Bring the default heatmaps up to date in Redis, for every web process's first
    map (core/analytics/map_upkeep.py); returns their cells in all."""
    return map_upkeep.share_default_maps(
        self.database, self.settings, _shared_cells(self.settings.REDIS_URL)
    )


@lru_cache(maxsize=4)
def _shared_cells(redis_url: str) -> shared_cells.SharedCells:
    return shared_cells.connect(redis_url)

"""What beat does for heatmaps every HEATMAP_PRECOMPUTE_SECONDS: keep each default map
(HEATMAP_PRECOMPUTED over the city, the default period, no filters: what the console
and a bare API call ask for) up to date in Redis, with its cells' polygons, so that a
freshly started web process answers its first map from there (core/analytics/
shared_cells.py) instead of counting a month of tickets and building every polygon.

What it keeps of each map is its cube (core/analytics/cell_cube.py: the counts per
cell, category, team, channel and status), so that the same map with any filters is
summed from it too, and the map's own count, summed from the cube (same snapshot, no
second statement) because reading it is cheaper than summing a cube. Each run adds the
moves since the shared cube's snapshot (a recount every geo_grid.RECOUNT_SECONDS), so
it costs what changed, not what the month holds.
"""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from core.analytics import geo_grid
from core.analytics.scope import Scope, default_period
from core.analytics.shared_cells import SharedCells
from core.config import Settings
from core.db import Database


def default_maps(settings: Settings) -> list[tuple[str, float]]:
    """HEATMAP_PRECOMPUTED as (shape, metres); Settings.check vouches for the format."""
    return [(s, float(m)) for s, _, m in (e.partition(":") for e in settings.HEATMAP_PRECOMPUTED)]


def default_scope(settings: Settings, now: datetime | None = None) -> Scope:
    """The scope of an analytics call without period or filters (admin_api's scope_from)."""
    zone = settings.CITY_TIMEZONE
    first, last = default_period(now or datetime.now(UTC), ZoneInfo(zone))
    return Scope(first, last, zone)


def share_default_maps(database: Database, settings: Settings, shared: SharedCells) -> int:
    """Each default map in its own short transaction; returns their cells in all
    (0 when Redis is unreachable: nothing is counted for nobody)."""
    if not shared.reachable():
        return 0
    scope = default_scope(settings)
    cells = 0
    for shape, size_m in default_maps(settings):
        with database.transaction() as session:
            cells += geo_grid.share_map(
                session, scope, settings.SERVICE_AREA_BBOX, shape, size_m, shared
            )
    return cells

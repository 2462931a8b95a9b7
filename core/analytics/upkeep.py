"""What beat does for analytics every ANALYTICS_REFRESH_SECONDS: bring the rollup up to
date, retake the hotspot snapshot if open tickets changed, forget map moves no
remembered map can need, then vacuum the small tables those steps empty.

They are emptied every minute and read on every request; left to autovacuum (or with
it off) a reader would scan every dead row they ever held."""

from __future__ import annotations

from sqlalchemy import text

from core.analytics import geo_grid, hotspots, rollups
from core.config import Settings
from core.db import Database

QUEUES = (
    "analytics_dirty_hours", "analytics_daily_changes", "analytics_hotspot_changes",
    "analytics_ticket_moves",
)  # fmt: skip


def refresh_all(database: Database, settings: Settings) -> int:
    """Each step in its own transaction; returns how many rollup days were recomputed."""
    with database.transaction() as session:
        days = rollups.refresh(session, settings.CITY_TIMEZONE)
    with database.transaction() as session:
        retaken = hotspots.refresh_snapshot(session, settings.SERVICE_AREA_BBOX)
    with database.transaction() as session:
        geo_grid.forget_old_moves(session)
    rewritten = (("analytics_daily",) if days else ()) + (
        ("analytics_hotspots",) if retaken else ()
    )
    vacuum(database, (*QUEUES, *rewritten))
    return days


def vacuum(database: Database, tables: tuple[str, ...]) -> None:
    # VACUUM cannot run inside a transaction block.
    with database.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(
            text(f"VACUUM (ANALYZE) {', '.join(tables)}")
        )

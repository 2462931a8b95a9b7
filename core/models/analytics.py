"""Pre-aggregated analytics: one row per city day × category × team × channel.

`analytics_daily` is rebuilt day by day from `tickets` (core/analytics/rollups.py).
Triggers on tickets, feedback and escalations (in the migrations) record every change
in the writer's own transaction, so every writer (API, bot, sweeps, bulk loads) is
caught without code in any of them: a change that only adds to the rollup's rows (a new
ticket, a first response, a resolution, a rating…) as signed counters in
`analytics_daily_changes`, read with the rollup; any other (a reopen, a move to
another team…) as dirty UTC hours in `analytics_dirty_hours`, whose days readers
compute live. The refresh folds both into the rollup.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from geoalchemy2 import Geography
from sqlalchemy import BigInteger, Date, Float, Index, Integer, SmallInteger, String, text
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, pk


def _count() -> Mapped[int]:
    return mapped_column(Integer, default=0, server_default="0")


def _seconds() -> Mapped[list[int]]:
    # Sorted durations in seconds: exact percentiles over any set of days.
    return mapped_column(ARRAY(Integer), default=list, server_default="{}")


class RollupMeasures:
    """The columns a rollup row and a change row share: its key, and per measure a
    count (signed in a change row) or sorted durations."""

    id: Mapped[int] = pk()
    day: Mapped[date] = mapped_column(Date)
    category_id: Mapped[int]
    team_id: Mapped[int | None]
    channel: Mapped[str] = mapped_column(String(10))
    # Tickets created this day (the "created" cohort).
    created_n: Mapped[int] = _count()
    first_response_s: Mapped[list[int]] = _seconds()
    escalated_n: Mapped[int] = _count()
    escalations_decided_n: Mapped[int] = _count()
    escalations_approved_n: Mapped[int] = _count()
    # Tickets resolved this day (the "resolved" cohort) and their feedback.
    resolved_n: Mapped[int] = _count()
    resolution_s: Mapped[list[int]] = _seconds()
    resolved_with_due_n: Mapped[int] = _count()
    resolved_on_time_n: Mapped[int] = _count()
    reopened_n: Mapped[int] = _count()
    feedback_n: Mapped[int] = _count()
    rating_sum: Mapped[int] = _count()
    rating_n: Mapped[int] = _count()
    fixed_yes_n: Mapped[int] = _count()
    fixed_answered_n: Mapped[int] = _count()
    # Tickets that left the backlog this day (resolved, or closed without resolving).
    ended_n: Mapped[int] = _count()
    # The open backlog: tickets created this day still open, and open tickets due this
    # day (the overdue count is these for days before today).
    open_n: Mapped[int] = _count()
    open_due_n: Mapped[int] = _count()


class AnalyticsDaily(RollupMeasures, Base):
    __tablename__ = "analytics_daily"
    __table_args__ = (
        Index("ix_analytics_daily_day", "day"),
        # The backlog reads every day since the start, but only these few columns of
        # the rows with open tickets: an index-only scan, not the wide rows.
        Index(
            "ix_analytics_daily_open",
            "day",
            postgresql_include=[
                "category_id", "team_id", "channel", "open_n", "oldest_open_at", "open_due_n"
            ],
            postgresql_where=text("open_n > 0 OR open_due_n > 0"),
        ),
    )  # fmt: skip

    # The oldest open ticket created this day.
    oldest_open_at: Mapped[datetime | None]


class AnalyticsDailyChange(RollupMeasures, Base):
    """What one write added to rollup rows since the last refresh: the counts as signed
    differences, the durations it added (sorted; a write that would take a duration
    away marks its hours dirty instead). No oldest open ticket: a minimum cannot be
    kept by differences (readers take it from the open-tickets index). Insert-only,
    like `analytics_dirty_hours`: writers never wait on each other's rows.
    """

    __tablename__ = "analytics_daily_changes"


class AnalyticsTicketMove(Base):
    """A ticket as it was (`sign` -1) and as it is (+1) when a change moved it on the map
    or between the heatmap's filters (created, deleted, moved, re-statused, re-dated,
    recategorised, reassigned, another channel). Written by a trigger (see the
    migrations), stamped with the writer's transaction id, so a remembered map taken in
    some snapshot is brought up to date by exactly the moves that snapshot did not see
    (core/analytics/geo_grid.py). Beat deletes rows after `MOVES_KEPT_MINUTES`.
    """

    __tablename__ = "analytics_ticket_moves"
    # Moves a snapshot did not see are read from its xmin on (migration 0018).
    __table_args__ = (Index("ix_analytics_ticket_moves_writer_xid", "writer_xid"),)

    id: Mapped[int] = pk()
    # The writer's pg_current_xact_id(), as a number (SQLAlchemy has no xid8 type).
    writer_xid: Mapped[int] = mapped_column(
        BigInteger, server_default=text("CAST(CAST(pg_current_xact_id() AS text) AS bigint)")
    )
    logged_at: Mapped[datetime] = mapped_column(server_default=text("now()"))
    sign: Mapped[int] = mapped_column(SmallInteger)
    created_at: Mapped[datetime]
    location: Mapped[Any] = mapped_column(
        Geography("POINT", srid=4326, spatial_index=False), nullable=True
    )
    status: Mapped[str] = mapped_column(String(16))
    category_id: Mapped[int]
    team_id: Mapped[int | None]
    channel: Mapped[str] = mapped_column(String(10))


class AnalyticsDirtyHour(Base):
    """A UTC hour whose tickets changed since the last refresh.

    Not unique on purpose: a writer only ever inserts, never waits on another writer's
    row, and a row whose transaction commits after a refresh started survives it.
    """

    __tablename__ = "analytics_dirty_hours"

    id: Mapped[int] = pk()
    hour: Mapped[datetime]


class AnalyticsRollupState(Base):
    """One row: when the rollup was last refreshed and in which time zone it counts days."""

    __tablename__ = "analytics_rollup_state"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    timezone: Mapped[str] = mapped_column(String(64))
    refreshed_at: Mapped[datetime]


class AnalyticsHotspot(Base):
    """One cluster of the hotspot snapshot: the answer of the live hotspot query for the
    default parameters and no filters, biggest first (core/analytics/hotspot_snapshot.py).
    """

    __tablename__ = "analytics_hotspots"

    rank: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    ticket_count: Mapped[int] = mapped_column(Integer)
    lat: Mapped[float] = mapped_column(Float)
    lon: Mapped[float] = mapped_column(Float)
    oldest_id: Mapped[int]
    oldest_number: Mapped[int] = mapped_column(Integer)
    oldest_created_at: Mapped[datetime]
    categories: Mapped[list[Any]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )


class AnalyticsHotspotState(Base):
    """One row: the parameters the hotspot snapshot was computed with, and when."""

    __tablename__ = "analytics_hotspot_state"

    id: Mapped[int] = mapped_column(SmallInteger, primary_key=True)
    srid: Mapped[int] = mapped_column(Integer)
    eps_m: Mapped[float] = mapped_column(Float)
    min_points: Mapped[int] = mapped_column(Integer)
    refreshed_at: Mapped[datetime]


class AnalyticsHotspotChange(Base):
    """A change that may move the hotspots (an open ticket created, moved, recategorised,
    opened or ended; a category renamed) since the snapshot; written by triggers (see the
    migration). While any row exists the snapshot is not served. Insert-only, like
    `analytics_dirty_hours`, so writers never wait on each other.
    """

    __tablename__ = "analytics_hotspot_changes"

    id: Mapped[int] = pk()
    changed_at: Mapped[datetime] = mapped_column(server_default=text("now()"))

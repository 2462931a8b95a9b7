"""The daily rollup: tickets pre-aggregated per city day × category × team × channel.

Freshness: triggers (see the migration) mark the UTC hours every ticket, feedback or
escalation change touches in `analytics_dirty_hours`. `refresh()` (beat, every
`ANALYTICS_REFRESH_SECONDS`) recomputes exactly the city days those hours fall on.
Readers never wait for it: `daily_rows()` takes clean days from the rollup and computes
dirty days live from `tickets`, so every answer is exact at the moment it is asked;
the refresh only keeps the live part small. Before the first refresh (or after
`CITY_TIMEZONE` changes) everything is computed live.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.analytics.scope import OPEN_STATUSES_SQL, Scope, day_ranges, day_start, local_day

_LOCK_KEY = 7_000_001  # pg advisory lock: one refresh at a time
METRICS = (
    "created_n",
    "first_response_s",
    "escalated_n",
    "escalations_decided_n",
    "escalations_approved_n",
    "resolved_n",
    "resolution_s",
    "resolved_with_due_n",
    "resolved_on_time_n",
    "reopened_n",
    "feedback_n",
    "rating_sum",
    "rating_n",
    "fixed_yes_n",
    "fixed_answered_n",
    "ended_n",
    "open_n",
    "oldest_open_at",
    "open_due_n",
)
KEYS = ("day", "category_id", "team_id", "channel")
COLUMNS = ", ".join(KEYS + METRICS)

# One row per ticket and cohort it belongs to on the chosen days: the day it was
# created (and whether it is open now), the day it was resolved, the day it was closed
# without being resolved, and, while open, the day it is due. `ranges` are whole city
# days, so each fact's day lies within the days asked for.
_FACTS = """
WITH ranges AS (
    SELECT lo, hi FROM unnest(CAST(:range_lo AS timestamptz[]), CAST(:range_hi AS timestamptz[]))
    AS r(lo, hi)
), facts AS (
    SELECT (t.created_at AT TIME ZONE :tz)::date AS day, t.category_id, t.team_id, t.channel,
        1 AS created,
        CAST(extract(epoch FROM t.first_response_at - t.created_at) AS integer) AS first_response,
        CASE WHEN e.n > 0 THEN 1 ELSE 0 END AS escalated,
        coalesce(e.decided, 0) AS decided, coalesce(e.approved, 0) AS approved,
        0 AS resolved, NULL::integer AS resolution, 0 AS with_due, 0 AS on_time, 0 AS reopened,
        0 AS feedback, NULL::integer AS rating, 0 AS fixed_yes, 0 AS fixed_answered, 0 AS ended,
        CASE WHEN t.status IN {open} THEN 1 ELSE 0 END AS open,
        CASE WHEN t.status IN {open} THEN t.created_at END AS oldest_open, 0 AS open_due
    FROM ranges r JOIN tickets t ON t.created_at >= r.lo AND t.created_at < r.hi
    LEFT JOIN LATERAL (
        SELECT count(*) AS n,
            count(*) FILTER (WHERE x.status <> 'pending') AS decided,
            count(*) FILTER (WHERE x.status = 'approved') AS approved
        FROM escalations x WHERE x.ticket_id = t.id
    ) e ON true
    WHERE true {filters}
    UNION ALL
    SELECT (t.resolved_at AT TIME ZONE :tz)::date, t.category_id, t.team_id, t.channel,
        0, NULL, 0, 0, 0,
        1, CAST(extract(epoch FROM t.resolved_at - t.created_at) AS integer),
        CASE WHEN t.due_at IS NOT NULL THEN 1 ELSE 0 END,
        CASE WHEN t.resolved_at <= t.due_at THEN 1 ELSE 0 END,
        CASE WHEN t.reopen_count > 0 THEN 1 ELSE 0 END,
        CASE WHEN f.id IS NOT NULL THEN 1 ELSE 0 END, f.rating,
        CASE WHEN f.fixed THEN 1 ELSE 0 END, CASE WHEN f.fixed IS NOT NULL THEN 1 ELSE 0 END,
        1, 0, NULL, 0
    FROM ranges r JOIN tickets t ON t.resolved_at >= r.lo AND t.resolved_at < r.hi
    LEFT JOIN feedback f ON f.ticket_id = t.id
    WHERE true {filters}
    UNION ALL
    SELECT (t.closed_at AT TIME ZONE :tz)::date, t.category_id, t.team_id, t.channel,
        0, NULL, 0, 0, 0, 0, NULL, 0, 0, 0, 0, NULL, 0, 0, 1, 0, NULL, 0
    FROM ranges r JOIN tickets t ON t.closed_at >= r.lo AND t.closed_at < r.hi
    WHERE t.resolved_at IS NULL {filters}
    UNION ALL
    SELECT (t.due_at AT TIME ZONE :tz)::date, t.category_id, t.team_id, t.channel,
        0, NULL, 0, 0, 0, 0, NULL, 0, 0, 0, 0, NULL, 0, 0, 0, 0, NULL, 1
    FROM ranges r JOIN tickets t ON t.due_at >= r.lo AND t.due_at < r.hi
    WHERE t.status IN {open} {filters}
)
SELECT day, category_id, team_id, channel,
    CAST(sum(created) AS integer) AS created_n,
    coalesce(array_agg(first_response ORDER BY first_response)
        FILTER (WHERE first_response IS NOT NULL), '{{}}') AS first_response_s,
    CAST(sum(escalated) AS integer) AS escalated_n,
    CAST(sum(decided) AS integer) AS escalations_decided_n,
    CAST(sum(approved) AS integer) AS escalations_approved_n,
    CAST(sum(resolved) AS integer) AS resolved_n,
    coalesce(array_agg(resolution ORDER BY resolution)
        FILTER (WHERE resolution IS NOT NULL), '{{}}') AS resolution_s,
    CAST(sum(with_due) AS integer) AS resolved_with_due_n,
    CAST(sum(on_time) AS integer) AS resolved_on_time_n,
    CAST(sum(reopened) AS integer) AS reopened_n,
    CAST(sum(feedback) AS integer) AS feedback_n,
    CAST(coalesce(sum(rating), 0) AS integer) AS rating_sum,
    CAST(count(rating) AS integer) AS rating_n,
    CAST(sum(fixed_yes) AS integer) AS fixed_yes_n,
    CAST(sum(fixed_answered) AS integer) AS fixed_answered_n,
    CAST(sum(ended) AS integer) AS ended_n,
    CAST(sum(open) AS integer) AS open_n,
    min(oldest_open) AS oldest_open_at,
    CAST(sum(open_due) AS integer) AS open_due_n
FROM facts GROUP BY day, category_id, team_id, channel
"""


def facts_sql(scope: Scope | None, days: list[date], zone: ZoneInfo) -> tuple[str, dict]:
    """Live daily rows for `days`, filtered by `scope`'s category/team/channel."""
    filters, params = scope.filter_sql("t") if scope else ("", {})
    lo, hi = day_ranges(days, zone) if days else ([], [])
    params.update(range_lo=lo, range_hi=hi, tz=zone.key)
    return _FACTS.format(filters=filters, open=OPEN_STATUSES_SQL), params


@dataclass(frozen=True)
class RollupState:
    built: bool
    dirty_days: frozenset[date]


def state(session: Session, zone: ZoneInfo) -> RollupState:
    """Whether the rollup can be used in `zone`, and which of its days are stale."""
    built_tz = session.execute(
        text("SELECT timezone FROM analytics_rollup_state WHERE id = 1")
    ).scalar()
    if built_tz != zone.key:
        return RollupState(False, frozenset())
    hours = session.execute(text("SELECT DISTINCT hour FROM analytics_dirty_hours")).scalars()
    return RollupState(True, frozenset(_days_of_hours(hours, zone)))


def versioned_days(
    session: Session, zone: ZoneInfo, first_day: date, last_day: date
) -> tuple[tuple, frozenset[date]] | None:
    """A key for answers over days `first_day`..`last_day` that changes with every
    refresh, and which of those days are dirty; None when the rollup is not built for
    `zone`. One statement, so the refresh time and the dirty days are from the same
    moment (see core/analytics/answer_cache.py for why cached answers stay exact)."""
    row = session.execute(
        text(
            "SELECT s.timezone, s.refreshed_at,"
            " ARRAY(SELECT DISTINCT hour FROM analytics_dirty_hours) AS hours"
            " FROM analytics_rollup_state s WHERE s.id = 1"
        )
    ).first()
    if row is None or row.timezone != zone.key:
        return None
    dirty = frozenset(d for d in _days_of_hours(row.hours, zone) if first_day <= d <= last_day)
    database = session.get_bind().engine.url.render_as_string(hide_password=True)
    return (database, zone.key, row.refreshed_at, first_day, last_day), dirty


def clean_key(session: Session, zone: ZoneInfo, first_day: date, last_day: date) -> tuple | None:
    """`versioned_days`' key when none of the days is dirty; None otherwise."""
    found = versioned_days(session, zone, first_day, last_day)
    return found[0] if found is not None and not found[1] else None


def _days_of_hours(hours, zone: ZoneInfo) -> set[date]:
    days: set[date] = set()
    for hour in hours:
        # An hour can straddle midnight in zones with a half-hour offset.
        days.add(local_day(hour, zone))
        days.add(local_day(hour + timedelta(minutes=59, seconds=59), zone))
    return days


def daily_rows(session: Session, scope: Scope) -> tuple[str, dict]:
    """SQL for the daily rows of `scope` (rollup for clean days, live for dirty ones)."""
    zone = scope.zone
    current = state(session, zone)
    if not current.built:
        return facts_sql(scope, scope.days(), zone)
    dirty = sorted(d for d in current.dirty_days if scope.first_day <= d <= scope.last_day)
    live_sql, params = facts_sql(scope, dirty, zone)
    filters, filter_params = scope.filter_sql()
    params.update(filter_params)
    params.update(d_first=scope.first_day, d_last=scope.last_day, dirty_days=dirty)
    rollup_sql = (
        f"SELECT {COLUMNS} FROM analytics_daily WHERE day BETWEEN :d_first AND :d_last"  # noqa: S608
        f" AND NOT (day = ANY(CAST(:dirty_days AS date[]))){filters}"
    )
    if not dirty:
        return rollup_sql, params
    return f"{rollup_sql} UNION ALL ({live_sql})", params


def refresh(session: Session, timezone: str, *, full: bool = False) -> int:
    """Bring the rollup up to date; returns how many days were recomputed.

    Rebuilds everything on first use, when the city's time zone changed, or with
    `full`. The caller commits. Concurrent refreshes queue on an advisory lock.
    """
    zone = ZoneInfo(timezone)
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    if full or not state(session, zone).built:
        return _rebuild_all(session, zone)
    hours = session.execute(text("DELETE FROM analytics_dirty_hours RETURNING hour")).scalars()
    days = sorted(_days_of_hours(hours, zone))
    if days:
        session.execute(
            text("DELETE FROM analytics_daily WHERE day = ANY(CAST(:days AS date[]))"),
            {"days": days},
        )
        sql, params = facts_sql(None, days, zone)
        session.execute(text(f"INSERT INTO analytics_daily ({COLUMNS}) {sql}"), params)
    _mark_refreshed(session, zone)
    return len(days)


def _rebuild_all(session: Session, zone: ZoneInfo) -> int:
    session.execute(text("DELETE FROM analytics_dirty_hours"))
    session.execute(text("DELETE FROM analytics_daily"))
    first, last = session.execute(
        text("SELECT min(created_at), greatest(max(created_at), max(due_at)) FROM tickets")
    ).one()
    if first is not None:
        last = max(last, datetime.now(UTC))
        sql, params = facts_sql(None, [], zone)
        # One range over all of time: a single pass over the table.
        params.update(
            range_lo=[day_start(local_day(first, zone), zone)],
            range_hi=[day_start(local_day(last, zone) + timedelta(days=2), zone)],
        )
        session.execute(text(f"INSERT INTO analytics_daily ({COLUMNS}) {sql}"), params)
    _mark_refreshed(session, zone)
    return session.execute(text("SELECT count(DISTINCT day) FROM analytics_daily")).scalar() or 0


def _mark_refreshed(session: Session, zone: ZoneInfo) -> None:
    session.execute(
        text(
            "INSERT INTO analytics_rollup_state (id, timezone, refreshed_at) "
            # The clock, not the transaction's start: a key for cached answers
            # (clean_key) that differs even between two refreshes in one transaction.
            "VALUES (1, :tz, clock_timestamp()) ON CONFLICT (id) DO UPDATE "
            "SET timezone = excluded.timezone, refreshed_at = excluded.refreshed_at"
        ),
        {"tz": zone.key},
    )

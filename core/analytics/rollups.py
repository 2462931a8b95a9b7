"""The daily rollup: tickets pre-aggregated per city day × category × team × channel.

Freshness: triggers (see the migrations) record every ticket, feedback or escalation
change in the writer's own transaction. A change that only adds to rollup rows (a
report, a first response, a resolution or closure, a rating, an escalation) writes what
it adds to `analytics_daily_changes` (signed counters, added durations); any other (a
reopen, a ticket moved after it was answered, a delete) marks the UTC hours it touches
in `analytics_dirty_hours`. Readers never wait: `split_rows()` takes the rollup's rows
plus the change rows for clean days, and computes dirty days live from `tickets`, so
every answer is exact at the moment it is asked and costs what the period holds in the
rollup, not what it holds in `tickets`. `refresh()` (beat, every
`ANALYTICS_REFRESH_SECONDS`) folds changes and dirty days back into the rollup. Before
the first refresh (or after `CITY_TIMEZONE` changes) everything is computed live.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.analytics.scope import OPEN_STATUSES_SQL, Scope, day_ranges, day_start, local_day

_LOCK_KEY = 7_000_001  # pg advisory lock: one refresh at a time
# Change rows kept before they are folded into the rollup: one to four per write, so
# hours of a busy city's writes, and a few milliseconds for a reader to add up.
FOLD_AFTER = 2000
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
# A change row has every column but the oldest open ticket (a minimum cannot be
# updated by differences: readers take it from the open-tickets index instead).
_OPEN_ONLY = " AND (open_n > 0 OR open_due_n > 0)"  # ix_analytics_daily_open's predicate
CHANGE_COLUMNS = COLUMNS.replace("oldest_open_at", "NULL::timestamptz AS oldest_open_at")

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


@dataclass(frozen=True)
class Version:
    """What the rollup holds for some days at one moment (one statement): `key` changes
    whenever a refresh recomputes something; `dirty` days are computed live."""

    key: tuple
    dirty: frozenset[date]


def version(session: Session, zone: ZoneInfo, first_day: date, last_day: date) -> Version | None:
    """The rollup's `Version` for days `first_day`..`last_day`; None when it is not built
    for `zone` (see core/analytics/answer_cache.py for why remembered answers stay exact)."""
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
    key = (database, zone.key, row.refreshed_at, first_day, last_day)
    return Version(key, dirty)


def _days_of_hours(hours, zone: ZoneInfo) -> set[date]:
    days: set[date] = set()
    for hour in hours:
        # An hour can straddle midnight in zones with a half-hour offset.
        days.add(local_day(hour, zone))
        days.add(local_day(hour + timedelta(minutes=59, seconds=59), zone))
    return days


@dataclass(frozen=True)
class Split:
    """The daily rows of a scope as two queries. `remembered`: the rollup's rows of the
    clean days, which change only when a refresh recomputes something, so what is
    computed from them may be kept under `key` (None: keep nothing). `live`: the change
    rows of the clean days and the dirty days computed from `tickets`; small, read every
    time. Rows may share a key: readers sum them."""

    key: tuple | None
    remembered: tuple[str, dict] | None
    live: tuple[str, dict]


def split_rows(session: Session, scope: Scope, *, backlog_only: bool = False) -> Split:
    """`backlog_only` leaves out rollup rows without open tickets (an index-only scan of
    the few backlog columns; change rows are always all read, they may subtract)."""
    zone = scope.zone
    found = version(session, zone, scope.first_day, scope.last_day)
    if found is None:
        return Split(None, None, facts_sql(scope, scope.days(), zone))
    dirty = sorted(found.dirty)
    live_sql, params = facts_sql(scope, dirty, zone)
    filters, filter_params = scope.filter_sql()
    params.update(filter_params)
    params.update(d_first=scope.first_day, d_last=scope.last_day, dirty_days=dirty)
    clean = (
        " WHERE day BETWEEN :d_first AND :d_last"
        f" AND NOT (day = ANY(CAST(:dirty_days AS date[]))){filters}"
    )
    rollup_sql = f"SELECT {COLUMNS} FROM analytics_daily{clean}"  # noqa: S608 - constants only
    if backlog_only:
        rollup_sql += _OPEN_ONLY
    changes_sql = f"SELECT {CHANGE_COLUMNS} FROM analytics_daily_changes{clean}"  # noqa: S608
    live = f"{changes_sql} UNION ALL ({live_sql})" if dirty else changes_sql
    key = (found.key, tuple(dirty), scope, backlog_only)
    return Split(key, (rollup_sql, params), (live, params))


def refresh(
    session: Session, timezone: str, *, full: bool = False, fold_after: int = FOLD_AFTER
) -> int:
    """Bring the rollup up to date; returns how many days were recomputed.

    Recomputes the dirty days, and the days with change rows once there are
    `fold_after` of them (readers add change rows cheaply, but every recompute makes
    them read the rollup again: see `Split`); a refresh with nothing to do leaves the
    rollup, and so every remembered answer, as it is. Rebuilds everything on first use,
    when the city's time zone changed, or with `full`. The caller commits. Concurrent
    refreshes queue on an advisory lock.
    """
    zone = ZoneInfo(timezone)
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _LOCK_KEY})
    if full or not state(session, zone).built:
        return _rebuild_all(session, zone)
    # Dirty hours may go first: recomputing a day twice is harmless.
    hours = session.execute(text("DELETE FROM analytics_dirty_hours RETURNING hour")).scalars()
    days = set(_days_of_hours(hours, zone))
    changes = session.execute(text("SELECT count(*) FROM analytics_daily_changes")).scalar()
    if changes >= fold_after:
        days.update(session.scalars(text("SELECT DISTINCT day FROM analytics_daily_changes")))
    if days:
        sql, params = facts_sql(None, sorted(days), zone)
        params["days"] = sorted(days)
        session.execute(text(_RECOMPUTE.format(columns=COLUMNS, facts=sql)), params)
        _mark_refreshed(session, zone)
    return len(days)


# One statement, so one snapshot: a change row is deleted exactly when its change is
# in the recomputed rows (a change counted twice, or lost, would stay so until the day
# is recomputed again).
_RECOMPUTE = """
WITH folded AS (
    DELETE FROM analytics_daily_changes c
    WHERE c.day = ANY(CAST(:days AS date[]))
), replaced AS (
    DELETE FROM analytics_daily d WHERE d.day = ANY(CAST(:days AS date[]))
)
INSERT INTO analytics_daily ({columns}) {facts}
"""


def _rebuild_all(session: Session, zone: ZoneInfo) -> int:
    session.execute(text("DELETE FROM analytics_dirty_hours"))
    session.execute(text("DELETE FROM analytics_daily"))
    first, last = session.execute(
        text("SELECT min(created_at), greatest(max(created_at), max(due_at)) FROM tickets")
    ).one()
    sql, params = facts_sql(None, [], zone)
    if first is not None:
        last = max(last, datetime.now(UTC))
        # One range over all of time: a single pass over the table.
        params.update(
            range_lo=[day_start(local_day(first, zone), zone)],
            range_hi=[day_start(local_day(last, zone) + timedelta(days=2), zone)],
        )
    # Change rows go in the statement that counts everything (see _RECOMPUTE).
    everything = f"WITH folded AS (DELETE FROM analytics_daily_changes) INSERT INTO analytics_daily ({COLUMNS}) {sql}"  # noqa: S608 - constants only
    session.execute(text(everything), params)
    _mark_refreshed(session, zone)
    return session.execute(text("SELECT count(DISTINCT day) FROM analytics_daily")).scalar() or 0


def _mark_refreshed(session: Session, zone: ZoneInfo) -> None:
    session.execute(
        text(
            "INSERT INTO analytics_rollup_state (id, timezone, refreshed_at) "
            # The clock, not the transaction's start: a key for cached answers
            # (`version`) that differs even between two refreshes in one transaction.
            "VALUES (1, :tz, clock_timestamp()) ON CONFLICT (id) DO UPDATE "
            "SET timezone = excluded.timezone, refreshed_at = excluded.refreshed_at"
        ),
        {"tz": zone.key},
    )

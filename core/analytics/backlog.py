"""The open backlog now, from the rollup: how many, how old (median, oldest), how many
past due. Exact without reading every open ticket: counts come from the rollup's
per-day open counts; the median is found by a running sum over those counts to the day
that holds the middle rank, then that one ticket is read from the open-tickets index;
the overdue count is the open tickets due on earlier days plus those due today so far."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.analytics import answer_cache, rollups
from core.analytics.scope import EPOCH_DAY, OPEN_STATUSES_SQL, Scope, day_start, local_day

# Rows: per group, the day(s) holding the median ranks, with the group's totals.
_MEDIAN_DAYS = """
WITH daily AS ({daily}),
per_day AS (
    SELECT {group} AS grp, day, CAST(sum(open_n) AS bigint) AS open_n, min(oldest_open_at) AS oldest,
        coalesce(sum(open_due_n) FILTER (WHERE day < :today), 0) AS due_before
    FROM daily WHERE open_n > 0 OR (open_due_n > 0 AND day < :today)
    {group_by}
),
ranked AS (
    SELECT grp, day, open_n,
        CAST(sum(open_n) OVER (PARTITION BY grp ORDER BY day) AS bigint) AS cum,
        CAST(sum(open_n) OVER (PARTITION BY grp) AS bigint) AS total,
        min(oldest) OVER (PARTITION BY grp) AS oldest,
        sum(due_before) OVER (PARTITION BY grp) AS due_before
    FROM per_day
)
SELECT * FROM ranked
WHERE total = 0 OR (cum >= (total + 1) / 2 AND cum - open_n < total / 2 + 1)
ORDER BY grp, day
"""
_DUE_TODAY = f"""
SELECT {{group}} AS grp, count(*) AS n FROM tickets
WHERE status IN {OPEN_STATUSES_SQL} AND due_at >= :today_start AND due_at < :now {{filters}}
{{group_by}}
"""  # noqa: S608 - constants only; values are bound
_NTH_OPEN = f"""
SELECT extract(epoch FROM created_at) FROM tickets
WHERE status IN {OPEN_STATUSES_SQL} AND created_at >= :lo AND created_at < :hi
  {{filters}} AND {{match}}
ORDER BY created_at OFFSET :offset LIMIT 1
"""  # noqa: S608 - constants only; values are bound


@dataclass
class Backlog:
    open: int = 0
    oldest: datetime | None = None
    overdue: int = 0
    median_created: float | None = None  # epoch seconds


def backlog(
    session: Session, scope: Scope, now: datetime, group: str | None, *, total: bool = False
) -> dict[Any, Backlog]:
    """The backlog per value of the `group` SQL expression; the whole scope under None
    (alone when `group` is None, alongside the groups with `total`)."""
    zone = scope.zone
    today = local_day(now, zone)
    everything = scope.with_days(EPOCH_DAY, today + timedelta(days=1))
    if group is None:
        select, group_by = "NULL::integer", "GROUP BY day"
    else:
        select = group
        sets = f"(day), ({group}, day)" if total else f"({group}, day)"
        group_by = f"GROUP BY GROUPING SETS ({sets})"
    version = rollups.clean_key(session, zone, everything.first_day, everything.last_day)
    rows = answer_cache.remembered(
        version and ("backlog", version, everything, select, group_by),
        lambda: _median_days(session, everything, today, select, group_by),
    )
    result: dict[Any, Backlog] = {}
    median_days: dict[Any, list] = {}
    for row in rows:
        result[row.grp] = Backlog(int(row.total), row.oldest, int(row.due_before))
        median_days.setdefault(row.grp, []).append(row)
    _add_due_today(session, scope, now, today, select, group_by, result)
    for grp, b in result.items():
        b.median_created = _median_created(session, scope, group, grp, b, median_days.get(grp))
    return result


def _median_days(
    session: Session, everything: Scope, today: date, select: str, group_by: str
) -> list:
    daily_sql, params = rollups.daily_rows(session, everything)
    sql = _MEDIAN_DAYS.format(daily=daily_sql, group=select, group_by=group_by)
    return session.execute(text(sql), {**params, "today": today}).all()


def _add_due_today(session, scope, now, today, select, group_by, result) -> None:
    filters, params = scope.filter_sql()
    group_by = group_by.replace("(day), ", "(), ").replace(", day)", ")").replace("BY day", "")
    sql = _DUE_TODAY.format(group=select, filters=filters, group_by=group_by)
    params.update(today_start=day_start(today, scope.zone), now=now)
    for row in session.execute(text(sql), params):
        result.setdefault(row.grp, Backlog()).overdue += int(row.n)


def _median_created(
    session: Session, scope: Scope, group: str | None, grp: Any, b: Backlog, days: list | None
) -> float | None:
    """percentile_cont(0.5) of the open tickets' creation times."""
    if not b.open or not days:
        return None
    ranks = [(b.open + 1) // 2] if b.open % 2 else [b.open // 2, b.open // 2 + 1]
    values = []
    for rank in ranks:
        row = next(r for r in days if r.cum - r.open_n < rank <= r.cum)
        filters, params = scope.filter_sql()
        params.update(
            lo=day_start(row.day, scope.zone),
            hi=day_start(row.day + timedelta(days=1), scope.zone),
            grp=grp,
            offset=rank - (row.cum - row.open_n) - 1,
        )
        match = "true" if grp is None else f"{group} = :grp"
        sql = _NTH_OPEN.format(filters=filters, match=match)
        values.append(float(session.execute(text(sql), params).scalar()))
    return sum(values) / len(values)

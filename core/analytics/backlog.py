"""The open backlog now, from the rollup: how many, how old (median, oldest), how many
past due. Exact without reading every open ticket: counts come from the rollup's
per-day open counts; the median is found by a running sum over those counts to the day
that holds the middle rank, then that one ticket is read from the open-tickets index;
the oldest is the first entry of that index (the rollup's per-day oldest cannot follow a
ticket closing between refreshes); the overdue count is the open tickets due on earlier
days plus those due today so far."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

from core.analytics import answer_cache, rollups
from core.analytics.scope import EPOCH_DAY, OPEN_STATUSES_SQL, Scope, day_start, local_day

# Per group and day: open tickets created that day, and open tickets due that day if
# it is before today.
_PER_DAY = """
SELECT {group} AS grp, day, CAST(sum(open_n) AS bigint) AS open_n,
    CAST(coalesce(sum(open_due_n) FILTER (WHERE day < :today), 0) AS bigint) AS due_before
FROM ({daily}) AS daily {group_by}
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
# Per group (NULL: all of them), the first entry of the open-tickets index that matches.
_OLDEST_OPEN = f"""
SELECT g.grp, (
    SELECT min(created_at) FROM tickets
    WHERE status IN {OPEN_STATUSES_SQL} {{filters}} AND (g.grp IS NULL OR {{match}})
) AS oldest
FROM unnest(CAST(:groups AS text[])) AS g(grp)
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
    split = rollups.split_rows(session, everything, backlog_only=True)
    days = _per_day(session, split.live, today, select, group_by)
    if split.remembered is not None:
        remembered = answer_cache.remembered(
            split.key and ("backlog", split.key, today, select, group_by),
            lambda: _per_day(session, split.remembered, today, select, group_by),
            weight=lambda found: 1 + sum(len(d) for d, _, _ in found.values()) // 100,
        )
        days = _added(remembered, days)
    result: dict[Any, Backlog] = {}
    median_days: dict[Any, list[tuple[int, date, int]]] = {}
    for grp, (ordinals, counts, due_before) in days.items():
        running = np.cumsum(counts)
        open_now = int(running[-1]) if len(running) else 0
        if not open_now and not due_before:
            continue
        result[grp] = Backlog(open_now, None, due_before)
        median_days[grp] = [
            (rank, date.fromordinal(int(ordinals[i])), rank - int(running[i] - counts[i]) - 1)
            for rank in _median_ranks(open_now)
            for i in [int(np.searchsorted(running, rank))]
        ]
    _add_due_today(session, scope, now, today, select, group_by, result)
    _add_oldest(session, scope, group, result)
    for grp, b in result.items():
        b.median_created = _median_created(session, scope, group, grp, median_days.get(grp))
    return result


# Per group: the days (ordinals, ascending) with open tickets, how many on each, and
# how many open tickets were due before today.
Days = dict[Any, tuple[np.ndarray, np.ndarray, int]]


def _per_day(
    session: Session, rows: tuple[str, dict], today: date, select: str, group_by: str
) -> Days:
    sql, params = rows
    found: dict[Any, dict[int, int]] = {}
    due: dict[Any, int] = {}
    query = _PER_DAY.format(daily=sql, group=select, group_by=group_by)
    for row in session.execute(text(query), {**params, "today": today}):
        if row.open_n:
            found.setdefault(row.grp, {})[row.day.toordinal()] = int(row.open_n)
        due[row.grp] = due.get(row.grp, 0) + int(row.due_before or 0)
    return {grp: _arrays(found.get(grp, {}), due[grp]) for grp in due}


def _arrays(counts: dict[int, int], due_before: int) -> tuple[np.ndarray, np.ndarray, int]:
    ordinals = np.array(sorted(counts), dtype=np.int64)
    return ordinals, np.array([counts[o] for o in ordinals], dtype=np.int64), due_before


def _added(remembered: Days, live: Days) -> Days:
    """Both summed per group and day (new arrays: the remembered ones are shared)."""
    result = dict(remembered)
    for grp, (ordinals, counts, due_before) in live.items():
        if grp not in result:
            result[grp] = (ordinals, counts, due_before)
            continue
        old_ordinals, old_counts, old_due = result[grp]
        merged = dict(zip(old_ordinals.tolist(), old_counts.tolist(), strict=True))
        for ordinal, n in zip(ordinals.tolist(), counts.tolist(), strict=True):
            merged[ordinal] = merged.get(ordinal, 0) + n
        result[grp] = _arrays({o: n for o, n in merged.items() if n}, old_due + due_before)
    return result


def _median_ranks(n: int) -> list[int]:
    return [(n + 1) // 2] if n % 2 else [n // 2, n // 2 + 1]


def _add_due_today(session, scope, now, today, select, group_by, result) -> None:
    filters, params = scope.filter_sql()
    group_by = group_by.replace("(day), ", "(), ").replace(", day)", ")").replace("BY day", "")
    sql = _DUE_TODAY.format(group=select, filters=filters, group_by=group_by)
    params.update(today_start=day_start(today, scope.zone), now=now)
    for row in session.execute(text(sql), params):
        result.setdefault(row.grp, Backlog()).overdue += int(row.n)


def _add_oldest(session: Session, scope: Scope, group: str | None, result: dict) -> None:
    keys = {None if key is None else str(key): key for key, b in result.items() if b.open}
    if not keys:
        return
    filters, params = scope.filter_sql()
    match = "false" if group is None else f"CAST({group} AS text) = g.grp"
    sql = _OLDEST_OPEN.format(filters=filters, match=match)
    for row in session.execute(text(sql), {**params, "groups": list(keys)}):
        result[keys[row.grp]].oldest = row.oldest


def _median_created(
    session: Session, scope: Scope, group: str | None, grp: Any, ranks: list | None
) -> float | None:
    """percentile_cont(0.5) of the open tickets' creation times: the ticket at each
    middle rank, read at its offset within its day from the open-tickets index."""
    if not ranks:
        return None
    values = []
    for _, day, offset in ranks:
        filters, params = scope.filter_sql()
        params.update(
            lo=day_start(day, scope.zone),
            hi=day_start(day + timedelta(days=1), scope.zone),
            grp=grp,
            offset=offset,
        )
        match = "true" if grp is None else f"{group} = :grp"
        sql = _NTH_OPEN.format(filters=filters, match=match)
        values.append(float(session.execute(text(sql), params).scalar()))
    return sum(values) / len(values)

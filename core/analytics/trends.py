"""Created, resolved and backlog per day, week (Monday first) or month, every bucket
present. Buckets are clipped to the period: a week that starts before `from` counts
from `from`. Backlog is the open count at the end of each bucket: created so far minus
ended so far (resolved, or closed unresolved); a reopened ticket counts as open from
its creation until it is resolved again."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.analytics import answer_cache, rollups
from core.analytics.scope import EPOCH_DAY, Scope

INTERVALS = ("day", "week", "month")

_PER_DAY = """
SELECT day, sum(created_n) AS created, sum(resolved_n) AS resolved, sum(ended_n) AS ended
FROM ({daily}) AS daily GROUP BY day
"""
PerDay = dict[date, tuple[int, int, int]]  # day → created, resolved, ended


def trends(session: Session, scope: Scope, interval: str) -> list[dict[str, Any]]:
    per_day = _per_day(session, scope)
    backlog = _backlog_before(session, scope)
    buckets: list[dict[str, Any]] = []
    for day in scope.days():
        start = max(bucket_start(day, interval), scope.first_day)
        if not buckets or buckets[-1]["start"] != start:
            buckets.append({"start": start, "end": day, "created": 0, "resolved": 0})
        bucket = buckets[-1]
        created, resolved, ended = per_day.get(day, (0, 0, 0))
        bucket["created"] += created
        bucket["resolved"] += resolved
        backlog += created - ended
        bucket["end"] = day
        bucket["backlog"] = backlog
    return buckets


def _per_day(session: Session, scope: Scope) -> PerDay:
    """The rollup's part remembered until the rollup changes, plus what changed since."""
    split = rollups.split_rows(session, scope)
    found = _read(session, split.live)
    if split.remembered is None:
        return found
    remembered = answer_cache.remembered(
        split.key and ("trends", split.key),
        lambda: _read(session, split.remembered),
        weight=lambda days: 1 + len(days) // 20,
    )
    total = dict(remembered)
    for day, counts in found.items():
        before = total.get(day, (0, 0, 0))
        total[day] = tuple(a + b for a, b in zip(before, counts, strict=True))  # type: ignore[assignment]
    return total


def _read(session: Session, rows: tuple[str, dict]) -> PerDay:
    sql, params = rows
    return {
        row.day: (int(row.created), int(row.resolved), int(row.ended))
        for row in session.execute(text(_PER_DAY.format(daily=sql)), params)
    }


def _backlog_before(session: Session, scope: Scope) -> int:
    if scope.first_day <= EPOCH_DAY:
        return 0
    earlier = scope.with_days(EPOCH_DAY, scope.first_day - timedelta(days=1))
    return sum(created - ended for created, _, ended in _per_day(session, earlier).values())


def bucket_start(day: date, interval: str) -> date:
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day

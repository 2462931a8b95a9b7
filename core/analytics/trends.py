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

from core.analytics import rollups
from core.analytics.scope import EPOCH_DAY, Scope

INTERVALS = ("day", "week", "month")

_PER_DAY = """
SELECT day, sum(created_n) AS created, sum(resolved_n) AS resolved, sum(ended_n) AS ended
FROM ({daily}) AS daily GROUP BY day
"""
_BEFORE = "SELECT coalesce(sum(created_n) - sum(ended_n), 0) FROM ({daily}) AS daily"


def trends(session: Session, scope: Scope, interval: str) -> list[dict[str, Any]]:
    sql, params = rollups.daily_rows(session, scope)
    per_day = {row.day: row for row in session.execute(text(_PER_DAY.format(daily=sql)), params)}
    backlog = _backlog_before(session, scope)
    buckets: list[dict[str, Any]] = []
    for day in scope.days():
        start = max(bucket_start(day, interval), scope.first_day)
        if not buckets or buckets[-1]["start"] != start:
            buckets.append({"start": start, "end": day, "created": 0, "resolved": 0})
        bucket = buckets[-1]
        row = per_day.get(day)
        if row is not None:
            bucket["created"] += int(row.created)
            bucket["resolved"] += int(row.resolved)
            backlog += int(row.created) - int(row.ended)
        bucket["end"] = day
        bucket["backlog"] = backlog
    return buckets


def _backlog_before(session: Session, scope: Scope) -> int:
    if scope.first_day <= EPOCH_DAY:
        return 0
    earlier = scope.with_days(EPOCH_DAY, scope.first_day - timedelta(days=1))
    sql, params = rollups.daily_rows(session, earlier)
    return int(session.execute(text(_BEFORE.format(daily=sql)), params).scalar() or 0)


def bucket_start(day: date, interval: str) -> date:
    if interval == "week":
        return day - timedelta(days=day.weekday())
    if interval == "month":
        return day.replace(day=1)
    return day

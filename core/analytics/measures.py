"""The measures managers read, over a scope, whole or split by a dimension.

Definitions (all days are city days, the period is inclusive):
- created: tickets created in the period; resolved: tickets whose resolved_at is in it.
- first response (median, p90): over tickets created in the period that have had one.
- resolution time (median, p90): created → resolved, over tickets resolved in the period.
- SLA compliance: tickets resolved in the period by their due time, of those with one.
- reopen rate: tickets resolved in the period that had been reopened, of those resolved.
- escalation rate: tickets created in the period escalated at least once, of those created;
  approval rate: approved of the decided escalations of those tickets.
- satisfaction: feedback on the tickets resolved in the period (response rate = feedback
  received / resolved; average rating; share answering "fixed" yes).
- backlog: open tickets now (the period does not apply), the median and oldest age, and
  how many are past their due time.
Percentiles interpolate between neighbours (`percentile_cont`). Durations are in hours.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.analytics import answer_cache, percentiles, rollups
from core.analytics.backlog import Backlog
from core.analytics.backlog import backlog as open_backlog
from core.analytics.scope import Scope

DIMENSIONS = {"team": "coalesce(team_id, 0)", "category": "category_id", "channel": "channel"}
SUMS = (
    "created", "resolved", "resolved_with_due", "on_time", "reopened", "escalated",
    "decided", "approved", "feedback", "rating_sum", "rating_n", "fixed_yes", "fixed_answered",
)  # fmt: skip

_SUMS = """
SELECT {group} AS grp,
    sum(created_n) AS created, sum(resolved_n) AS resolved,
    sum(resolved_with_due_n) AS resolved_with_due, sum(resolved_on_time_n) AS on_time,
    sum(reopened_n) AS reopened, sum(escalated_n) AS escalated,
    sum(escalations_decided_n) AS decided, sum(escalations_approved_n) AS approved,
    sum(feedback_n) AS feedback, sum(rating_sum) AS rating_sum, sum(rating_n) AS rating_n,
    sum(fixed_yes_n) AS fixed_yes, sum(fixed_answered_n) AS fixed_answered
FROM ({daily}) AS daily {group_by}
"""
_DURATIONS = """
SELECT {group} AS grp, first_response_s, resolution_s FROM ({daily}) AS daily
WHERE cardinality(first_response_s) > 0 OR cardinality(resolution_s) > 0
"""

Period = tuple[dict[Any, dict[str, int]], percentiles.Sorted]


def measures(
    session: Session, scope: Scope, now: datetime, by: str | None = None, *, total: bool = False
) -> dict[Any, dict[str, Any]]:
    """Every measure for `scope`, keyed by the `by` dimension's value; the whole scope
    under the key None (alone when `by` is None, alongside the groups with `total`).
    Teams are keyed by id with 0 for "no team". The rollup's part is remembered until
    the rollup changes; what changed since is read and added on every call.
    """
    if by is None:
        group, group_by = "NULL::integer", ""
    else:
        group = DIMENSIONS[by]
        group_by = f"GROUP BY GROUPING SETS ((), ({group}))" if total else f"GROUP BY {group}"
    split = rollups.split_rows(session, scope)
    totals, durations = _period(session, split.live, group, group_by, total or by is None)
    if split.remembered is not None:
        old_totals, old_durations = answer_cache.remembered(
            split.key and ("measures", split.key, group, total),
            lambda: _period(session, split.remembered, group, group_by, total or by is None),
            weight=_weight,
        )
        totals = _added(old_totals, totals)
        durations = percentiles.merged(old_durations, durations)
    backlogs = open_backlog(session, scope, now, None if by is None else group, total=total)
    keys = set(totals) | {key for key, b in backlogs.items() if b is not None}
    if by is not None and not total:
        keys.discard(None)
    return {
        key: _shape(
            totals.get(key),
            backlogs.get(key),
            {m: percentiles.summary(durations[m].get(key)) for m in percentiles.METRICS},
            now,
        )
        for key in keys
    }


def _period(
    session: Session, rows: tuple[str, dict], group: str, group_by: str, total: bool
) -> Period:
    """The sums and the sorted durations of `rows`, per group."""
    sql, params = rows
    totals = {
        row.grp: {name: int(getattr(row, name) or 0) for name in SUMS}
        for row in session.execute(
            text(_SUMS.format(daily=sql, group=group, group_by=group_by)), params
        )
    }
    found = session.execute(text(_DURATIONS.format(daily=sql, group=group)), params)
    return totals, percentiles.gathered(found, total=total)


def _added(old: dict[Any, dict[str, int]], new: dict[Any, dict[str, int]]) -> dict:
    result = dict(old)
    for key, sums in new.items():
        before = result.get(key)
        result[key] = sums if before is None else {n: before[n] + sums[n] for n in SUMS}
    return result


def _weight(period: Period) -> int:
    """About one unit per 2 kB (see answer_cache)."""
    values = sum(len(a) for groups in period[1].values() for a in groups.values())
    return 1 + len(period[0]) + values // 500


def empty(now: datetime) -> dict[str, Any]:
    return _shape(None, None, {}, now)


def _shape(
    sums: Any, backlog: Backlog | None, durations: dict[str, Any], now: datetime
) -> dict[str, Any]:
    s = _Sums(sums)
    responded, fr_values = durations.get("first_response_s", (0, None))
    fr = _percentiles(fr_values)
    rs = _percentiles(durations.get("resolution_s", (0, None))[1])
    return {
        "created": s.created,
        "resolved": s.resolved,
        "backlog": _backlog(backlog, now),
        "first_response_hours": {"responded": responded, "median": fr[0], "p90": fr[1]},
        "resolution_hours": {"median": rs[0], "p90": rs[1]},
        "sla": {
            "resolved_with_due": s.resolved_with_due,
            "resolved_on_time": s.on_time,
            "compliance": ratio(s.on_time, s.resolved_with_due),
            "open_overdue": backlog.overdue if backlog else 0,
        },
        "reopen_rate": ratio(s.reopened, s.resolved),
        "escalations": {
            "escalated_tickets": s.escalated,
            "rate": ratio(s.escalated, s.created),
            "decided": s.decided,
            "approved": s.approved,
            "approval_rate": ratio(s.approved, s.decided),
        },
        "satisfaction": {
            "responses": s.feedback,
            "response_rate": ratio(s.feedback, s.resolved),
            "average_rating": ratio(s.rating_sum, s.rating_n, digits=2),
            "fixed_share": ratio(s.fixed_yes, s.fixed_answered),
        },
    }


class _Sums:
    """Integer view of one group's sums; zeros when the scope has none."""

    def __init__(self, sums: dict[str, int] | None) -> None:
        for name in SUMS:
            setattr(self, name, sums[name] if sums is not None else 0)


def _backlog(b: Backlog | None, now: datetime) -> dict[str, Any]:
    if b is None or not b.open:
        return {"open": 0, "median_age_hours": None, "oldest_age_hours": None}
    return {
        "open": b.open,
        "median_age_hours": hours(now.timestamp() - b.median_created),
        "oldest_age_hours": hours((now - b.oldest).total_seconds()),
    }


def _percentiles(values: list[float] | None) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    return hours(values[0]), hours(values[1])


def hours(seconds: float) -> float:
    return round(seconds / 3600, 2)


def ratio(part: int, whole: int, digits: int = 4) -> float | None:
    return round(part / whole, digits) if whole else None

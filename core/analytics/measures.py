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

from core.analytics import answer_cache, rollups
from core.analytics.backlog import Backlog
from core.analytics.backlog import backlog as open_backlog
from core.analytics.percentiles import percentiles
from core.analytics.scope import Scope

DIMENSIONS = {"team": "coalesce(team_id, 0)", "category": "category_id", "channel": "channel"}

_SUMS = """
WITH daily AS ({daily})
SELECT {group} AS grp,
    sum(created_n) AS created, sum(resolved_n) AS resolved,
    sum(resolved_with_due_n) AS resolved_with_due, sum(resolved_on_time_n) AS on_time,
    sum(reopened_n) AS reopened, sum(escalated_n) AS escalated,
    sum(escalations_decided_n) AS decided, sum(escalations_approved_n) AS approved,
    sum(feedback_n) AS feedback, sum(rating_sum) AS rating_sum, sum(rating_n) AS rating_n,
    sum(fixed_yes_n) AS fixed_yes, sum(fixed_answered_n) AS fixed_answered
FROM daily {group_by}
"""


def measures(
    session: Session, scope: Scope, now: datetime, by: str | None = None, *, total: bool = False
) -> dict[Any, dict[str, Any]]:
    """Every measure for `scope`, keyed by the `by` dimension's value; the whole scope
    under the key None (alone when `by` is None, alongside the groups with `total`).
    Teams are keyed by id with 0 for "no team". One pass over the rollup either way.
    """
    if by is None:
        group, group_by = "NULL::integer", ""
    else:
        group = DIMENSIONS[by]
        group_by = f"GROUP BY GROUPING SETS ((), ({group}))" if total else f"GROUP BY {group}"
    version = rollups.clean_key(session, scope.zone, scope.first_day, scope.last_day)
    sums, durations = answer_cache.remembered(
        version and ("measures", version, scope, group, total),
        lambda: _period_measures(session, scope, group, group_by, total),
    )
    backlogs = open_backlog(session, scope, now, None if by is None else group, total=total)
    keys = set(sums) | {key for key, b in backlogs.items() if b is not None}
    if by is not None and not total:
        keys.discard(None)
    return {
        key: _shape(sums.get(key), backlogs.get(key), _durations(durations, key), now)
        for key in keys
    }


def _period_measures(
    session: Session, scope: Scope, group: str, group_by: str, total: bool
) -> tuple[dict[Any, Any], dict[str, dict[Any, Any]]]:
    """The sums and duration percentiles of the period, per group."""
    daily_sql, params = rollups.daily_rows(session, scope)
    sql = _SUMS.format(daily=daily_sql, group=group, group_by=group_by)
    sums = {row.grp: row for row in session.execute(text(sql), params)}
    return sums, percentiles(session, daily_sql, params, group, total=total)


def _durations(durations: dict, key: Any) -> dict[str, Any]:
    return {metric: durations[metric].get(key, (0, None)) for metric in durations}


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
    """Integer view of one totals row; zeros when the scope has no rows."""

    FIELDS = (
        "created", "resolved", "resolved_with_due", "on_time", "reopened", "escalated",
        "decided", "approved", "feedback", "rating_sum", "rating_n", "fixed_yes",
        "fixed_answered",
    )  # fmt: skip

    def __init__(self, row: Any) -> None:
        for name in self.FIELDS:
            setattr(self, name, int(getattr(row, name) or 0) if row is not None else 0)


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

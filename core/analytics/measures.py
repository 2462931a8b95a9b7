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

from core.analytics import rollups
from core.analytics.scope import OPEN_STATUSES_SQL, Scope

DIMENSIONS = {"team": "coalesce(team_id, 0)", "category": "category_id", "channel": "channel"}

_SUMS = """
WITH daily AS ({daily}),
totals AS (
    SELECT {group} AS grp,
        sum(created_n) AS created, sum(resolved_n) AS resolved,
        sum(resolved_with_due_n) AS resolved_with_due, sum(resolved_on_time_n) AS on_time,
        sum(reopened_n) AS reopened, sum(escalated_n) AS escalated,
        sum(escalations_decided_n) AS decided, sum(escalations_approved_n) AS approved,
        sum(feedback_n) AS feedback, sum(rating_sum) AS rating_sum, sum(rating_n) AS rating_n,
        sum(fixed_yes_n) AS fixed_yes, sum(fixed_answered_n) AS fixed_answered
    FROM daily GROUP BY 1
),
first_response AS (
    SELECT {group} AS grp, count(*) AS n,
        percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY s) AS p
    FROM daily, unnest(first_response_s) AS s GROUP BY 1
),
resolution AS (
    SELECT {group} AS grp, count(*) AS n,
        percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY s) AS p
    FROM daily, unnest(resolution_s) AS s GROUP BY 1
)
SELECT totals.*, fr.n AS fr_n, fr.p AS fr_p, rs.n AS rs_n, rs.p AS rs_p
FROM totals
LEFT JOIN first_response fr ON fr.grp = totals.grp
LEFT JOIN resolution rs ON rs.grp = totals.grp
"""

# The open backlog straight from tickets: the partial index ix_tickets_open_created_at
# covers every column used, so this reads only the open tickets' index entries.
_BACKLOG = f"""
SELECT {{group}} AS grp, count(*) AS open,
    min(created_at) AS oldest,
    percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM created_at)) AS median_created,
    count(*) FILTER (WHERE due_at < :now) AS overdue
FROM tickets WHERE status IN {OPEN_STATUSES_SQL} {{filters}}
GROUP BY 1
"""  # noqa: S608 - constants only; values are bound


def measures(
    session: Session, scope: Scope, now: datetime, by: str | None = None
) -> dict[Any, dict[str, Any]]:
    """Every measure for `scope`, keyed by the `by` dimension's value (None: one total).

    Teams are keyed by id with 0 for "no team".
    """
    group = DIMENSIONS[by] if by else "0"
    daily_sql, params = rollups.daily_rows(session, scope)
    sums = {
        row.grp: row
        for row in session.execute(text(_SUMS.format(daily=daily_sql, group=group)), params)
    }
    filters, filter_params = scope.filter_sql()
    backlog = {
        row.grp: row
        for row in session.execute(
            text(_BACKLOG.format(group=group, filters=filters)), {**filter_params, "now": now}
        )
    }
    keys = set(sums) | set(backlog)
    if by is None:
        keys = {0}
    return {key: _shape(sums.get(key), backlog.get(key), now) for key in keys}


def empty(now: datetime) -> dict[str, Any]:
    return _shape(None, None, now)


def _shape(sums: Any, backlog: Any, now: datetime) -> dict[str, Any]:
    s = _Sums(sums)
    fr = _percentiles(sums.fr_p if sums else None)
    rs = _percentiles(sums.rs_p if sums else None)
    return {
        "created": s.created,
        "resolved": s.resolved,
        "backlog": _backlog(backlog, now),
        "first_response_hours": {"responded": s.fr_n, "median": fr[0], "p90": fr[1]},
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
        "fixed_answered", "fr_n",
    )  # fmt: skip

    def __init__(self, row: Any) -> None:
        for name in self.FIELDS:
            setattr(self, name, int(getattr(row, name) or 0) if row is not None else 0)


def _backlog(row: Any, now: datetime) -> dict[str, Any]:
    if row is None or not row.open:
        return {"open": 0, "median_age_hours": None, "oldest_age_hours": None}
    return {
        "open": int(row.open),
        "median_age_hours": hours(now.timestamp() - float(row.median_created)),
        "oldest_age_hours": hours((now - row.oldest).total_seconds()),
    }


def _percentiles(values: list[float] | None) -> tuple[float | None, float | None]:
    if not values:
        return None, None
    return hours(values[0]), hours(values[1])


def hours(seconds: float) -> float:
    return round(seconds / 3600, 2)


def ratio(part: int, whole: int, digits: int = 4) -> float | None:
    return round(part / whole, digits) if whole else None

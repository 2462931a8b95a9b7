"""The dashboard's query string -> core's analytics Scope, the same filters as the
analytics API (from, to, category, team, channel) with the same default period and
the same longest period. What does not parse is left out rather than refused: a
hand-edited address bar still shows a dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import text
from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from console.inbox_filters import _int
from core.analytics.scope import Scope, day_start, default_period
from core.models.tickets import CHANNELS
from core.tickets.queries import TicketFilters

MAX_PERIOD_DAYS = 3 * 366  # the analytics API's


def _day(value: str | None) -> date | None:
    try:
        day = date.fromisoformat(value or "")
    except ValueError:
        return None
    return day if date(2000, 1, 1) <= day <= date(2100, 12, 31) else None


@dataclass(frozen=True)
class DashboardView:
    first_day: date
    last_day: date
    category_id: int | None
    team_id: int | None
    channel: str | None

    def scope(self, timezone: str) -> Scope:
        return Scope(self.first_day, self.last_day, timezone, category_id=self.category_id,
                     team_id=self.team_id, channel=self.channel)  # fmt: skip

    def api_query(self) -> dict[str, Any]:
        """The same filters as the analytics API's query string."""
        query: dict[str, Any] = {
            "from": self.first_day.isoformat(),
            "to": self.last_day.isoformat(),
        }
        for name, value in (("category", self.category_id), ("team", self.team_id),
                            ("channel", self.channel)):  # fmt: skip
            if value is not None:
                query[name] = value
        return query

    def ticket_filters(self, timezone: str) -> TicketFilters:
        """The exports' filters: tickets created in the period, of the category, team
        and channel (the ticket list's filters, as the API's exports take them)."""
        zone = ZoneInfo(timezone)
        return TicketFilters(
            category_id=self.category_id, team_id=self.team_id, channel=self.channel,
            created_from=day_start(self.first_day, zone),
            created_to=day_start(self.last_day + timedelta(days=1), zone),
        )  # fmt: skip


def dashboard_view(
    args: MultiDict[str, str], timezone: str, now: datetime | None = None
) -> DashboardView:
    _, today = default_period(now or datetime.now(UTC), ZoneInfo(timezone))
    first, last = _day(args.get("from")), _day(args.get("to"))
    last = last or today
    if first is None or first > last:
        first = last - timedelta(days=29)
    if (last - first).days >= MAX_PERIOD_DAYS:
        first = last - timedelta(days=MAX_PERIOD_DAYS - 1)
    channel = args.get("channel")
    return DashboardView(first, last, _int(args.get("category")), _int(args.get("team")),
                         channel if channel in CHANNELS else None)  # fmt: skip


def analytics_session(session: Session) -> Session:
    """As the analytics API: no JIT for these millisecond queries (see admin_api)."""
    session.execute(text("SET LOCAL jit = off"))
    return session

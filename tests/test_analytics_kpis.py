"""KPIs, per-team/category measures and trends on a hand-made city, number by number."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import select, text

from core.analytics import breakdowns, kpis, rollups, trends
from core.analytics.measures import measures
from core.analytics.scope import Scope
from core.models import Category
from core.tickets.seed_data import seed_defaults
from tests.analytics_dataset import NOW, TZ, build_city, october, utc


@pytest.fixture
def city(seeded, make_user):
    return build_city(seeded, make_user)


OCTOBER_TOTAL = {
    "created": 5,  # T2 (midnight 1 Oct), T3, T4 (23:59 31 Oct), T6, T7
    "resolved": 3,  # T1 (created 30 Sep), T2, T6
    "backlog": {
        "open": 4,  # T3, T4, T5, T8: now, whatever the period
        # median created = halfway between T3 and T4 = 2026-10-21 02:59:30 UTC
        "median_age_hours": 825.01,
        "oldest_age_hours": 2760.0,  # T8, 115 days
    },
    # T7 1 h, T6 1 h, T2 2 h, T3 4 h
    "first_response_hours": {"responded": 4, "median": 1.5, "p90": 3.4},
    # T1 5 h 1 min, T2 10 h, T6 100 h
    "resolution_hours": {"median": 10.0, "p90": 82.0},
    "sla": {
        "resolved_with_due": 3,
        "resolved_on_time": 2,
        "compliance": 0.6667,
        "open_overdue": 3,  # T3, T4, T8
    },
    "reopen_rate": 0.3333,  # T2
    "escalations": {
        "escalated_tickets": 2,  # T3 approved, T6 rejected (T8's is before the period)
        "rate": 0.4,
        "decided": 2,
        "approved": 1,
        "approval_rate": 0.5,
    },
    "satisfaction": {
        "responses": 2,
        "response_rate": 0.6667,
        "average_rating": 4.0,
        "fixed_share": 0.5,
    },
}

NOTHING = {
    "created": 0,
    "resolved": 0,
    "first_response_hours": {"responded": 0, "median": None, "p90": None},
    "resolution_hours": {"median": None, "p90": None},
    "sla": {"resolved_with_due": 0, "resolved_on_time": 0, "compliance": None, "open_overdue": 0},
    "reopen_rate": None,
    "escalations": {
        "escalated_tickets": 0,
        "rate": None,
        "decided": 0,
        "approved": 0,
        "approval_rate": None,
    },
    "satisfaction": {
        "responses": 0,
        "response_rate": None,
        "average_rating": None,
        "fixed_share": None,
    },
}


def _without_channels(result: dict) -> dict:
    return {k: v for k, v in result.items() if k != "by_channel"}


def test_october_kpis_are_exact(city, seeded):
    assert _without_channels(kpis.kpis(seeded, october(), NOW)) == OCTOBER_TOTAL


def test_kpis_split_by_channel(city, seeded):
    by_channel = {row["channel"]: row for row in kpis.kpis(seeded, october(), NOW)["by_channel"]}
    assert list(by_channel) == ["whatsapp", "sms", "api", "open311"]
    assert [(c, r["created"], r["resolved"]) for c, r in by_channel.items()] == [
        ("whatsapp", 2, 2),
        ("sms", 2, 0),
        ("api", 1, 1),
        ("open311", 0, 0),
    ]
    assert by_channel["whatsapp"]["backlog"]["open"] == 2  # T5, T8
    assert by_channel["sms"]["backlog"]["open"] == 2  # T3, T4
    assert by_channel["whatsapp"]["satisfaction"]["average_rating"] == 4.0
    assert by_channel["api"]["resolution_hours"] == {"median": 100.0, "p90": 100.0}
    assert by_channel["open311"]["backlog"]["open"] == 0


def test_empty_period_has_zeros_but_still_the_backlog(city, seeded):
    scope = Scope(date(2026, 6, 1), date(2026, 6, 30), TZ)
    result = _without_channels(kpis.kpis(seeded, scope, NOW))
    assert result == {**NOTHING, "backlog": OCTOBER_TOTAL["backlog"], "sla": {
        **NOTHING["sla"], "open_overdue": 3}}  # fmt: skip


def test_a_filter_matching_nothing_gives_zeros(city, seeded):
    result = _without_channels(kpis.kpis(seeded, october(channel="open311"), NOW))
    assert result == {
        **NOTHING,
        "backlog": {"open": 0, "median_age_hours": None, "oldest_age_hours": None},
    }


def test_category_filter(city, seeded):
    lighting = city.categories["lighting"].id
    result = kpis.kpis(seeded, october(category_id=lighting), NOW)
    assert (result["created"], result["resolved"]) == (2, 0)  # T3, T4
    assert result["backlog"]["open"] == 3  # T3, T4, T5
    assert result["first_response_hours"] == {"responded": 1, "median": 4.0, "p90": 4.0}
    assert result["escalations"]["approval_rate"] == 1.0


def test_the_day_boundary_is_midnight_in_istanbul(city, seeded):
    first_day = Scope(date(2026, 10, 1), date(2026, 10, 1), TZ)
    result = kpis.kpis(seeded, first_day, NOW)
    # T2 at 00:00 city time is in; T1 at 23:59 the evening before is not.
    assert result["created"] == 1
    assert result["resolved"] == 2  # T1 and T2 both resolved that morning
    in_utc_days = Scope(date(2026, 10, 1), date(2026, 10, 1), "UTC")
    assert kpis.kpis(seeded, in_utc_days, NOW)["created"] == 0  # T2 is 30 Sep in UTC


def test_teams_with_no_team_and_quiet_teams(city, seeded):
    rows = {row["name"]: row for row in breakdowns.by_team(seeded, october(), NOW)}
    assert set(rows) == {t for t in city.teams} | {None}
    roads = rows["Fen İşleri"]
    assert (roads["created"], roads["resolved"], roads["backlog"]["open"]) == (3, 3, 0)
    assert roads["resolution_hours"] == {"median": 10.0, "p90": 82.0}
    lights = rows["Aydınlatma"]
    assert (lights["created"], lights["backlog"]["open"], lights["sla"]["open_overdue"]) == (
        2,
        3,
        2,
    )
    assert rows[None]["id"] is None and rows[None]["backlog"]["open"] == 1  # T8
    assert rows["Ulaşım Hizmetleri"]["created"] == 0


def test_teams_sorted_by_who_is_behind(city, seeded):
    rows = breakdowns.by_team(seeded, october(), NOW)
    ordered = breakdowns.sort_rows(rows, "open", descending=True)
    assert [(r["name"], r["backlog"]["open"]) for r in ordered[:3]] == [
        ("Aydınlatma", 3),
        (None, 1),
        ("Fen İşleri", 0),
    ]
    # Rows without a value go last whichever way the sort runs.
    by_resolution = breakdowns.sort_rows(rows, "median_resolution", descending=False)
    assert by_resolution[0]["name"] == "Fen İşleri"


def test_categories(city, seeded):
    rows = {row["name"]: row for row in breakdowns.by_category(seeded, october(), NOW)}
    assert set(rows) == set(city.categories)
    assert rows["infrastructure"]["created"] == 3
    assert rows["infrastructure"]["satisfaction"]["responses"] == 2
    assert rows["parks"]["backlog"]["open"] == 1
    assert rows["waste"]["created"] == 0


def test_weekly_trend_every_bucket_clipped_to_the_period(city, seeded):
    buckets = trends.trends(seeded, october(), "week")
    assert [(b["start"], b["end"], b["created"], b["resolved"], b["backlog"]) for b in buckets] == [
        (date(2026, 10, 1), date(2026, 10, 4), 1, 2, 1),
        (date(2026, 10, 5), date(2026, 10, 11), 1, 0, 2),
        (date(2026, 10, 12), date(2026, 10, 18), 1, 0, 3),
        (date(2026, 10, 19), date(2026, 10, 25), 1, 1, 2),
        (date(2026, 10, 26), date(2026, 10, 31), 1, 0, 3),
    ]


def test_daily_trend_across_midnight(city, seeded):
    scope = Scope(date(2026, 9, 30), date(2026, 10, 2), TZ)
    buckets = trends.trends(seeded, scope, "day")
    assert [(b["start"], b["created"], b["resolved"], b["backlog"]) for b in buckets] == [
        (date(2026, 9, 30), 1, 0, 2),  # T1 joins T8
        (date(2026, 10, 1), 1, 2, 1),  # T2 in, T1 and T2 resolved
        (date(2026, 10, 2), 0, 0, 1),  # an empty day is still there
    ]


def test_monthly_trend(city, seeded):
    scope = Scope(date(2026, 9, 15), date(2026, 11, 5), TZ)
    buckets = trends.trends(seeded, scope, "month")
    assert [(b["start"], b["end"], b["created"], b["resolved"], b["backlog"]) for b in buckets] == [
        (date(2026, 9, 15), date(2026, 9, 30), 1, 0, 2),
        (date(2026, 10, 1), date(2026, 10, 31), 5, 3, 3),
        (date(2026, 11, 1), date(2026, 11, 5), 1, 0, 4),
    ]


def test_rollup_gives_the_same_numbers_and_stays_exact_between_refreshes(city, seeded):
    live = kpis.kpis(seeded, october(), NOW)
    live_teams = measures(seeded, october(), NOW, by="team")
    live_trend = trends.trends(seeded, october(), "week")
    rollups.refresh(seeded, TZ)
    assert rollups.state(seeded, october().zone).built
    assert seeded.execute(rollups.text("SELECT count(*) FROM analytics_dirty_hours")).scalar() == 0
    assert kpis.kpis(seeded, october(), NOW) == live
    assert measures(seeded, october(), NOW, by="team") == live_teams
    assert trends.trends(seeded, october(), "week") == live_trend

    # T3 is resolved now-ish in October: the answer changes at once, before any refresh,
    # from what the write recorded (no day is recomputed from the tickets).
    t3 = city.tickets["T3"]
    t3.status, t3.resolved_at = "resolved", utc(2026, 10, 11, 9, 0)
    seeded.flush()
    assert _count(seeded, "analytics_dirty_hours") == 0
    assert _count(seeded, "analytics_daily_changes") > 0
    changed = kpis.kpis(seeded, october(), NOW)
    assert (changed["resolved"], changed["backlog"]["open"]) == (4, 3)
    assert changed["resolution_hours"] == {"median": 17.0, "p90": 77.2}  # 5 h 1 min, 10, 24, 100
    assert rollups.refresh(seeded, TZ) == 0  # a few change rows are not folded yet
    assert kpis.kpis(seeded, october(), NOW) == changed
    # the day it was created and the day it was resolved
    assert rollups.refresh(seeded, TZ, fold_after=1) >= 2
    assert _count(seeded, "analytics_daily_changes") == 0
    assert kpis.kpis(seeded, october(), NOW) == changed


def _count(db, table: str) -> int:
    return db.execute(rollups.text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608


def test_a_reopen_takes_a_duration_away_so_its_days_are_computed_live(city, seeded):
    rollups.refresh(seeded, TZ)
    t6 = city.tickets["T6"]  # resolved in October after 100 h
    t6.status, t6.resolved_at, t6.reopen_count = "in_progress", None, 1
    seeded.flush()
    assert _count(seeded, "analytics_dirty_hours") > 0
    changed = kpis.kpis(seeded, october(), NOW)
    assert (changed["resolved"], changed["backlog"]["open"]) == (2, 5)
    assert changed["resolution_hours"] == {"median": 7.51, "p90": 9.5}  # T1 5 h 1 min, T2 10 h
    rollups.refresh(seeded, TZ)
    assert kpis.kpis(seeded, october(), NOW) == changed


def test_refresh_rebuilds_when_the_city_timezone_changes(city, seeded):
    rollups.refresh(seeded, TZ)
    utc_day = Scope(date(2026, 10, 1), date(2026, 10, 1), "UTC")
    assert not rollups.state(seeded, utc_day.zone).built
    assert kpis.kpis(seeded, utc_day, NOW)["created"] == 0  # computed live, still right
    rollups.refresh(seeded, "UTC")
    assert kpis.kpis(seeded, utc_day, NOW)["created"] == 0
    assert (
        kpis.kpis(seeded, Scope(date(2026, 9, 30), date(2026, 9, 30), "UTC"), NOW)["created"] == 2
    )  # T1 and T2


@pytest.mark.parametrize("refreshed", [False, True])
def test_overdue_includes_tickets_due_earlier_today(city, seeded, refreshed):
    if refreshed:
        rollups.refresh(seeded, TZ)
    city.tickets["T5"].due_at = utc(2026, 11, 24, 11, 0)  # an hour before NOW: overdue
    city.tickets["T4"].due_at = utc(2026, 11, 24, 13, 0)  # an hour after NOW: not yet
    seeded.flush()
    if refreshed:
        rollups.refresh(seeded, TZ)
    result = kpis.kpis(seeded, october(), NOW)
    assert result["sla"]["open_overdue"] == 3  # T3, T5, T8
    by_channel = {row["channel"]: row["sla"]["open_overdue"] for row in result["by_channel"]}
    assert by_channel == {"whatsapp": 2, "sms": 1, "api": 0, "open311": 0}


def test_backlog_median_with_an_odd_count(city, seeded):
    rollups.refresh(seeded, TZ)
    city.tickets["T5"].status = "closed"
    city.tickets["T5"].closed_at = utc(2026, 11, 2, 9, 0)
    seeded.flush()
    backlog = kpis.kpis(seeded, october(), NOW)["backlog"]
    # T8, T3, T4 open: the median is T3 (2026-10-10 09:00), 45 days and 3 h before NOW.
    assert backlog == {"open": 3, "median_age_hours": 1083.0, "oldest_age_hours": 2760.0}


def test_writers_of_the_same_rollup_row_never_wait_on_each_other(committed_db, engine):
    """Two reports of the same day, category, team and channel, in transactions open at
    the same time: the second commits at once while the first is still open (change rows
    are inserted, never updated), and both are counted."""
    with committed_db.transaction() as session:
        seed_defaults(session)
        rollups.refresh(session, TZ)
        category = session.scalars(select(Category).order_by(Category.id)).first()
    report = text(
        "INSERT INTO tickets (category_id, description, status, priority, channel, created_at,"
        " needs_location, reopen_count, attributes, source_details, address)"
        " VALUES (:c, 'a pothole here', 'new', 'normal', 'sms', :at, false, 0, '{}', '{}', 'x')"
    )
    values = {"c": category.id, "at": utc(2026, 11, 24, 9, 0)}
    with engine.connect() as first, engine.connect() as second:
        first.execute(report, values)
        second.execute(text("SET lock_timeout = '1s'"))
        second.execute(report, values)
        second.commit()
        first.commit()
    with committed_db.transaction() as session:
        day = Scope(date(2026, 11, 24), date(2026, 11, 24), TZ)
        assert kpis.kpis(session, day, NOW)["created"] == 2
        assert session.execute(text("SELECT count(*) FROM analytics_daily_changes")).scalar() == 2


def test_closing_the_oldest_open_ticket_between_refreshes(city, seeded):
    """The rollup's per-day oldest cannot follow a ticket closing (a change row only
    subtracts from counts): the oldest comes from the open tickets themselves."""
    rollups.refresh(seeded, TZ)
    t8 = city.tickets["T8"]  # the oldest open ticket, 115 days old
    t8.status, t8.closed_at, t8.resolution = "closed", utc(2026, 11, 24, 9, 0), "invalid"
    seeded.flush()
    assert _count(seeded, "analytics_dirty_hours") == 0
    # T3 (10 Oct 09:00) is the oldest now; the median of T3, T4, T5 is T4 (31 Oct 20:59).
    expected = {"open": 3, "median_age_hours": 567.02, "oldest_age_hours": 1083.0}
    assert kpis.kpis(seeded, october(), NOW)["backlog"] == expected
    rollups.refresh(seeded, TZ, fold_after=1)
    assert kpis.kpis(seeded, october(), NOW)["backlog"] == expected

"""Answers over clean rollup days are remembered until a refresh or a write changes them."""

from __future__ import annotations

from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import text

from core.analytics import answer_cache, geo_grid, kpis, rollups
from core.geo import point
from tests.analytics_dataset import NOW, TZ, build_city, october, utc


@pytest.fixture
def city(seeded, make_user):
    answer_cache.forget_all()
    return build_city(seeded, make_user)


def _inflate_rollup(db) -> None:
    """Change the rollup behind the cache's back (no trigger on it), so a remembered
    answer can be told from a fresh one."""
    db.execute(text("UPDATE analytics_daily SET created_n = created_n + 100"))


def test_a_clean_answer_is_remembered_until_the_next_refresh(city, seeded):
    rollups.refresh(seeded, TZ)
    first = kpis.kpis(seeded, october(), NOW)
    assert first["created"] == 5
    _inflate_rollup(seeded)
    assert kpis.kpis(seeded, october(), NOW) == first  # remembered
    rollups.refresh(seeded, TZ)  # nothing dirty, but a new refresh: a new key
    assert kpis.kpis(seeded, october(), NOW)["created"] > 5  # read again from the rollup


def test_a_write_in_the_period_is_seen_at_once(city, seeded):
    rollups.refresh(seeded, TZ)
    assert kpis.kpis(seeded, october(), NOW)["resolved"] == 3
    t3 = city.tickets["T3"]
    t3.status, t3.resolved_at = "resolved", utc(2026, 10, 11, 9, 0)
    seeded.flush()
    changed = kpis.kpis(seeded, october(), NOW)
    assert (changed["resolved"], changed["backlog"]["open"]) == (4, 3)
    rollups.refresh(seeded, TZ)
    assert kpis.kpis(seeded, october(), NOW) == changed


def test_a_write_outside_the_period_still_changes_the_backlog(city, seeded):
    rollups.refresh(seeded, TZ)
    assert kpis.kpis(seeded, october(), NOW)["backlog"]["open"] == 4
    city.tickets["T5"].status = "closed"  # created 1 Nov, after October
    city.tickets["T5"].closed_at = utc(2026, 11, 2, 9, 0)
    seeded.flush()
    assert kpis.kpis(seeded, october(), NOW)["backlog"]["open"] == 3


def test_no_key_without_a_rollup_or_with_a_dirty_day(city, seeded):
    zone = october().zone
    first, last = october().first_day, october().last_day
    assert rollups.clean_key(seeded, zone, first, last) is None  # never refreshed
    rollups.refresh(seeded, TZ)
    key = rollups.clean_key(seeded, zone, first, last)
    assert key is not None
    assert rollups.clean_key(seeded, ZoneInfo("UTC"), first, last) is None
    city.tickets["T4"].priority = "high"  # not a measure: the day stays clean
    seeded.flush()
    assert rollups.clean_key(seeded, zone, first, last) == key
    city.tickets["T3"].status = "escalated"
    seeded.flush()
    assert rollups.clean_key(seeded, zone, first, last) is None
    rollups.refresh(seeded, TZ)  # two refreshes in one transaction still differ
    assert rollups.clean_key(seeded, zone, first, last) not in (None, key)


def test_the_cache_is_bounded():
    answer_cache.forget_all()
    for i in range(answer_cache.MAX_ENTRIES + 10):
        assert answer_cache.remembered(("k", i), lambda i=i: i) == i
    assert answer_cache.remembered(("k", 0), lambda: "again") == "again"  # evicted
    assert answer_cache.remembered(None, lambda: "live") == "live"
    answer_cache.forget_all()


def _heatmap(db, settings):
    return geo_grid.heatmap(db, october(), settings.SERVICE_AREA_BBOX, "square", 500, [])


def _counted(monkeypatch) -> list[int]:
    """How many days each count of the map's cells covered."""
    calls: list[int] = []
    count = geo_grid._cells

    def counting(session, grid, days):
        calls.append(len(days))
        return count(session, grid, days)

    monkeypatch.setattr(geo_grid, "_cells", counting)
    return calls


def test_the_heatmap_is_remembered_while_its_days_are_clean(city, seeded, settings, monkeypatch):
    calls = _counted(monkeypatch)
    rollups.refresh(seeded, TZ)
    first = _heatmap(seeded, settings)
    assert _heatmap(seeded, settings) == first
    assert calls == [31]  # October once, then remembered
    assert sum(f["properties"]["count"] for f in first["features"]) == 5  # created in October


def test_a_dirty_day_is_counted_live_and_added(city, seeded, settings, monkeypatch):
    calls = _counted(monkeypatch)
    live = _heatmap(seeded, settings)  # no rollup yet: every day live, nothing remembered
    rollups.refresh(seeded, TZ)
    assert _heatmap(seeded, settings) == live
    city.tickets["T3"].location = point(41.0350, 29.0300)  # 5 km north, a cell of its own
    seeded.flush()
    moved = _heatmap(seeded, settings)
    assert len(moved["features"]) == len(live["features"]) + 1
    assert sum(f["properties"]["count"] for f in moved["features"]) == 5
    assert _heatmap(seeded, settings) == moved
    # 31 live days; 31 clean ones; then the 29 clean ones remembered, and the two days
    # the move touched (T3's creation and due days) counted live each time.
    assert calls == [31, 31, 29, 2, 2]
    rollups.refresh(seeded, TZ)
    assert _heatmap(seeded, settings) == moved


def test_heavy_answers_are_not_kept_and_the_weight_is_bounded():
    answer_cache.forget_all()
    heavy = answer_cache.MAX_ONE + 1
    assert answer_cache.remembered(("h",), lambda: "big", weight=lambda _: heavy) == "big"
    assert answer_cache.remembered(("h",), lambda: "again", weight=lambda _: heavy) == "again"
    share = answer_cache.MAX_ONE
    fit = answer_cache.MAX_WEIGHT // share
    for i in range(fit + 1):
        answer_cache.remembered(("w", i), lambda i=i: i, weight=lambda _: share)
    assert answer_cache.remembered(("w", 0), lambda: "recomputed") == "recomputed"
    assert answer_cache.remembered(("w", fit), lambda: "recomputed") == fit
    answer_cache.forget_all()

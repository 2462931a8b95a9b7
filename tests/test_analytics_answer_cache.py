"""Answers over clean rollup days are remembered until a refresh or a write changes them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select, text

from core.analytics import answer_cache, geo_grid, kpis, rollups
from core.analytics.scope import Scope
from core.geo import point
from core.models import Ticket
from core.tickets.seed_data import seed_defaults
from tests.analytics_dataset import NOW, TZ, build_city, october, utc
from tests.conftest import UserFactory


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
    rollups.refresh(seeded, TZ)  # nothing to do: the rollup, and so the key, stay
    assert kpis.kpis(seeded, october(), NOW) == first
    city.tickets["T6"].resolved_at = None  # a dirty day: the refresh recomputes it
    seeded.flush()
    rollups.refresh(seeded, TZ)  # the rollup changed: a new key
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


def _key(db, scope=None):
    return rollups.split_rows(db, scope or october()).key


def test_the_rollup_part_key_changes_only_with_the_rollup_or_a_dirty_day(city, seeded):
    assert _key(seeded) is None  # never refreshed: everything live, nothing kept
    rollups.refresh(seeded, TZ)
    key = _key(seeded)
    assert key is not None
    utc_october = Scope(october().first_day, october().last_day, "UTC")
    assert _key(seeded, utc_october) is None  # the rollup counts Istanbul days
    city.tickets["T4"].priority = "high"  # not a measure
    city.tickets["T3"].status = "escalated"  # still open: no measure changes
    seeded.flush()
    assert _key(seeded) == key
    city.tickets["T4"].first_response_at = utc(2026, 11, 1, 9, 0)  # a change row, read live
    seeded.flush()
    assert _key(seeded) == key
    city.tickets["T6"].resolved_at = None  # takes a duration away: a dirty day
    seeded.flush()
    dirty = _key(seeded)
    assert dirty not in (None, key)
    rollups.refresh(seeded, TZ)  # recomputes the dirty days: a new rollup
    after = _key(seeded)
    assert after not in (None, key, dirty)
    rollups.refresh(seeded, TZ, full=True)  # two refreshes in one transaction still differ
    assert _key(seeded) not in (None, key, dirty, after)


def test_the_cache_is_bounded():
    answer_cache.forget_all()
    for i in range(answer_cache.MAX_ENTRIES + 10):
        assert answer_cache.remembered(("k", i), lambda i=i: i) == i
    assert answer_cache.remembered(("k", 0), lambda: "again") == "again"  # evicted
    assert answer_cache.remembered(None, lambda: "live") == "live"
    answer_cache.forget_all()


def _heatmap(db, settings, statuses=()):
    return json.loads(
        geo_grid.heatmap(db, october(), settings.SERVICE_AREA_BBOX, "square", 500, list(statuses))
    )


T4_CREATED = utc(2026, 10, 31, 20, 59)


def _recounted(db, settings, statuses=()):
    """The same map counted from scratch."""
    answer_cache.forget_all()
    return _heatmap(db, settings, statuses)


def _counted(monkeypatch) -> list[int]:
    """How many times the map's tickets were counted from scratch."""
    calls: list[int] = []
    count = geo_grid._counted

    def counting(session, grid, source, since):
        if source is geo_grid._TICKETS:
            calls.append(1)
        return count(session, grid, source, since)

    monkeypatch.setattr(geo_grid, "_counted", counting)
    return calls


def _total(collection) -> int:
    return sum(f["properties"]["count"] for f in collection["features"])


def test_the_heatmap_is_remembered(city, seeded, settings, monkeypatch):
    calls = _counted(monkeypatch)
    first = _heatmap(seeded, settings)
    assert _heatmap(seeded, settings) == first
    assert calls == [1]  # counted once, then remembered
    assert _total(first) == 5  # created in October


@pytest.mark.parametrize("statuses", [(), ("new", "in_progress")])
def test_moves_are_added_to_the_remembered_map(city, seeded, settings, monkeypatch, statuses):
    calls = _counted(monkeypatch)
    before = _heatmap(seeded, settings, statuses)
    city.tickets["T3"].location = point(41.0350, 29.0300)  # 5 km north, a cell of its own
    city.tickets["T4"].status = "resolved"  # leaves the status filter
    city.tickets["T7"].created_at = utc(2026, 9, 1, 9, 0)  # leaves October
    seeded.flush()
    moved = _heatmap(seeded, settings, statuses)
    assert calls == [1]  # not counted again: the moves were added
    assert moved != before
    assert moved == _recounted(seeded, settings, statuses)
    seeded.delete(city.tickets["T3"])
    seeded.flush()
    assert _heatmap(seeded, settings, statuses) == _recounted(seeded, settings, statuses)


def test_a_map_remembered_before_others_commit_sees_their_moves(committed_db, settings):
    """Real commits: the map is counted in one transaction, a ticket is added and one
    moved in others, and a third transaction sees both, counted once each."""
    answer_cache.forget_all()
    with committed_db.transaction() as session:
        seed_defaults(session)
    with committed_db.transaction() as session:
        build_city(session, UserFactory(session))
    with committed_db.transaction() as session:
        before = _heatmap(session, settings)
    with committed_db.transaction() as session:
        session.execute(
            text(
                "UPDATE tickets SET location = ST_GeogFromText('POINT(29.03 41.035)')"
                " WHERE created_at = :t3"
            ),
            {"t3": utc(2026, 10, 10, 9, 0)},
        )
        one = session.scalars(select(Ticket).order_by(Ticket.id)).first()
        session.add(
            Ticket(
                category_id=one.category_id, description=one.description, channel="sms",
                created_at=utc(2026, 10, 20, 9, 0), location=point(41.0, 28.98),
            )
        )  # fmt: skip
    with committed_db.transaction() as session:
        after = _heatmap(session, settings)
        assert _total(after) == _total(before) + 1
        assert after != before
        assert after == _recounted(session, settings)
    with committed_db.transaction() as session:  # the recounted map is brought up to date
        session.execute(text("UPDATE tickets SET status = 'closed' WHERE channel = 'sms'"))
        session.execute(text("DELETE FROM tickets WHERE created_at = :t4"), {"t4": T4_CREATED})
    with committed_db.transaction() as session:
        latest = _heatmap(session, settings)
        assert _total(latest) == _total(after) - 1
        assert latest == _recounted(session, settings)


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

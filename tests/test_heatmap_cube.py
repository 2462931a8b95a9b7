"""Filtered heatmaps in a freshly started process, answered from the cube beat shares
with each default map (its counts per cell, category, team, channel and status): the
same answer as a count from scratch, also after writes move tickets between filters,
and counted as before wherever there is no cube (another grid, area or period, Redis
away)."""

from __future__ import annotations

import dataclasses
import json
import random
from datetime import UTC, datetime, timedelta

import pytest
import redis
from sqlalchemy import select, text

from core.analytics import answer_cache, cell_cube, geo_grid, map_upkeep
from core.analytics.shared_cells import PREFIX, SharedCells
from core.geo import point
from core.models import Category, Team, Ticket
from core.tickets.seed_data import seed_defaults

DEAD_REDIS = "redis://127.0.0.1:1/0"
KADIKOY = (29.00, 40.97, 29.06, 41.01)
STATUSES = ("new", "in_progress", "resolved", "closed")
CHANNELS = ("whatsapp", "sms", "api")


@pytest.fixture
def maps(settings):
    """Two default maps are enough here (beat counts each)."""
    return settings.replace(HEATMAP_PRECOMPUTED=("hex:250", "square:500"))


@pytest.fixture
def city(committed_db):
    """150 committed tickets over Kadıköy in the default period: three categories, two
    teams or none, three channels, four statuses; nothing remembered by any process."""
    answer_cache.forget_all()
    rng = random.Random(7)
    now = datetime.now(UTC)
    with committed_db.transaction() as session:
        seed_defaults(session)
        session.flush()
        categories = list(session.scalars(select(Category.id).order_by(Category.id).limit(3)))
        teams = list(session.scalars(select(Team.id).order_by(Team.id).limit(2)))
        for n in range(150):
            session.add(
                Ticket(
                    category_id=rng.choice(categories), team_id=rng.choice((*teams, None)),
                    channel=rng.choice(CHANNELS), status=rng.choice(STATUSES),
                    description="nokta", created_at=now - timedelta(days=n % 25, minutes=n),
                    location=point(40.97 + rng.random() * 0.04, 29.00 + rng.random() * 0.06),
                )
            )  # fmt: skip
    yield {"categories": categories, "teams": teams}
    answer_cache.forget_all()


@pytest.fixture
def shared(redis_client) -> SharedCells:
    return SharedCells(redis_client)


@pytest.fixture
def counted(monkeypatch) -> list[tuple]:
    """Every map counted from scratch from now on (its grid), cubes included."""
    done: list[tuple] = []
    for name in ("_counted", "_cube_counted"):
        original = getattr(geo_grid, name)

        def counting(session, grid, source, since, original=original):
            if source is geo_grid._TICKETS:
                done.append(grid)
            return original(session, grid, source, since)

        monkeypatch.setattr(geo_grid, name, counting)
    return done


def _map(committed_db, scope, shared, *, bbox, shape="hex", size=250, statuses=()):
    with committed_db.transaction() as session:
        body = geo_grid.heatmap(session, scope, bbox, shape, size, list(statuses), shared=shared)
    return {f["id"]: f["properties"]["count"] for f in json.loads(body)["features"]}


def _fresh(committed_db, settings, shared, statuses=(), shape="hex", size=250, **filters):
    """The filtered default-grid map as a freshly started process answers it, and as
    counted from scratch (nothing remembered, nothing shared)."""
    scope = dataclasses.replace(map_upkeep.default_scope(settings), **filters)
    bbox = settings.SERVICE_AREA_BBOX
    answer_cache.forget_all()
    got = _map(committed_db, scope, shared, bbox=bbox, shape=shape, size=size, statuses=statuses)
    answer_cache.forget_all()
    scratch = _map(committed_db, scope, None, bbox=bbox, shape=shape, size=size, statuses=statuses)
    answer_cache.forget_all()
    return got, scratch


def _combos(city):
    category, other = city["categories"][:2]
    team = city["teams"][0]
    return [
        ({"category_id": category}, ()),
        ({"team_id": team}, ()),
        ({"channel": "sms"}, ()),
        ({"channel": "open311"}, ()),  # no such ticket: an empty map
        ({}, ("new", "in_progress")),
        ({"category_id": other}, ("resolved",)),
        ({"team_id": team, "channel": "whatsapp"}, ("new", "closed")),
        ({"category_id": category, "team_id": city["teams"][1]}, ()),
    ]


def test_filtered_maps_are_summed_from_the_cube_exactly(committed_db, maps, city, shared, counted):
    map_upkeep.share_default_maps(committed_db, maps, shared)
    assert len(counted) == 2  # one cube per default map, the map's own count from it
    for shape, size in map_upkeep.default_maps(maps):
        for filters, statuses in _combos(city):
            before = len(counted)
            got, scratch = _fresh(committed_db, maps, shared, statuses, shape, size, **filters)
            assert got == scratch, (shape, filters, statuses)
            assert len(counted) == before + 1  # the from-scratch one only
    assert any(_fresh(committed_db, maps, shared, category_id=city["categories"][0]))


@pytest.mark.parametrize("merged", [cell_cube.MERGED_MOVES, 0])  # 0: beat sums all again
def test_writes_after_the_cube_move_tickets_between_filters(
    committed_db, maps, city, shared, counted, monkeypatch, merged
):
    monkeypatch.setattr(cell_cube, "MERGED_MOVES", merged)
    map_upkeep.share_default_maps(committed_db, maps, shared)
    category, other = city["categories"][:2]
    team = city["teams"][0]
    with committed_db.transaction() as session:
        new, recategorised, unassigned, assigned = session.scalars(
            select(Ticket).where(Ticket.status == "new").order_by(Ticket.id).limit(4)
        )
        new.status = "in_progress"
        recategorised.category_id = other if recategorised.category_id == category else category
        unassigned.team_id = None
        assigned.team_id = team
        assigned.location = point(41.0600, 29.1000)  # 8 km away: a cell of its own
        session.add(
            Ticket(
                category_id=category, team_id=None, channel="sms", status="new",
                description="yeni", location=point(40.99, 29.03),
            )
        )  # fmt: skip
        reopened, closed = new.id, unassigned.id
    with committed_db.transaction() as session:  # a later transaction moves one back
        session.execute(text("UPDATE tickets SET status = 'new' WHERE id = :id"), {"id": reopened})
        session.execute(text("UPDATE tickets SET status = 'closed' WHERE id = :id"), {"id": closed})
    scratch_counts = len(counted)
    for filters, statuses in _combos(city):
        got, scratch = _fresh(committed_db, maps, shared, statuses, **filters)
        assert got == scratch, (filters, statuses)
    assert len(counted) == scratch_counts + len(_combos(city))  # only the from-scratch ones

    # Beat brings the cube up to date with those moves (no recount), and it is the cube
    # a count from scratch gives.
    before = len(counted)
    map_upkeep.share_default_maps(committed_db, maps, shared)
    assert len(counted) == before
    kept = _shared_cube(committed_db, maps, shared)
    with committed_db.transaction() as session:
        grid = (map_upkeep.default_scope(maps), maps.SERVICE_AREA_BBOX, "hex", 250.0, ())
        fresh = geo_grid._cube_counted(session, grid, geo_grid._TICKETS, {})
    assert _as_rows(kept) == _as_rows(fresh)


def test_the_default_maps_own_count_is_the_cubes_sum(committed_db, maps, city, shared, counted):
    map_upkeep.share_default_maps(committed_db, maps, shared)
    before = len(counted)
    got, scratch = _fresh(committed_db, maps, shared)
    assert got == scratch
    assert sum(got.values()) == 150
    assert len(counted) == before + 1


@pytest.mark.parametrize(
    "other",
    [
        {"bbox": KADIKOY},  # another area
        {"shape": "square", "size": 1000},  # not a default map
        {"days": 7},  # another period
    ],
)
def test_no_cube_for_other_maps_counts_them(committed_db, maps, city, shared, counted, other):
    map_upkeep.share_default_maps(committed_db, maps, shared)
    scope = dataclasses.replace(map_upkeep.default_scope(maps), category_id=city["categories"][0])
    if "days" in other:
        scope = scope.with_days(scope.last_day - timedelta(days=other["days"]), scope.last_day)
    kwargs = {
        "bbox": other.get("bbox", maps.SERVICE_AREA_BBOX),
        "shape": other.get("shape", "hex"),
        "size": other.get("size", 250),
    }
    answer_cache.forget_all()
    before = len(counted)
    got = _map(committed_db, scope, shared, **kwargs)
    assert len(counted) == before + 1  # counted, not summed from a cube
    answer_cache.forget_all()
    assert got == _map(committed_db, scope, None, **kwargs)


def test_redis_down_or_a_broken_cube_still_counts_right(
    committed_db, maps, city, shared, redis_client, counted
):
    down = SharedCells(redis.Redis.from_url(DEAD_REDIS, socket_connect_timeout=0.2))
    assert map_upkeep.share_default_maps(committed_db, maps, down) == 0
    got, scratch = _fresh(committed_db, maps, down, ("new",), category_id=city["categories"][0])
    assert got == scratch
    map_upkeep.share_default_maps(committed_db, maps, shared)
    for key in redis_client.keys(f"{PREFIX}:cube:*"):
        redis_client.set(key, b'{"taken": {}}\n\x01\x02\x03', ex=60)  # not whole rows
    before = len(counted)
    got, scratch = _fresh(committed_db, maps, shared, ("new",), category_id=city["categories"][0])
    assert got == scratch
    assert len(counted) == before + 2  # neither could start from the cube


def _shared_cube(committed_db, settings, shared) -> cell_cube.Cube:
    with committed_db.transaction() as session:
        database = session.get_bind().engine.url.render_as_string(hide_password=True)
    grid = (map_upkeep.default_scope(settings), settings.SERVICE_AREA_BBOX, "hex", 250.0, ())
    found = shared.cube(geo_grid._cube_id(database, grid), geo_grid.RECOUNT_SECONDS)
    assert found is not None
    return found[0]


def _as_rows(cube: cell_cube.Cube) -> set[tuple]:
    """The cube's rows with channel and status by name (indexes may differ)."""
    return {
        (i, j, c, t, cube.channels[ch], cube.statuses[st], n)
        for i, j, c, t, ch, st, n in cube.rows.tolist()
    }

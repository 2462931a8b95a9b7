"""Heatmap cells shared between processes through Redis: a freshly started process
answers from what another one (or beat) counted, exactly as if it had counted itself,
sees every change committed since, and computes as before when Redis is away."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

import pytest
import redis
from sqlalchemy import select, text

from core.analytics import answer_cache, geo_grid, map_upkeep
from core.analytics.shared_cells import PREFIX, SharedCells
from core.config import ConfigError, Settings
from core.geo import point
from core.models import Category, Ticket, User
from core.tickets.seed_data import seed_defaults
from tasks.celery_app import beat_schedule

URL = "/api/v1/analytics/heatmap"
DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def city(committed_db, settings):
    """60 committed tickets over Kadıköy in the last days (the default period), and a
    manager; no process remembers any map."""
    answer_cache.forget_all()
    rng = random.Random(19)
    now = datetime.now(UTC)
    with committed_db.transaction() as session:
        seed_defaults(session)
        session.flush()
        categories = list(session.scalars(select(Category.id).limit(3)))
        for n in range(60):
            session.add(
                Ticket(
                    category_id=rng.choice(categories), description="nokta", channel="sms",
                    status=rng.choice(("new", "in_progress", "resolved")),
                    created_at=now - timedelta(days=n % 20, minutes=n),
                    location=point(40.97 + rng.random() * 0.04, 29.00 + rng.random() * 0.06),
                )
            )  # fmt: skip
        manager = User(phone="+905320000001", role="manager", full_name="M")
        session.add(manager)
    yield manager
    answer_cache.forget_all()


@pytest.fixture
def shared(redis_client) -> SharedCells:
    return SharedCells(redis_client)


def fresh_process() -> None:
    """What a newly started web process remembers: nothing."""
    answer_cache.forget_all()


@pytest.fixture
def work(monkeypatch) -> dict[str, int]:
    """How many times a map (or a cube) was counted from scratch, and polygons built,
    from now on."""
    done = {"counted": 0, "built": 0}
    build = geo_grid._built_polygons

    def counting(count):
        def counted(session, grid, source, since):
            done["counted"] += source is geo_grid._TICKETS
            return count(session, grid, source, since)

        return counted

    def building(*args):
        done["built"] += 1
        return build(*args)

    monkeypatch.setattr(geo_grid, "_counted", counting(geo_grid._counted))
    monkeypatch.setattr(geo_grid, "_cube_counted", counting(geo_grid._cube_counted))
    monkeypatch.setattr(geo_grid, "_built_polygons", building)
    return done


def _map(committed_db, settings, shared, shape="hex", size=250, statuses=()):
    with committed_db.transaction() as session:
        body = geo_grid.heatmap(
            session, map_upkeep.default_scope(settings), settings.SERVICE_AREA_BBOX,
            shape, size, list(statuses), shared=shared,
        )  # fmt: skip
    return json.loads(body)


def _recounted(committed_db, settings, **kwargs):
    fresh_process()
    return _map(committed_db, settings, None, **kwargs)


def _counts(body) -> dict[str, int]:
    return {f["id"]: f["properties"]["count"] for f in body["features"]}


@pytest.mark.parametrize("statuses", [(), ("new", "in_progress")])
def test_a_fresh_process_reads_the_cells_another_counted(
    committed_db, settings, city, shared, work, statuses
):
    first = _map(committed_db, settings, shared, statuses=statuses)
    assert work == {"counted": 1, "built": 1}
    fresh_process()
    second = _map(committed_db, settings, shared, statuses=statuses)
    assert second == first
    assert work == {"counted": 1, "built": 1}  # neither counted nor built again
    assert second == _recounted(committed_db, settings, statuses=statuses)


def test_changes_committed_after_sharing_show_in_the_next_process(
    committed_db, settings, city, shared, work
):
    statuses = ("new", "in_progress")
    before = _map(committed_db, settings, shared, statuses=statuses)
    with committed_db.transaction() as session:
        moved, closed, old = session.scalars(
            select(Ticket).where(Ticket.status.in_(statuses)).order_by(Ticket.id).limit(3)
        )
        moved.location = point(41.0600, 29.1000)  # 8 km away: a cell of its own
        closed.status = "closed"
        old.created_at = datetime.now(UTC) - timedelta(days=90)  # leaves the period
        moved_id = moved.id
    fresh_process()
    after = _map(committed_db, settings, shared, statuses=statuses)
    assert work["counted"] == 1  # the shared count, brought up to date with the moves
    assert sum(_counts(after).values()) == sum(_counts(before).values()) - 2
    assert after == _recounted(committed_db, settings, statuses=statuses)
    # ...and what it brought up to date was shared in turn (the next process too).
    with committed_db.transaction() as session:
        session.execute(
            text("UPDATE tickets SET status = 'closed' WHERE id = :id"), {"id": moved_id}
        )
    fresh_process()
    latest = _map(committed_db, settings, shared, statuses=statuses)
    assert sum(_counts(latest).values()) == sum(_counts(after).values()) - 1
    assert latest == _recounted(committed_db, settings, statuses=statuses)


def test_a_count_with_the_transactions_own_writes_is_neither_shared_nor_read(
    committed_db, settings, city, shared, redis_client
):
    _map(committed_db, settings, shared, shape="square", size=500)  # shared: read it back
    fresh_process()
    with committed_db.transaction() as session:
        one = session.scalars(select(Ticket).order_by(Ticket.id)).first()
        one.location = point(41.0600, 29.1000)  # 8 km away: a cell of its own
        session.flush()
        before = {k: redis_client.get(k) for k in redis_client.keys(f"{PREFIX}:cells:*")}
        for shape, size in (("square", 500), ("hex", 250)):  # shared before, and never
            mine = geo_grid.heatmap(
                session, map_upkeep.default_scope(settings), settings.SERVICE_AREA_BBOX,
                shape, size, [], shared=shared,
            )  # fmt: skip
            assert '"count":1,' in mine  # it sees its own move
        after = {k: redis_client.get(k) for k in redis_client.keys(f"{PREFIX}:cells:*")}
        session.rollback()
    assert after == before  # the uncommitted move stayed this transaction's
    fresh_process()
    for shape, size in (("square", 500), ("hex", 250)):
        shared_map = _map(committed_db, settings, shared, shape=shape, size=size)
        assert shared_map == _recounted(committed_db, settings, shape=shape, size=size)


def test_redis_down_degrades_to_computing(committed_db, settings, city, work):
    down = SharedCells(redis.Redis.from_url(DEAD_REDIS, socket_connect_timeout=0.2))
    first = _map(committed_db, settings, down)
    assert first == _recounted(committed_db, settings)
    assert down._paused_until > 0  # and Redis is left alone for a while
    fresh_process()
    assert _map(committed_db, settings, down) == first


def test_the_api_answers_with_redis_down(app_factory, settings, committed_db, city, bearer):
    app = app_factory(settings.replace(REDIS_URL=DEAD_REDIS, RATELIMIT_ENABLED=False))
    response = app.test_client().get(URL, headers=bearer(city))
    assert response.status_code == 200
    assert sum(_counts(response.json).values()) == 60


def test_beat_shares_the_default_maps_for_a_fresh_web_process(
    app, committed_db, settings, city, shared, work, bearer
):
    assert map_upkeep.share_default_maps(committed_db, settings, shared) > 0
    counted_by_beat = work["counted"]
    assert counted_by_beat == len(settings.HEATMAP_PRECOMPUTED)
    with committed_db.transaction() as session:  # a change after beat's run
        session.execute(text("UPDATE tickets SET status = 'closed' WHERE id % 4 = 0"))
    fresh_process()
    client = app.test_client()
    answers = {}
    for shape, size in map_upkeep.default_maps(settings):
        response = client.get(
            URL, query_string={"cell": shape, "size_m": size}, headers=bearer(city)
        )
        assert response.status_code == 200
        answers[shape, size] = response.json
    assert work == {"counted": counted_by_beat, "built": len(settings.HEATMAP_PRECOMPUTED)}
    for (shape, size), body in answers.items():
        assert body == _recounted(committed_db, settings, shape=shape, size=size)
    # The next run starts from the shared counts: no recount.
    map_upkeep.share_default_maps(committed_db, settings, shared)
    assert work["counted"] == counted_by_beat + len(answers)  # the _recounted ones only


def test_beat_does_nothing_without_redis(committed_db, settings, city, work):
    down = SharedCells(redis.Redis.from_url(DEAD_REDIS, socket_connect_timeout=0.2))
    assert map_upkeep.share_default_maps(committed_db, settings, down) == 0
    assert work == {"counted": 0, "built": 0}


def test_the_default_maps_are_settings(settings):
    assert beat_schedule(settings)["default-heatmaps"]["schedule"] == 60.0
    assert "default-heatmaps" not in beat_schedule(settings.replace(HEATMAP_PRECOMPUTE_SECONDS=0))
    assert map_upkeep.default_maps(settings.replace(HEATMAP_PRECOMPUTED=("square:750",))) == [
        ("square", 750.0)
    ]
    with pytest.raises(ConfigError, match="HEATMAP_PRECOMPUTED"):
        Settings.from_env({"HEATMAP_PRECOMPUTED": "hexagon:250"}).check()

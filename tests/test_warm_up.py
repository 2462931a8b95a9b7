"""A web worker warms up before its first request, and starts even when it cannot."""

from __future__ import annotations

import logging
import runpy
from pathlib import Path
from types import SimpleNamespace

from flask import Flask

from sosoft.warm_up import warm_up


def test_a_warmed_up_worker_has_a_connection_ready(app_factory, settings, engine):
    app = app_factory(settings)
    pool = app.extensions["sosoft.db"].engine.pool
    assert pool.checkedin() == 0
    warm_up(app)
    assert pool.checkedin() == 1  # the first request's, PostGIS already loaded in it


def test_a_worker_starts_with_the_database_down(app_factory, settings, engine, caplog):
    down = settings.replace(
        DATABASE_URL="postgresql+psycopg://postgres@127.0.0.1:1/sosoft", DATABASE_POOL_SIZE=1
    )
    with caplog.at_level(logging.WARNING, logger="sosoft.warm_up"):
        warm_up(app_factory(down))
    assert "not warmed up" in caplog.text


def test_one_booting_worker_shares_the_default_heatmaps(
    app_factory, settings, engine, redis_client, caplog
):
    """The city's very first start: Redis holds no map until beat's first run, a minute
    off; one worker of those booting together shares them, the others leave it."""
    first, second = app_factory(settings), app_factory(settings)
    with caplog.at_level(logging.INFO, logger="sosoft.warm_up"):
        warm_up(first)
        warm_up(second)
    maps = redis_client.keys("sosoft:heatmap:cells:*")
    assert len(maps) == len(settings.HEATMAP_PRECOMPUTED)
    assert caplog.text.count("default heatmaps shared at boot") == 1


def test_no_heatmaps_at_boot_when_precomputing_is_off(app_factory, settings, engine, redis_client):
    warm_up(app_factory(settings.replace(HEATMAP_PRECOMPUTE_SECONDS=0)))
    assert redis_client.keys("sosoft:heatmap:*") == []


def _gunicorn_settings() -> dict:
    """gunicorn.conf.py as gunicorn reads it: a file of settings, run as a script."""
    path = Path(__file__).resolve().parents[1] / "gunicorn.conf.py"
    return runpy.run_path(str(path))


def test_gunicorn_warms_up_sosofts_workers_and_boots_other_apps_as_they_are(
    app_factory, settings, engine
) -> None:
    """The same settings serve the benchmarks' bare and floor endpoints, plain Flask
    apps: their workers once failed to boot (KeyError 'SOSOFT'), and every request of
    the benchmark's yardsticks failed with them."""
    post_worker_init = _gunicorn_settings()["post_worker_init"]
    post_worker_init(SimpleNamespace(wsgi=Flask("bare")))  # nothing to warm, no error
    app = app_factory(settings)
    pool = app.extensions["sosoft.db"].engine.pool
    post_worker_init(SimpleNamespace(wsgi=app))
    assert pool.checkedin() == 1

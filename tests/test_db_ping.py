"""Pooled connections are pinged only after sitting idle (core/db.py): a connection
whose server process went away meanwhile is replaced without the caller noticing,
and one that died within the window costs one failed statement, not the pool."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.exc import DBAPIError

from core.db import ping_after_idle


def _backend_pid(engine) -> int:
    with engine.connect() as connection:
        return connection.execute(text("SELECT pg_backend_pid()")).scalar_one()


def _terminate(admin, pid: int) -> None:
    with admin.connect() as connection:
        assert connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid}).scalar()
    time.sleep(0.2)  # the server closes the socket


@pytest.fixture
def engines(settings):
    admin = create_engine(settings.DATABASE_URL)
    engine = create_engine(settings.DATABASE_URL, pool_size=1, max_overflow=0)
    yield engine, admin
    engine.dispose()
    admin.dispose()


def test_an_idle_connection_that_died_is_replaced_on_checkout(engines) -> None:
    engine, admin = engines
    ping_after_idle(engine, 0.05)
    first = _backend_pid(engine)
    _terminate(admin, first)
    # Idle for longer than the window: the ping finds it dead, a new one is handed out.
    second = _backend_pid(engine)
    assert second != first


def test_a_connection_used_moments_ago_is_not_pinged(engines) -> None:
    engine, admin = engines
    ping_after_idle(engine, 60.0)
    first = _backend_pid(engine)
    _terminate(admin, first)
    # Within the window there is no ping: the statement meets the dead connection...
    with pytest.raises(DBAPIError) as failed:
        _backend_pid(engine)
    assert failed.value.connection_invalidated
    # ...and the pool was refilled, so the next checkout works.
    assert _backend_pid(engine) != first


def test_zero_pings_before_every_use(engines) -> None:
    engine, admin = engines
    ping_after_idle(engine, 0)
    first = _backend_pid(engine)
    _terminate(admin, first)
    assert _backend_pid(engine) != first  # no failed statement: the ping caught it


def test_the_app_engine_takes_the_window_from_settings(settings) -> None:
    from dataclasses import replace

    from core.db import make_engine

    engine = make_engine(replace(settings, DATABASE_PING_AFTER_IDLE_SECONDS=0.05))
    admin = create_engine(settings.DATABASE_URL)
    try:
        first = _backend_pid(engine)
        _terminate(admin, first)
        assert _backend_pid(engine) != first
    finally:
        engine.dispose()
        admin.dispose()

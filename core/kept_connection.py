"""One database connection kept checked out between requests by a process's main
thread, for the webhook's driver-first sessions (core/driver_first.py).

A message that only moves a conversation along costs two prepared statements; checking
a connection out of the pool for it and back in afterwards (the queue, the checkout
and check-in events, the reset) cost about 5 % of the web process's instructions for
that message (bench/webhook_instructions.py), and the benchmark's floor keeps its one
connection for the worker's life. A sync gunicorn worker serves every request on its
main thread, one at a time, so that thread keeps one connection per engine: taken for
a request, given back after it with nothing of the request left open on it.

What the pool would do at checkout still happens: a connection that sat idle for
`DATABASE_PING_AFTER_IDLE_SECONDS` is pinged before use (one that fails is dropped and
a fresh one checked out), as is one whose pool was replaced (`engine.dispose()` after
the database went away) or that SQLAlchemy invalidated. Other threads (gthread
workers' pool, the development server's per-request threads, tests') check out and in
as before: a thread may end, and a kept connection would go with it unreturned.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass

import psycopg
from psycopg.pq import TransactionStatus
from sqlalchemy import Connection, Engine, event
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.pool import Pool

from core.db import answers_ping


@dataclass
class _Kept:
    connection: Connection
    pool: Pool
    given_back_at: float


# Main thread only (see the module), so no lock: one entry per engine (a process may
# build several apps, as the tests do).
_kept: dict[Engine, _Kept] = {}


def _keeping(ping_after_idle: float) -> bool:
    # With pings on every checkout (0) asked for, every request checks out as before.
    return ping_after_idle > 0 and threading.current_thread() is threading.main_thread()


def take(engine: Engine, ping_after_idle: float) -> Connection:
    """A connection for one request: the kept one when it is still good, else one
    checked out of the pool."""
    if not _keeping(ping_after_idle):
        return engine.connect()
    kept = _kept.pop(engine, None)
    if kept is not None:
        connection = kept.connection
        usable = kept.pool is engine.pool and not (connection.closed or connection.invalidated)
        idle = time.monotonic() - kept.given_back_at
        if usable and (
            idle < ping_after_idle or answers_ping(engine, connection.connection.dbapi_connection)
        ):
            return connection
        _drop(connection)
    return engine.connect()


def give_back(engine: Engine, connection: Connection, ping_after_idle: float) -> None:
    """After the request: whatever it left open is rolled back, and the connection is
    kept for the next request (or checked in, off the main thread or when one is
    already kept)."""
    if connection.closed or connection.invalidated:
        connection.close()
        return
    if not _keeping(ping_after_idle) or engine in _kept:
        connection.close()  # the pool rolls back what is left
        return
    try:
        if connection.in_transaction():
            connection.rollback()
        driver = connection.connection.driver_connection
        # Statements run on the driver alone opened a transaction SQLAlchemy knows
        # nothing of.
        if driver is not None and driver.info.transaction_status != TransactionStatus.IDLE:
            driver.rollback()
    except (SQLAlchemyError, psycopg.Error):
        _drop(connection)
        return
    if not event.contains(engine, "engine_disposed", _forget_engine):
        event.listen(engine, "engine_disposed", _forget_engine)
    _kept[engine] = _Kept(connection, engine.pool, time.monotonic())


def _drop(connection: Connection) -> None:
    """A connection not to be used again: invalidated (its DBAPI connection closed,
    never handed out by the pool again) and released."""
    try:
        connection.invalidate()
    finally:
        connection.close()


def _forget_engine(engine: Engine) -> None:
    kept = _kept.pop(engine, None)
    if kept is not None:
        _drop(kept.connection)

"""Database engine and sessions.

One `Database` per process (web app, Celery worker, CLI command). Sessions are
opened per request / task / command and committed only at that boundary: nothing
in `core/` commits on its own.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import psycopg
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import ConnectionPoolEntry, PoolProxiedConnection

from core.config import Settings


def make_engine(settings: Settings) -> Engine:
    engine = create_engine(
        settings.DATABASE_URL,
        pool_size=settings.DATABASE_POOL_SIZE,
        max_overflow=settings.DATABASE_POOL_SIZE,
        future=True,
        # A database host that drops packets would otherwise hold a request until the
        # operating system gives up on TCP (minutes): this fails it, as unavailable.
        connect_args={"connect_timeout": settings.DATABASE_CONNECT_TIMEOUT_SECONDS},
    )
    ping_after_idle(engine, settings.DATABASE_PING_AFTER_IDLE_SECONDS)
    return engine


def ping_after_idle(engine: Engine, idle_seconds: float) -> None:
    """Ping a pooled connection on checkout only when it sat idle for `idle_seconds`.

    `pool_pre_ping` pings on every checkout: one more round trip per request, which
    for the webhook is a fifth of its database work. A connection used moments ago
    is almost always alive; one that sat idle through a database restart or a
    firewall's idle cut-off is what the ping is for. The rare connection that died
    within the window fails its statement instead: SQLAlchemy sees the disconnect,
    drops every pooled connection, and the next checkout connects afresh.
    """

    @event.listens_for(engine.pool, "checkin")
    def _checked_in(_dbapi_connection: Any, record: ConnectionPoolEntry) -> None:
        record.info["checked_in_at"] = time.monotonic()

    @event.listens_for(engine.pool, "checkout")
    def _checked_out(
        dbapi_connection: Any, record: ConnectionPoolEntry, _proxy: PoolProxiedConnection
    ) -> None:
        checked_in_at = record.info.get("checked_in_at")
        if checked_in_at is None:
            return  # just connected
        if idle_seconds > 0 and time.monotonic() - checked_in_at < idle_seconds:
            return  # in use moments ago
        if not answers_ping(engine, dbapi_connection):
            # The pool then discards this connection and checks out another.
            raise DisconnectionError("pooled connection is gone")


def answers_ping(engine: Engine, dbapi_connection: Any) -> bool:
    """Whether the server still answers on `dbapi_connection` (one round trip): for
    the pool's checkout above and the webhook's kept connection (core/kept_connection.py)."""
    try:
        engine.dialect.do_ping(dbapi_connection)
    except engine.dialect.loaded_dbapi.Error:
        return False
    return True


# SQLSTATE classes of a server that is going away or cannot take us: connection
# exceptions, shutting down or starting up (57P0x), too many connections.
# Rows a periodic sweep takes per transaction: small enough to keep row locks short,
# large enough that one beat tick clears a normal day's backlog.
SWEEP_BATCH = 500

_UNAVAILABLE_STATES = ("08", "57P", "53300")


_DRIVER = "core.driver_connection"
# Where a driver-first session (core/driver_first.py) keeps its own connection.
DRIVER_FIRST = "core.driver_first"


def driver_connection(session: Session) -> psycopg.Connection[Any]:
    """The psycopg connection under `session`, inside its transaction, for statements
    compiled once and run without SQLAlchemy's per-execute work (the webhook's, and
    core.direct_rows'). Remembered for the transaction: a message asks for it several
    times, and each `session.connection()` walks the session's transaction machinery.
    A driver-first session's connection is handed out as it is, before (and without)
    the session beginning a transaction of its own: see core/driver_first.py."""
    transaction = session.get_transaction()
    if transaction is None:
        own = session.info.get(DRIVER_FIRST)
        if own is not None:
            return own.connection.driver_connection  # type: ignore[no-any-return]
    known = session.info.get(_DRIVER)
    if known is not None and transaction is not None and known[0] is transaction:
        return known[1]
    driver = session.connection().connection.driver_connection
    session.info[_DRIVER] = (session.get_transaction(), driver)
    return driver  # type: ignore[return-value]


def driver_error(exc: BaseException) -> BaseException:
    """psycopg's own error: SQLAlchemy wraps it (as `orig`) for statements it ran; the
    webhook's statements on the driver connection raise it unwrapped."""
    return getattr(exc, "orig", None) or exc


def database_unavailable(exc: BaseException) -> bool:
    """The database is away, not wrong: refused or lost the connection, is restarting
    or full. Retried later the same request may well succeed, so callers answer 503
    (or let a task retry), never a 500 and never as if the request had failed."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    cause = driver_error(exc)
    if not isinstance(cause, psycopg.OperationalError):
        return False
    # No SQLSTATE: the client library's own failure to connect or to read a reply.
    return cause.sqlstate is None or cause.sqlstate.startswith(_UNAVAILABLE_STATES)


class Database:
    """An engine and the session factory bound to it.

    Tests replace `session_factory` with one bound to an outer transaction so each
    test rolls back (see tests/conftest.py).
    """

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.engine = engine or make_engine(settings)
        # Also for the connection the webhook keeps between messages (core/kept_connection.py).
        self.ping_after_idle_seconds = settings.DATABASE_PING_AFTER_IDLE_SECONDS
        self.session_factory: sessionmaker[Session] = sessionmaker(
            bind=self.engine, expire_on_commit=False
        )

    def session(self) -> Session:
        return self.session_factory()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session for one unit of work: committed on success, rolled back on error."""
        session = self.session()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()

    def lost(self, exc: BaseException) -> None:
        """The database went away under `exc`. A statement SQLAlchemy ran already made
        it drop every pooled connection; one run on the driver connection directly (the
        webhook's) did not, and the pool would hand out more dead connections, each
        failing a request. They all died with the server: drop them."""
        if not isinstance(exc, DBAPIError):
            self.engine.dispose()

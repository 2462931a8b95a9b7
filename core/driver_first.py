"""Driver-first sessions: the webhook's statements run on a pooled connection at once,
and SQLAlchemy's transaction machinery is set going only for a message that uses the
ORM (a report being opened, a citizen registering).

Most messages only move a conversation along: two prepared statements on the
driver connection (bot/store.py). Under a plain session each of them still paid for
the session beginning its transaction (a SessionTransaction, a Connection and its
root transaction, the pool's checkout events) and for committing it through the same
layers: together about as much CPU as the two statements. Here the session is bound
to a connection checked out for it; `core.db.driver_connection` hands out that
connection's driver while the session has no transaction (psycopg then opens the
database transaction itself, as it does for any statement), and a session asked for
anything else joins that same database transaction by beginning on the connection.

So one transaction holds everything, whichever path ran: `commit` commits through the
session when it did begin (or holds what its after-commit hooks must see: the
outbox), else on the driver; `rollback` rolls back through the session, so its
rollback hooks run, after joining it to the driver's transaction. `close` gives the
connection back with whatever was not committed rolled back; the process's main
thread keeps it for its next request (core/kept_connection.py).

Only for a session factory bound to the engine: one bound to a connection (the
tests', inside an outer transaction) gives a plain session, which these functions
treat as one.
"""

from __future__ import annotations

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from core import kept_connection
from core.db import DRIVER_FIRST, Database
from core.messaging.outbox import OUTBOX_KEY

_PING_AFTER_IDLE = "core.driver_first.ping_after_idle"


def open_session(database: Database) -> Session:
    bind = database.session_factory.kw.get("bind")
    if not isinstance(bind, Engine):
        return database.session()
    connection = kept_connection.take(bind, database.ping_after_idle_seconds)
    session = database.session_factory(bind=connection)
    session.info[DRIVER_FIRST] = connection
    session.info[_PING_AFTER_IDLE] = database.ping_after_idle_seconds
    return session


def _own(session: Session) -> Connection | None:
    return session.info.get(DRIVER_FIRST)


def commit(session: Session) -> None:
    own = _own(session)
    if own is not None and session.get_transaction() is None and not _has_work(session):
        own.connection.driver_connection.commit()
        return
    if own is not None:
        # A session that began on its own (an `add` begins one) holds no connection
        # until asked for one, and would commit nothing: joined first, it commits all.
        session.connection()
    session.commit()


def _has_work(session: Session) -> bool:
    """Something only the session's own commit writes or announces."""
    return bool(
        session.new or session.dirty or session.deleted
        or session.info.get(OUTBOX_KEY)
    )  # fmt: skip


def rollback(session: Session) -> None:
    if _own(session) is not None:
        session.connection()  # joins the driver's transaction, so the session ends it
    session.rollback()


def close(session: Session) -> None:
    own = session.info.pop(DRIVER_FIRST, None)
    ping_after_idle = session.info.pop(_PING_AFTER_IDLE, 0.0)
    session.close()
    if own is not None:
        kept_connection.give_back(own.engine, own, ping_after_idle)


def invalidate(session: Session) -> None:
    """The database went away: the connection is dropped, not given back."""
    own = session.info.pop(DRIVER_FIRST, None)
    session.info.pop(_PING_AFTER_IDLE, None)
    session.invalidate()
    if own is not None:
        own.invalidate()
        own.close()  # never kept: a fresh one is checked out next time

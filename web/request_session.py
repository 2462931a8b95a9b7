"""Flask glue for `core.db.Database`: one session per request.

Views call `request_session()` and commit at the end of the request when they
changed something; whatever was not committed is rolled back at teardown.
"""

from __future__ import annotations

from flask import Flask, Response, current_app, g
from sqlalchemy.orm import Session

from core import driver_first
from core.db import Database

EXTENSION_KEY = "sosoft.db"


def init_app(app: Flask, database: Database) -> None:
    app.extensions[EXTENSION_KEY] = database
    app.teardown_appcontext(_close_session)


def database() -> Database:
    return current_app.extensions[EXTENSION_KEY]


def request_session() -> Session:
    if "db_session" not in g:
        g.db_session = database().session()
    return g.db_session


def driver_first_session() -> Session:
    """`request_session()` for a view whose statements run on the driver connection
    first (the webhook's): see core/driver_first.py. Commit it with
    `driver_first.commit`."""
    if "db_session" not in g:
        g.db_session = driver_first.open_session(database())
    return g.db_session


def keep_session_for(response: Response) -> None:
    """Hand the request's session over to `response`, whose body reads from it after
    the view has returned (a streamed export): it is closed once the body has been
    sent, or the client went away, instead of at teardown, which comes first and would
    give the connection back to the pool while the stream still uses it."""
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        response.call_on_close(lambda: driver_first.close(session))


def discard_session() -> None:
    """The database went away under the request: its session is dropped with its
    connection, without the rollback teardown would try (and fail) on a dead one."""
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        driver_first.invalidate(session)


def _close_session(_exc: BaseException | None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        driver_first.close(session)

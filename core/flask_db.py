"""Flask glue for `core.db.Database`: one session per request.

Views call `request_session()` and commit at the end of the request when they
changed something; whatever was not committed is rolled back at teardown.
"""

from __future__ import annotations

from flask import Flask, current_app, g
from sqlalchemy.orm import Session

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


def _close_session(_exc: BaseException | None) -> None:
    session: Session | None = g.pop("db_session", None)
    if session is not None:
        session.close()

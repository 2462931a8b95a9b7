"""A streamed export reads from the request's database connection after the view has
returned: that connection must stay the export's until the body is sent, and go back
to the pool clean, whether the stream finished, failed or was abandoned."""

from __future__ import annotations

import psycopg
import pytest
from sqlalchemy import text

from core.models import User
from core.tickets import exports
from core.tickets.seed_data import seed_defaults

URL = "/api/v1/analytics/exports/tickets"


@pytest.fixture
def manager_headers(committed_db, bearer):
    with committed_db.transaction() as session:
        seed_defaults(session)
        user = User(phone="+905320000001", role="manager", full_name="M")
        session.add(user)
    return bearer(user)


def _left_in_a_transaction(committed_db) -> int:
    """This database's other connections that sit inside a transaction."""
    with committed_db.engine.connect() as conn:
        return conn.scalar(
            text(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"
            )
        )


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "geojson"])
def test_a_finished_export_leaves_no_transaction_open(app, committed_db, manager_headers, fmt):
    # buffered: read to the end and closed, as a WSGI server does
    response = app.test_client().get(f"{URL}.{fmt}", headers=manager_headers, buffered=True)
    assert response.status_code == 200
    assert _left_in_a_transaction(committed_db) == 0
    assert app.test_client().get("/api/v1/auth/me", headers=manager_headers).status_code == 200


def test_an_export_failing_midway_leaves_the_pool_usable(
    app, committed_db, manager_headers, monkeypatch
):
    def failing(fmt, conn, sql, params):
        yield b"half a file"
        conn.execute("SELECT 1/0")  # the database fails in the middle of the stream

    monkeypatch.setattr(exports, "stream", failing)
    response = app.test_client().get(f"{URL}.csv", headers=manager_headers, buffered=False)
    # As a WSGI server does: read until the stream fails, then close the response.
    with pytest.raises(psycopg.errors.DivisionByZero):
        for _chunk in response.response:
            pass
    response.close()

    assert _left_in_a_transaction(committed_db) == 0
    for _ in range(3):  # whichever pooled connection each request gets
        assert app.test_client().get("/api/v1/auth/me", headers=manager_headers).status_code == 200


def test_an_abandoned_export_gives_its_connection_back(app, committed_db, manager_headers):
    response = app.test_client().get(f"{URL}.csv", headers=manager_headers, buffered=False)
    next(response.response)  # the client reads the first chunk, then goes away
    response.close()

    assert _left_in_a_transaction(committed_db) == 0

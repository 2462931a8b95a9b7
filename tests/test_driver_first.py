"""Driver-first sessions (core/driver_first.py): whatever mix of driver statements and
ORM work a request does, it is one transaction, committed or rolled back whole, and the
connection goes back to the pool. Real commits (committed_db), as in production: the
tests' usual session is bound to an outer transaction and is a plain session there."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from bot_support import Phone
from sqlalchemy import func, select, text

from core import driver_first
from core.db import driver_connection
from core.direct_rows import get_now
from core.models import Conversation, Message, Team
from core.tickets.seed_data import seed_defaults


@contextmanager
def _request(database) -> Iterator:
    """A driver-first session as a request has one: closed at the end, whatever happened."""
    session = driver_first.open_session(database)
    try:
        yield session
    finally:
        driver_first.close(session)


def _names(database) -> list[str]:
    with database.transaction() as session:
        return list(session.scalars(select(Team.name).order_by(Team.name)))


def _driver_insert(session, name: str) -> None:
    with driver_connection(session).cursor() as cursor:
        cursor.execute("INSERT INTO teams (name) VALUES (%s)", (name,))


def test_driver_statements_alone_commit_without_the_session_beginning(committed_db) -> None:
    with _request(committed_db) as session:
        _driver_insert(session, "Roads")
        assert session.get_transaction() is None  # nothing of the ORM was set going
        driver_first.commit(session)
    assert _names(committed_db) == ["Roads"]


def test_driver_and_orm_work_share_one_transaction(committed_db) -> None:
    with _request(committed_db) as session:
        _driver_insert(session, "Roads")
        # The ORM joins the transaction the driver opened: it sees the driver's row.
        assert session.scalar(select(func.count()).select_from(Team)) == 1
        session.add(Team(name="Parks"))
        driver_first.commit(session)
    assert _names(committed_db) == ["Parks", "Roads"]


def test_a_session_that_began_on_its_own_commits_the_driver_statements(committed_db) -> None:
    with committed_db.transaction() as session:
        session.add(Team(name="Parks"))
    with _request(committed_db) as session:
        team_id = session.scalar(select(Team.id))
        driver_first.commit(session)  # the read ended; the next starts afresh
        _driver_insert(session, "Roads")
        # As core.direct_rows does: an object handed to the session after its row was
        # read on the driver. `add` begins the session without taking a connection.
        assert get_now(session, Team, team_id) is not None
        assert session.get_transaction() is not None
        driver_first.commit(session)
    assert _names(committed_db) == ["Parks", "Roads"]


@pytest.mark.parametrize("orm_too", [False, True])
def test_a_rollback_undoes_the_driver_statements_too(committed_db, orm_too: bool) -> None:
    with _request(committed_db) as session:
        _driver_insert(session, "Roads")
        if orm_too:
            session.add(Team(name="Parks"))
            session.flush()
        driver_first.rollback(session)
        # The same session goes on, as the webhook's does after a failure.
        _driver_insert(session, "Lights")
        driver_first.commit(session)
    assert _names(committed_db) == ["Lights"]


def _backend(session) -> int:
    with driver_connection(session).cursor() as cursor:
        return cursor.execute("SELECT pg_backend_pid()").fetchone()[0]


def test_closing_without_commit_keeps_nothing_and_the_main_thread_keeps_the_connection(
    committed_db,
) -> None:
    pool = committed_db.engine.pool
    with _request(committed_db) as session:
        _driver_insert(session, "Roads")
        first = _backend(session)
    assert _names(committed_db) == []  # rolled back before it was kept
    out = pool.checkedout()
    with _request(committed_db) as session:
        assert _backend(session) == first  # the same connection, not checked out again
        assert pool.checkedout() == out
        # Nothing of the last request is open on it: this one starts clean.
        with driver_connection(session).cursor() as cursor:
            assert cursor.execute("SELECT count(*) FROM teams").fetchone()[0] == 0


def test_other_threads_give_their_connection_back_to_the_pool(committed_db) -> None:
    pool = committed_db.engine.pool
    seen: list[int] = []

    def request() -> None:
        with _request(committed_db) as session:
            seen.append(pool.checkedout())
            _driver_insert(session, "Roads")
            driver_first.commit(session)
        seen.append(pool.checkedout())

    thread = threading.Thread(target=request)
    thread.start()
    thread.join(timeout=30)
    assert seen == [seen[0], seen[0] - 1]
    assert _names(committed_db) == ["Roads"]


def test_a_kept_connection_that_died_while_idle_is_replaced(committed_db, monkeypatch) -> None:
    monkeypatch.setattr(committed_db, "ping_after_idle_seconds", 0.05)
    with _request(committed_db) as session:
        first = _backend(session)
    with committed_db.transaction() as other:  # the server ends that connection
        other.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": first})
    time.sleep(0.1)  # idle past the limit: pinged before use, found dead
    with _request(committed_db) as session:
        assert _backend(session) != first
        _driver_insert(session, "Roads")
        driver_first.commit(session)
    assert _names(committed_db) == ["Roads"]


def test_a_kept_connection_goes_when_its_pool_is_replaced(committed_db) -> None:
    with _request(committed_db) as session:
        first = _backend(session)
    committed_db.engine.dispose()  # as Database.lost does when the database went away
    with _request(committed_db) as session:
        assert _backend(session) != first


def test_an_outbox_entry_commits_through_the_session_so_its_hook_runs(committed_db) -> None:
    with _request(committed_db) as session:
        _driver_insert(session, "Roads")
        session.info["outbox"] = [987654]  # a message id, as notifications lists them
        # The after-commit hook pops the list: it only runs on the session's commit.
        driver_first.commit(session)
        assert "outbox" not in session.info
    assert _names(committed_db) == ["Roads"]


def test_a_session_bound_to_a_connection_is_a_plain_one(db, app) -> None:
    database = app.extensions["sosoft.db"]
    with _request(database) as session:  # the test factory: bound to a connection
        assert "core.driver_first" not in session.info
        session.execute(text("SELECT 1"))
        driver_first.commit(session)  # a savepoint of the test's outer transaction


def test_a_conversation_through_the_webhook_is_kept_and_a_failure_stores_one_reply(
    app, settings, committed_db, monkeypatch
) -> None:
    with committed_db.transaction() as session:
        seed_defaults(session)
    phone = Phone(app.test_client(), settings)
    phone.register()  # the ORM's part: a citizen is created
    phone.send("1")  # the driver's alone: the conversation moves to the category
    with committed_db.transaction() as session:
        state = session.scalar(select(Conversation.state))
        inbound = session.scalar(
            select(func.count()).select_from(Message).where(Message.direction == "inbound")
        )
    assert state == "category"
    assert inbound == 4

    def broken(*_args, **_kwargs):
        raise RuntimeError("engine broke")

    monkeypatch.setattr("bot.receive.handle", broken)
    reply = phone.send("aydinlatma")
    assert reply  # the polite "something went wrong", stored with the message
    with committed_db.transaction() as session:
        rows = session.execute(
            select(Message.body, Message.reply).where(Message.body == "aydinlatma")
        ).all()
        state = session.scalar(select(Conversation.state))
    assert len(rows) == 1 and rows[0].reply  # the failed try rolled back whole
    assert state == "category"
    assert committed_db.engine.pool.checkedout() <= 1  # at most the one kept for the next

"""The transactional outbox: rows are handed to Celery after the commit (never before,
never after a rollback), wait in PostgreSQL while Redis is down, and the relay sends
them later; a row left in `sending` by a dead worker is recovered without a second text."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis as redis_lib
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session

from core.config import Settings
from core.db import Database
from core.messaging import outbox
from core.messaging.outbox_relay import relay
from core.models import Category, Message, Ticket, TicketFollower
from core.tickets.opening import open_ticket
from core.tickets.seed_data import seed_defaults
from core.tickets.workflow import apply_transition
from tests.notify_support import (
    FakeTwilio,
    People,
    all_settled,
    fake_twilio,
    outbound,
    queued_ids,
    running_worker,
    wait_for,
    worker_settings,
)
from web.request_session import EXTENSION_KEY

DEAD_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with fake_twilio() as fake:
        yield fake


@pytest.fixture
def dead_redis(settings: Settings) -> Iterator[Settings]:
    """The web side's enqueue pointed at a Redis that is not there."""
    outbox.install(settings.replace(REDIS_URL=DEAD_REDIS))
    try:
        yield settings
    finally:
        outbox.install(settings)


def _report(session: Session, settings: Settings, make_user) -> Ticket:
    seed_defaults(session)
    category = session.scalars(select(Category)).first()
    return open_ticket(
        session,
        settings,
        category=category,
        description="Çöp konteyneri taştı",
        channel="whatsapp",
        reporter=make_user(),
        address="Üsküdar",
    )


def test_rows_are_enqueued_after_commit(
    db: Session, settings: Settings, make_user, redis_client: redis_lib.Redis
) -> None:
    ticket = _report(db, settings, make_user)
    db.flush()
    assert queued_ids(redis_client) == []  # written, not yet committed

    db.commit()

    [row] = db.scalars(select(Message).where(Message.ticket_id == ticket.id)).all()
    assert queued_ids(redis_client) == [row.id]
    assert "outbox" not in db.info


def test_a_savepoint_inside_the_transaction_enqueues_nothing_early(
    db: Session, settings: Settings, make_user, redis_client: redis_lib.Redis
) -> None:
    ticket = _report(db, settings, make_user)
    with db.begin_nested():  # e.g. storing a photo: not the request's commit
        pass
    assert queued_ids(redis_client) == []

    db.commit()
    [row] = db.scalars(select(Message).where(Message.ticket_id == ticket.id)).all()
    assert queued_ids(redis_client) == [row.id]


def test_nothing_is_enqueued_after_a_rollback(
    db: Session, settings: Settings, make_user, redis_client: redis_lib.Redis
) -> None:
    _report(db, settings, make_user)
    db.flush()
    db.rollback()
    db.commit()

    assert queued_ids(redis_client) == []
    assert db.scalars(select(Message)).all() == []


def test_redis_down_delays_but_loses_nothing(
    committed_db: Database,
    settings: Settings,
    dead_redis: Settings,
    twilio: FakeTwilio,
    redis_client: redis_lib.Redis,
) -> None:
    people = People(committed_db, settings).seed()
    reporter, follower = people.citizen(), people.citizen(locale="en")
    ticket = people.ticket(reporter, followers=(follower,))

    started = time.monotonic()
    with committed_db.transaction() as session:
        apply_transition(
            session, session.get(Ticket, ticket.id), "in_progress", actor=None, role="support"
        )
    assert time.monotonic() - started < 5  # the change commits; no long wait on Redis

    rows = outbound(committed_db)
    # "report received" to the reporter, then "in progress" to reporter and follower.
    assert len(rows) == 3 and {r.status for r in rows} == {"pending"}
    assert queued_ids(redis_client) == []

    # Redis is back. Rows younger than OUTBOX_RELAY_AFTER_SECONDS are left alone (their
    # own task may still be on its way); older ones are relayed.
    outbox.install(settings)
    assert relay(committed_db, settings) == {"recovered": 0, "relayed": 0, "unsent": 0}
    _age(committed_db, timedelta(minutes=2))
    send = worker_settings(settings)
    with running_worker(send):
        assert relay(committed_db, send)["relayed"] == 3
        wait_for(lambda: all_settled(committed_db))
    assert relay(committed_db, send)["relayed"] == 0

    rows = outbound(committed_db)
    assert {r.status for r in rows} == {"queued"}
    assert sorted(m["To"] for m in twilio.sent) == sorted(
        [f"whatsapp:{reporter.phone}"] * 2 + [f"whatsapp:{follower.phone}"]
    )


def test_relay_with_redis_still_down_keeps_rows_pending(
    committed_db: Database, settings: Settings, dead_redis: Settings
) -> None:
    people = People(committed_db, settings).seed()
    people.ticket(people.citizen())
    _age(committed_db, timedelta(minutes=2))

    counts = relay(committed_db, settings.replace(REDIS_URL=DEAD_REDIS))

    assert counts == {"recovered": 0, "relayed": 0, "unsent": 1}
    assert [r.status for r in outbound(committed_db)] == ["pending"]


def _age(database: Database, by: timedelta) -> None:
    with database.transaction() as session:
        session.execute(update(Message).values(updated_at=datetime.now(UTC) - by))


def _stuck_in_sending(database: Database, row_id: int, minutes: int = 10) -> None:
    with database.transaction() as session:
        session.execute(
            text(
                "UPDATE messages SET status = 'sending', attempts = 1,"
                " updated_at = now() - make_interval(mins => :m) WHERE id = :id"
            ),
            {"id": row_id, "m": minutes},
        )


def test_row_of_a_dead_worker_is_sent_again_when_twilio_never_got_it(
    committed_db: Database, settings: Settings, twilio: FakeTwilio
) -> None:
    people = People(committed_db, settings).seed()
    reporter = people.citizen()
    people.ticket(reporter)
    [row] = outbound(committed_db)
    _stuck_in_sending(committed_db, row.id)

    send = worker_settings(settings)
    with running_worker(send):
        assert relay(committed_db, send) == {"recovered": 1, "relayed": 1, "unsent": 0}
        wait_for(lambda: all_settled(committed_db))

    [row] = outbound(committed_db)
    assert row.status == "queued" and row.attempts == 2 and row.error_message is None
    assert len(twilio.sent) == 1


def test_row_of_a_dead_worker_is_not_sent_twice_when_twilio_has_it(
    committed_db: Database, settings: Settings, twilio: FakeTwilio
) -> None:
    people = People(committed_db, settings).seed()
    reporter = people.citizen()
    with running_worker(worker_settings(settings)):
        people.ticket(reporter)
        wait_for(lambda: outbound(committed_db) and all_settled(committed_db))
    [row] = outbound(committed_db)
    sid = row.twilio_sid
    # The worker died after Twilio accepted the message, before the SID was stored.
    with committed_db.transaction() as session:
        session.execute(update(Message).values(twilio_sid=None))
    _stuck_in_sending(committed_db, row.id)

    send = worker_settings(settings)
    with running_worker(send):
        assert relay(committed_db, send)["recovered"] == 1
        wait_for(lambda: all_settled(committed_db))

    [row] = outbound(committed_db)
    assert row.status == "queued" and row.twilio_sid == sid
    assert len(twilio.sent) == 1


def test_young_sending_rows_are_left_to_their_worker(
    committed_db: Database, settings: Settings
) -> None:
    people = People(committed_db, settings).seed()
    people.ticket(people.citizen())
    [row] = outbound(committed_db)
    _stuck_in_sending(committed_db, row.id, minutes=1)

    assert relay(committed_db, settings)["recovered"] == 0
    assert [r.status for r in outbound(committed_db)] == ["sending"]


def test_status_change_over_the_api_answers_while_redis_is_down(
    client,
    db: Session,
    app,
    settings: Settings,
    dead_redis: Settings,
    make_user,
    bearer,
    redis_client: redis_lib.Redis,
) -> None:
    ticket = _report(db, settings, make_user)
    follower = make_user(locale="en")
    db.add(TicketFollower(ticket_id=ticket.id, user_id=follower.id))
    db.flush()
    manager = make_user("manager")

    started = time.monotonic()
    response = client.post(
        f"/api/v1/tickets/{ticket.id}/transitions",
        json={"to": "in_progress"},
        headers=bearer(manager),
    )

    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "in_progress"
    assert time.monotonic() - started < 3
    rows = db.scalars(
        select(Message).where(Message.kind == "in_progress").order_by(Message.id)
    ).all()
    assert {(r.user_id, r.status) for r in rows} == {
        (ticket.reporter_id, "pending"),
        (follower.id, "pending"),
    }
    assert queued_ids(redis_client) == []

    # Redis is back: the relay hands every waiting row to the workers.
    outbox.install(settings)
    db.execute(update(Message).values(updated_at=datetime.now(UTC) - timedelta(minutes=5)))
    relay(app.extensions[EXTENSION_KEY], settings)
    all_rows = db.scalars(select(Message.id)).all()
    assert queued_ids(redis_client) == sorted(all_rows)

"""The per-sender rate limit: one schedule in Redis shared by every worker."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis as redis_lib

from bench.fake_twilio import FakeTwilio as FakeTwilioServer
from bench.worker_processes import start_worker, stop, wait_until_consuming, worker_env
from core import jobs
from core.config import Settings
from core.db import Database
from core.messaging.send_rate import SendRate, cost_of
from core.models import Message
from tasks.celery_app import make_celery
from tasks.notifications import SEND_TASK
from tests.notify_support import (
    FakeTwilio,
    People,
    all_settled,
    fake_twilio,
    outbound,
    running_worker,
    wait_for,
    worker_settings,
)


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with fake_twilio() as fake:
        yield fake


def test_two_worker_processes_keep_to_the_sms_rate(
    committed_db: Database, settings: Settings, tmp_path: Path
) -> None:
    rate = 8.0  # segments per second
    people = People(committed_db, settings).seed()
    reporters = [people.citizen(channel="sms") for _ in range(10)]
    with FakeTwilioServer() as twilio_server:
        env = worker_env(
            {
                "APP_ENV": "test",
                "DATABASE_URL": settings.DATABASE_URL,
                "REDIS_URL": settings.REDIS_URL,
                "TWILIO_ENABLED": True,
                "TWILIO_ACCOUNT_SID": settings.TWILIO_ACCOUNT_SID,
                "TWILIO_AUTH_TOKEN": settings.TWILIO_AUTH_TOKEN,
                "TWILIO_SMS_FROM": "SOSOFT",
                "TWILIO_API_BASE_URL": twilio_server.base_url,
                "SMS_MESSAGES_PER_SECOND": rate,
            }
        )
        workers = [start_worker(env, f"rate{i}", 4, tmp_path) for i in (1, 2)]
        try:
            wait_until_consuming(make_celery(settings), ["rate1", "rate2"])
            for reporter in reporters:
                people.ticket(reporter)
            wait_for(lambda: len(outbound(committed_db)) == 10 and all_settled(committed_db), 60)
        finally:
            for worker in workers:
                stop(worker)

    times = sorted(m.at for m in twilio_server.accepted)
    assert len(times) == 10
    # Each "report received" text is Turkish (UCS-2, 70 a segment): 2 segments.
    assert {cost_of("sms", m.body) for m in outbound(committed_db)} == {2}
    per_message = 2 / rate
    assert times[-1] - times[0] >= 9 * per_message * 0.9
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert min(gaps) >= 0.6 * per_message
    assert {m.status for m in outbound(committed_db)} == {"queued"}


def test_an_sms_costs_its_segments(
    committed_db: Database, settings: Settings, twilio: FakeTwilio
) -> None:
    people = People(committed_db, settings).seed()
    people.ticket(people.citizen(channel="sms"))
    [row] = outbound(committed_db)
    long_body = "çukur " * 60  # UCS-2: 360 characters, 6 segments
    with committed_db.transaction() as session:
        session.get(Message, row.id).body = long_body
    send = worker_settings(settings, SMS_MESSAGES_PER_SECOND=10.0)
    people.ticket(people.citizen(channel="sms"))
    second = outbound(committed_db)[-1]

    with running_worker(send):
        jobs.enqueue(send, SEND_TASK, row.id)
        wait_for(lambda: all_settled(committed_db))

    first_at, second_at = sorted(m["at"] for m in twilio.sent)
    assert cost_of("sms", long_body) == 6
    # Whichever went first, the long one holds the sender for 0.6 s; the short 0.1 s.
    assert second_at - first_at >= 0.09
    assert {m["Body"] for m in twilio.sent} == {long_body, second.body}


@pytest.fixture
def rate(redis_client: redis_lib.Redis, settings: Settings) -> SendRate:
    return SendRate(redis_client, settings.replace(SMS_MESSAGES_PER_SECOND=2.0))


def test_booking_spaces_sends_by_cost(rate: SendRate) -> None:
    booked = [rate.book("sms", "SOSOFT", 1, max_wait=10) for _ in range(3)]
    assert [b for b, _ in booked] == [True, True, True]
    waits = [w for _, w in booked]
    assert waits[0] == pytest.approx(0, abs=0.05)
    assert waits[1] == pytest.approx(0.5, abs=0.05)
    assert waits[2] == pytest.approx(1.0, abs=0.05)
    # A 3-segment SMS occupies 1.5 s; the next send waits behind it.
    assert rate.book("sms", "SOSOFT", 3, max_wait=10)[1] == pytest.approx(1.5, abs=0.05)
    assert rate.book("sms", "SOSOFT", 1, max_wait=10)[1] == pytest.approx(3.0, abs=0.05)


def test_booking_too_far_off_books_nothing(rate: SendRate) -> None:
    for _ in range(4):
        rate.book("sms", "SOSOFT", 1, max_wait=10)
    booked, wait = rate.book("sms", "SOSOFT", 1, max_wait=1.0)
    assert not booked and wait == pytest.approx(2.0, abs=0.05)
    # Nothing was booked, so the next slot is unchanged.
    assert rate.book("sms", "SOSOFT", 1, max_wait=10)[1] == pytest.approx(2.0, abs=0.05)


def test_senders_and_channels_have_separate_schedules(rate: SendRate) -> None:
    rate.book("sms", "SOSOFT", 10, max_wait=10)
    assert rate.book("sms", "OTHER", 1, max_wait=10)[1] == pytest.approx(0, abs=0.05)
    assert rate.book("whatsapp", "SOSOFT", 1, max_wait=10)[1] == pytest.approx(0, abs=0.05)


def test_concurrent_bookings_never_share_a_slot(rate: SendRate) -> None:
    waits: list[float] = []
    lock = threading.Lock()

    def book() -> None:
        for _ in range(5):
            _, wait = rate.book("sms", "SOSOFT", 1, max_wait=100)
            with lock:
                waits.append(wait)

    threads = [threading.Thread(target=book) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    waits.sort()
    assert len(waits) == 20
    assert all(b - a > 0.45 for a, b in itertools.pairwise(waits))


def test_a_far_off_slot_hands_the_message_back_and_sends_it_later(
    committed_db: Database, settings: Settings, twilio: FakeTwilio
) -> None:
    people = People(committed_db, settings).seed()
    # 2 segments at 4 segments/s: one message every 0.5 s, more than the 0.2 s a worker waits.
    send = worker_settings(settings, SMS_MESSAGES_PER_SECOND=4.0, SEND_RATE_MAX_WAIT_SECONDS=0.2)
    with running_worker(send):
        for _ in range(3):
            people.ticket(people.citizen(channel="sms"))
        wait_for(lambda: len(outbound(committed_db)) == 3 and all_settled(committed_db))

    rows = outbound(committed_db)
    assert {r.status for r in rows} == {"queued"}
    assert [r.attempts for r in rows] == [1, 1, 1]  # handing back is not an attempt
    times = sorted(m["at"] for m in twilio.sent)
    assert len(times) == 3 and times[-1] - times[0] >= 2 * 0.5 * 0.9

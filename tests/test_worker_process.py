"""The Celery worker as the Procfile starts it: prefork children that enqueue work
themselves (the outbox relay, "your photo could not be used", sweeps) keep working.

The in-process test worker can hide a fault of this kind: it runs tasks in a thread
of the test process, where other code already built Celery clients, so a client
built inside a task there changed nothing. A prefork child starts clean; the first
client it builds itself is the one that matters.
"""

from __future__ import annotations

from pathlib import Path

import redis as redis_lib

from bench.fake_twilio import FakeTwilio
from bench.worker_processes import stop, worker_env
from core import jobs
from core.config import Settings
from core.db import Database
from tests.notify_support import People, all_settled, outbound, wait_for
from tests.procfile_processes import start_process


def _worker_settings(settings: Settings, twilio: FakeTwilio) -> dict[str, str]:
    return worker_env(
        {
            "APP_ENV": "test",
            "DATABASE_URL": settings.DATABASE_URL,
            "REDIS_URL": settings.REDIS_URL,
            "TWILIO_ENABLED": True,
            "TWILIO_ACCOUNT_SID": settings.TWILIO_ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": settings.TWILIO_AUTH_TOKEN,
            "TWILIO_WHATSAPP_FROM": settings.TWILIO_WHATSAPP_FROM,
            "TWILIO_SMS_FROM": settings.TWILIO_SMS_FROM,
            "TWILIO_API_BASE_URL": twilio.base_url,
            "OUTBOX_RELAY_AFTER_SECONDS": 0,
            # One child, so the task after the worker's own enqueue runs where it enqueued.
            "WORKER_CONCURRENCY": 1,
        }
    )


def test_messages_keep_going_out_after_the_worker_enqueues_work_itself(
    committed_db: Database,
    settings: Settings,
    redis_client: redis_lib.Redis,
    tmp_path: Path,
) -> None:
    people = People(committed_db, settings).seed()
    lost = people.ticket(people.citizen())
    # The enqueue of its "report received" was lost (Redis away): only the relay can send it.
    redis_client.delete("celery")
    with FakeTwilio() as twilio:
        worker = start_process("worker", _worker_settings(settings, twilio), tmp_path / "w.log")
        try:
            # The relay runs in the worker and enqueues the lost message from there.
            jobs.enqueue(settings, "tasks.sweeps.relay_outbox")
            wait_for(lambda: len(twilio.accepted) == 1, 60)
            # A later message, enqueued by the web side, is sent by the same child.
            later = people.ticket(people.citizen())
            wait_for(lambda: len(twilio.accepted) == 2 and all_settled(committed_db), 60)
        finally:
            stop(worker)

    rows = {m.ticket_id: m for m in outbound(committed_db)}
    assert {rows[lost.id].status, rows[later.id].status} == {"queued"}
    assert sorted(m.to for m in twilio.accepted) == sorted(
        f"whatsapp:{rows[t].address}" for t in (lost.id, later.id)
    )

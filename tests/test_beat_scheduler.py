"""Beat while Redis is away: one warning line per task it could not send, no traceback;
with Redis there, the task reaches the queue as with Celery's own scheduler."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import pytest
import redis as redis_lib
from celery.beat import ScheduleEntry

from core.config import Settings
from tasks.beat_scheduler import BeatScheduler
from tasks.celery_app import make_celery


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]  # nothing listens there once closed


def _scheduler(settings: Settings, tmp_path: Path) -> BeatScheduler:
    app = make_celery(settings)
    assert app.conf.beat_scheduler == "tasks.beat_scheduler:BeatScheduler"
    return BeatScheduler(app, schedule_filename=str(tmp_path / "beat"), lazy=True)


def _entry(scheduler: BeatScheduler) -> ScheduleEntry:
    return ScheduleEntry(
        name="outbox-relay", task="tasks.sweeps.relay_outbox", schedule=60.0, app=scheduler.app
    )


def test_a_task_beat_cannot_send_is_one_warning_line(
    settings: Settings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    away = settings.replace(REDIS_URL=f"redis://127.0.0.1:{_closed_port()}/0")
    scheduler = _scheduler(away, tmp_path)
    with caplog.at_level(logging.INFO, logger="tasks.beat_scheduler"):
        scheduler.apply_entry(_entry(scheduler))

    [warning] = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert "outbox-relay not sent, the broker is away" in warning.getMessage()
    assert warning.exc_info is None


def test_with_the_broker_there_the_task_is_queued(
    settings: Settings, tmp_path: Path, redis_client: redis_lib.Redis
) -> None:
    scheduler = _scheduler(settings, tmp_path)
    before = redis_client.llen("celery")
    scheduler.apply_entry(_entry(scheduler))
    assert redis_client.llen("celery") == before + 1

"""Celery beat's scheduler, quiet while the broker is away.

Celery's own scheduler logs a full traceback, with the stack of the beat loop, for
every due task it cannot send. While Redis is down (a restart, a failover) that is a
screenful every few seconds, burying whatever else the log says. Here a task not sent
because the broker is away is one warning line; any other failure is logged as Celery
logs it. Nothing is lost either way: beat sends the task again at its next run, and
the sweeps find what a missed run left (each is safe to run late or twice).
"""

from __future__ import annotations

import logging
from typing import Any

from celery.beat import PersistentScheduler, ScheduleEntry
from kombu.exceptions import OperationalError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

log = logging.getLogger(__name__)

BROKER_AWAY = (OperationalError, RedisConnectionError, RedisTimeoutError, ConnectionError)


def broker_away(exc: BaseException | None) -> bool:
    """Whether `exc`, or what it was raised from, says the broker could not be reached."""
    seen = 0
    while exc is not None and seen < 10:
        if isinstance(exc, BROKER_AWAY):
            return True
        exc = exc.__cause__ or exc.__context__
        seen += 1
    return False


class BeatScheduler(PersistentScheduler):
    def apply_entry(self, entry: ScheduleEntry, producer: Any = None) -> None:
        log.info("Scheduler: Sending due task %s (%s)", entry.name, entry.task)
        try:
            self.apply_async(entry, producer=producer, advance=False)
        except Exception as exc:
            if broker_away(exc):
                log.warning(
                    "beat: %s not sent, the broker is away; next run as scheduled", entry.name
                )
            else:
                log.error("beat: could not send %s", entry.name, exc_info=True)

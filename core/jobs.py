"""Handing work to Celery from the web side, without importing `tasks/`.

Tasks are sent by name. Sending never raises: when Redis is down the work waits
in PostgreSQL (outbox rows, unfetched media) and the beat relay picks it up.
"""

from __future__ import annotations

import logging
from functools import lru_cache
from typing import Any

from celery import Celery

from core.config import Settings

log = logging.getLogger(__name__)


@lru_cache(maxsize=4)
def _client(broker_url: str) -> Celery:
    # Never the process's current app: in a worker, the tasks' own app must stay it.
    client = Celery("sosoft-client", broker=broker_url, set_as_current=False)
    # Fail fast when Redis is away: the relay sweep will send it later.
    client.conf.broker_connection_retry = False
    client.conf.broker_connection_max_retries = 0
    # max_retries 0: kombu otherwise retries the connection for ~6 s before giving up.
    client.conf.broker_transport_options = {
        "socket_connect_timeout": 1,
        "socket_timeout": 1,
        "max_retries": 0,
    }
    return client


def enqueue(settings: Settings, task_name: str, *args: Any, **kwargs: Any) -> bool:
    """Send `task_name(*args, **kwargs)` to the workers; False when it could not be sent."""
    try:
        _client(settings.REDIS_URL).send_task(task_name, args=args, kwargs=kwargs, retry=False)
    except Exception as exc:  # any broker failure: the relay sweep covers it
        log.warning("could not enqueue %s: %s", task_name, type(exc).__name__)
        return False
    return True

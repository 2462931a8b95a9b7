"""Tickets per status for the inbox's header, kept in Redis for a few seconds: every
open console polls, and a count over every ticket on each poll would cost a full
scan of the table each time. Without Redis the count is simply made."""

from __future__ import annotations

import contextlib
import json
import logging

import redis
from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.models import Ticket
from core.models.tickets import STATUSES

log = logging.getLogger(__name__)
CACHE_KEY = "console:status-counts"
CACHE_SECONDS = 15


def _count(session: Session) -> dict[str, int]:
    rows = session.execute(select(Ticket.status, func.count()).group_by(Ticket.status))
    counts = dict.fromkeys(STATUSES, 0)
    counts.update({status: n for status, n in rows})
    return counts


def status_counts(session: Session) -> dict[str, int]:
    client: redis.Redis = current_app.extensions["sosoft.redis"]
    try:
        cached = client.get(CACHE_KEY)
        if cached:
            return json.loads(cached)
    except redis.RedisError as exc:
        log.warning("status counts not cached: %s", type(exc).__name__)
        return _count(session)
    counts = _count(session)
    # Counted this time either way; without Redis the next poll counts again.
    with contextlib.suppress(redis.RedisError):
        client.set(CACHE_KEY, json.dumps(counts), ex=CACHE_SECONDS)
    return counts


def forget_counts() -> None:
    """After a change made here, the next page shows it at once."""
    with contextlib.suppress(redis.RedisError):
        current_app.extensions["sosoft.redis"].delete(CACHE_KEY)

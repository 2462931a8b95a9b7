"""Keeping the Celery worker alive when Redis goes away (issue 13, found by the soak suite).

When the worker's broker connection breaks, Celery closes the connection, and kombu's
Redis channel, on closing, gives back the messages it had delivered but not acked. By
then the transport has often been closed already (its `client` is None), and building
the client to give them back fails with `AttributeError: 'NoneType' object has no
attribute 'hostname'`. That is no connection error, so neither kombu's
`maybe_close_channel` nor Celery's `ignore_errors` swallows it: the consumer dies with
"Unrecoverable error" and the worker process exits, leaving every message pending until
something restarts it (honcho, under `make run`, stops everything instead).

`install()` makes that case a Redis `ConnectionError`, which both already treat as the
broker being away: the worker goes on to reconnect. The messages it could not give
back stay in Redis's unacked set, redelivered after the visibility timeout, and the
outbox relay resends their rows long before (core/messaging/outbox_relay.py).
"""

from __future__ import annotations

import functools
from typing import Any

from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError

_MARK = "_sosoft_closed_transport_is_a_connection_error"


def install() -> None:
    """Patch kombu's Redis channel once per process (idempotent)."""
    channel = kombu_redis.Channel
    original = channel._connparams
    if getattr(original, _MARK, False):
        return

    @functools.wraps(original)
    def connparams(self: Any, asynchronous: bool = False) -> dict[str, Any]:
        transport = self.connection
        if transport is None or transport.client is None:
            raise RedisConnectionError("the broker connection is already closed")
        return original(self, asynchronous=asynchronous)

    setattr(connparams, _MARK, True)
    channel._connparams = connparams

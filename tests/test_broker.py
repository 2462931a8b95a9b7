"""The worker outlives Redis going away: kombu closing a channel whose transport is
already closed is a connection error (reconnect), not an AttributeError that ends the
worker (tasks/broker.py; the soak suite saw the worker exit with "Unrecoverable error")."""

from __future__ import annotations

import uuid

import pytest
from kombu import Connection

from core.config import Settings
from tasks import broker


@pytest.fixture
def unacked_channel(settings: Settings):
    """A channel holding one delivered, unacked message, its transport closed under it
    (the order Celery's consumer closes things in when the broker drops)."""
    connection = Connection(settings.REDIS_URL)
    channel = connection.channel()
    queue = f"soak-{uuid.uuid4().hex}"
    channel.queue_declare(queue)
    channel.basic_publish(channel.prepare_message("x"), exchange="", routing_key=queue)
    assert channel.basic_get(queue, no_ack=False) is not None
    channel._disconnect_pools()
    connection.transport.client = None
    yield connection, channel
    channel.closed = True


def test_closing_it_is_a_connection_error_kombu_swallows(unacked_channel) -> None:
    broker.install()
    connection, channel = unacked_channel
    connection.maybe_close_channel(channel)  # raised AttributeError before
    assert channel.closed


def test_install_is_idempotent() -> None:
    from kombu.transport import redis as kombu_redis

    broker.install()
    patched = kombu_redis.Channel._connparams
    broker.install()
    assert kombu_redis.Channel._connparams is patched

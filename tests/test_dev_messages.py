"""`/dev/messages`: the outbound messages the development sink recorded, and the ones
that were skipped, with their reason.

The route tests use the `app` and `client` fixtures from tests/conftest.py; the gateway
is swapped for a sink on its own Redis list so parallel tests and dev data don't mix.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
import redis
from flask import Flask
from flask.testing import FlaskClient

from core.config import Settings
from core.messaging.gateway import DevSinkGateway, OutboundMessage
from core.messaging.notifications import ANSWERED_IN_CHAT
from core.models import Message
from web import dev_messages

PHONE = "+905321234567"
NO_WAY = "outside the WhatsApp 24-hour window, no template for report_received; no SMS sender"


@pytest.fixture
def sink(app: Flask, monkeypatch: pytest.MonkeyPatch) -> Iterator[DevSinkGateway]:
    settings = app.config["SOSOFT"]
    client = redis.Redis.from_url(settings.REDIS_URL)
    gateway = DevSinkGateway(settings, client, list_key=f"test:dev:{uuid.uuid4().hex}")
    monkeypatch.setitem(app.extensions, "sosoft.gateway", gateway)
    yield gateway
    gateway.clear()
    client.close()


def send(sink: DevSinkGateway, count: int) -> None:
    for n in range(count):
        sink.send(OutboundMessage(to=PHONE, channel="whatsapp", body=f"message {n}"))


def test_lists_newest_first(client: FlaskClient, sink: DevSinkGateway) -> None:
    send(sink, 3)

    response = client.get("/dev/messages")

    assert response.status_code == 200
    data = response.get_json()["data"]
    assert [m["body"] for m in data] == ["message 2", "message 1", "message 0"]
    assert {"sid", "to", "channel", "body", "created_at"} <= data[0].keys()
    assert data[0]["to"] == PHONE
    assert data[0]["channel"] == "whatsapp"


def test_limit(client: FlaskClient, sink: DevSinkGateway) -> None:
    send(sink, 3)
    data = client.get("/dev/messages?limit=2").get_json()["data"]
    assert [m["body"] for m in data] == ["message 2", "message 1"]


def test_default_limit_is_50_and_max_500(client: FlaskClient, sink: DevSinkGateway) -> None:
    send(sink, 60)
    assert len(client.get("/dev/messages").get_json()["data"]) == 50
    assert len(client.get("/dev/messages?limit=100000").get_json()["data"]) == 60


@pytest.mark.parametrize("limit", ["0", "-3", "ten", ""])
def test_bad_limit_is_422(client: FlaskClient, sink: DevSinkGateway, limit: str) -> None:
    response = client.get(f"/dev/messages?limit={limit}")
    assert response.status_code == 422
    assert "limit" in response.get_json()["errors"]["query"]


def test_delete_clears(client: FlaskClient, sink: DevSinkGateway) -> None:
    send(sink, 2)
    assert client.delete("/dev/messages").status_code == 204
    assert client.get("/dev/messages").get_json()["data"] == []


@pytest.mark.parametrize(
    ("overrides", "registered"),
    [
        ({}, True),
        ({"TWILIO_ENABLED": True}, False),
        ({"APP_ENV": "production", "JWT_SECRET_KEY": "x" * 32}, False),
    ],
    ids=["development", "twilio-enabled", "production"],
)
def test_registered_only_for_dev_sink_outside_production(overrides: dict, registered: bool) -> None:
    """Standalone: needs no conftest, only a bare Flask app."""
    bare = Flask(__name__)
    assert dev_messages.register(bare, Settings.from_env({}, **overrides)) is registered
    rules = {rule.rule for rule in bare.url_map.iter_rules()}
    assert ("/dev/messages" in rules) is registered


# --- the development sink lists what was skipped ----------------------------------------


def skipped(db, reason: str, *, minutes_ago: int = 0, body: str = "Bildiriminiz alındı") -> Message:
    message = Message(
        direction="outbound", channel="whatsapp", address="+905321234567", kind="report_received",
        body=body, status="skipped", error_message=reason,
        created_at=datetime.now(UTC) - timedelta(minutes=minutes_ago),
    )  # fmt: skip
    db.add(message)
    db.flush()
    return message


def test_the_sink_lists_skipped_messages_with_their_reason(client, db, sink) -> None:
    skipped(db, NO_WAY, minutes_ago=5)
    sink.send(OutboundMessage(to="+905321234567", channel="sms", body="Kodunuz 123456"))
    data = client.get("/dev/messages").get_json()["data"]
    assert [(m["status"], m["body"]) for m in data] == [
        ("sent", "Kodunuz 123456"),
        ("skipped", "Bildiriminiz alındı"),
    ]
    assert data[1]["reason"] == NO_WAY and data[1]["kind"] == "report_received"
    assert data[1]["to"] == "+905321234567" and data[1]["channel"] == "whatsapp"


def test_the_sink_leaves_out_what_the_chat_reply_carried(client, db, sink) -> None:
    skipped(db, ANSWERED_IN_CHAT)
    assert client.get("/dev/messages").get_json()["data"] == []


def test_clearing_the_sink_hides_the_skipped_ones_until_then(client, db, sink) -> None:
    skipped(db, NO_WAY, minutes_ago=1, body="eski")
    assert client.delete("/dev/messages").status_code == 204
    assert client.get("/dev/messages").get_json()["data"] == []
    skipped(db, NO_WAY, body="yeni")
    assert [m["body"] for m in client.get("/dev/messages").get_json()["data"]] == ["yeni"]


def test_the_limit_counts_both(client, db, sink) -> None:
    for n in range(3):
        skipped(db, NO_WAY, minutes_ago=10 - n, body=f"skipped {n}")
    sink.send(OutboundMessage(to="+905321234567", channel="sms", body="sent"))
    data = client.get("/dev/messages?limit=2").get_json()["data"]
    assert [m["body"] for m in data] == ["sent", "skipped 2"]

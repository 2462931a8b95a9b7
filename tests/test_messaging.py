"""The messaging gateway: the Redis dev sink, Twilio's REST API (via `responses`), segments."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from datetime import datetime
from urllib.parse import parse_qs

import pytest
import redis
import requests
import responses

from core.config import Settings
from core.messaging.gateway import (
    DevSinkGateway,
    GatewayError,
    OutboundMessage,
    SendResult,
    TwilioGateway,
    make_gateway,
    segments,
)

PHONE = "+905321234567"
DOTLESS_I = "\u0131"  # Turkish dotless i, escaped so it cannot be mistaken for "i"
ACCOUNT_SID = "AC" + "0" * 32
TWILIO = "https://api.twilio.com"


def messages_url(base: str = TWILIO) -> str:
    return f"{base}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"


# --- dev sink on real Redis ----------------------------------------------------------------


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    client = redis.Redis.from_url("redis://127.0.0.1:6379/15")
    yield client
    client.close()


@pytest.fixture
def sink(redis_client: redis.Redis) -> Iterator[DevSinkGateway]:
    # A list per test, so parallel runs and a developer's own dev data are left alone.
    gateway = DevSinkGateway(
        Settings.from_env({}), redis_client, list_key=f"test:dev:messages:{uuid.uuid4().hex}"
    )
    yield gateway
    gateway.clear()


def test_sink_records_message(sink: DevSinkGateway) -> None:
    result = sink.send(OutboundMessage(to=PHONE, channel="whatsapp", body="Kodunuz: 123456"))

    assert result.status == "sent"
    assert result.sid.startswith("SMdev") and len(result.sid) == 5 + 32
    [record] = sink.list_messages()
    assert record["sid"] == result.sid
    assert record["to"] == PHONE
    assert record["channel"] == "whatsapp"
    assert record["body"] == "Kodunuz: 123456"
    assert record["content_sid"] is None
    assert datetime.fromisoformat(record["created_at"]).utcoffset().total_seconds() == 0


def test_sink_records_template(sink: DevSinkGateway) -> None:
    sink.send(
        OutboundMessage(
            to=PHONE, channel="whatsapp", content_sid="HX123", content_variables={"1": "#42"}
        )
    )
    [record] = sink.list_messages()
    assert record["body"] is None
    assert record["content_sid"] == "HX123"
    assert record["content_variables"] == {"1": "#42"}


def test_sink_lists_newest_first_and_limits(sink: DevSinkGateway) -> None:
    for n in range(5):
        sink.send(OutboundMessage(to=PHONE, channel="sms", body=f"message {n}"))

    assert [m["body"] for m in sink.list_messages()] == [f"message {n}" for n in (4, 3, 2, 1, 0)]
    assert [m["body"] for m in sink.list_messages(limit=2)] == ["message 4", "message 3"]
    assert sink.list_messages(limit=0) == []


def test_sink_keeps_only_the_newest(redis_client: redis.Redis) -> None:
    sink = DevSinkGateway(
        Settings.from_env({}), redis_client, list_key=f"test:dev:{uuid.uuid4().hex}", keep=3
    )
    try:
        for n in range(5):
            sink.send(OutboundMessage(to=PHONE, channel="sms", body=f"message {n}"))
        assert redis_client.llen(sink.list_key) == 3
        assert [m["body"] for m in sink.list_messages()] == ["message 4", "message 3", "message 2"]
    finally:
        sink.clear()


def test_sink_is_shared_between_instances(sink: DevSinkGateway, redis_client) -> None:
    """The worker records, the web process reads: same Redis list."""
    other = DevSinkGateway(Settings.from_env({}), redis_client, list_key=sink.list_key)
    other.send(OutboundMessage(to=PHONE, channel="sms", body="hi"))
    assert [m["body"] for m in sink.list_messages()] == ["hi"]


def test_sink_clear(sink: DevSinkGateway) -> None:
    sink.send(OutboundMessage(to=PHONE, channel="sms", body="hi"))
    sink.clear()
    assert sink.list_messages() == []


def test_sink_logs_masked_phone_and_no_body(
    sink: DevSinkGateway, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="core.messaging.gateway"):
        sink.send(OutboundMessage(to=PHONE, channel="sms", body="Kodunuz: 918273"))

    text = caplog.text
    assert "+90******4567" in text
    assert PHONE not in text
    assert "918273" not in text
    assert "15 chars" in text


def test_make_gateway_picks_by_setting(redis_client: redis.Redis) -> None:
    assert isinstance(make_gateway(Settings.from_env({}), redis_client), DevSinkGateway)
    enabled = Settings.from_env({}, TWILIO_ENABLED=True, TWILIO_ACCOUNT_SID=ACCOUNT_SID)
    assert isinstance(make_gateway(enabled, redis_client), TwilioGateway)


def test_outbound_message_needs_content() -> None:
    with pytest.raises(ValueError):
        OutboundMessage(to=PHONE, channel="sms")
    with pytest.raises(ValueError):
        OutboundMessage(to=PHONE, channel="fax", body="hi")  # type: ignore[arg-type]


# --- Twilio via responses ----------------------------------------------------------------


def twilio_settings(**overrides) -> Settings:
    values = {
        "TWILIO_ENABLED": True,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": "token",
        "TWILIO_SMS_FROM": "SOSOFT",
        "TWILIO_WHATSAPP_FROM": "+14155238886",
        "TWILIO_TIMEOUT_SECONDS": 3.0,
    }
    values.update(overrides)
    return Settings.from_env({}, **values)


def created(sid: str = "SM" + "a" * 32, status: str = "queued") -> dict:
    return {"sid": sid, "status": status, "account_sid": ACCOUNT_SID}


def sent_form(call: responses.Call) -> dict[str, list[str]]:
    return parse_qs(call.request.body)


@pytest.fixture
def twilio_api() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock() as mock:
        yield mock


def test_whatsapp_body_message(twilio_api: responses.RequestsMock) -> None:
    twilio_api.post(messages_url(), json=created(), status=201)

    result = TwilioGateway(twilio_settings()).send(
        OutboundMessage(
            to=PHONE,
            channel="whatsapp",
            body="Teşekkürler! Talep #42 çözüldü",
            status_callback="https://city.example/bot/twilio/status",
        )
    )

    assert result == SendResult(sid="SM" + "a" * 32, status="queued")
    form = sent_form(twilio_api.calls[0])
    assert form == {
        "To": [f"whatsapp:{PHONE}"],
        "From": ["whatsapp:+14155238886"],
        "Body": ["Teşekkürler! Talep #42 çözüldü"],
        "StatusCallback": ["https://city.example/bot/twilio/status"],
    }
    assert twilio_api.calls[0].request.headers["Authorization"].startswith("Basic ")


def test_whatsapp_template_message(twilio_api: responses.RequestsMock) -> None:
    twilio_api.post(messages_url(), json=created(), status=201)

    TwilioGateway(twilio_settings(TWILIO_WHATSAPP_FROM="whatsapp:+14155238886")).send(
        OutboundMessage(
            to=f"whatsapp:{PHONE}",
            channel="whatsapp",
            content_sid="HX" + "b" * 32,
            content_variables={"1": "#42", "2": "çözüldü"},
        )
    )

    form = sent_form(twilio_api.calls[0])
    assert form["To"] == [f"whatsapp:{PHONE}"]
    assert form["From"] == ["whatsapp:+14155238886"]  # prefix not doubled
    assert form["ContentSid"] == ["HX" + "b" * 32]
    assert json.loads(form["ContentVariables"][0]) == {"1": "#42", "2": "çözüldü"}
    assert "Body" not in form


def test_sms_uses_alphanumeric_sender_and_media(twilio_api: responses.RequestsMock) -> None:
    twilio_api.post(messages_url(), json=created(), status=201)

    TwilioGateway(twilio_settings()).send(
        OutboundMessage(
            to=PHONE,
            channel="sms",
            body="hello",
            media_urls=("https://city.example/a.jpg", "https://city.example/b.jpg"),
        )
    )

    form = sent_form(twilio_api.calls[0])
    assert form["To"] == [PHONE]
    assert form["From"] == ["SOSOFT"]
    assert form["MediaUrl"] == ["https://city.example/a.jpg", "https://city.example/b.jpg"]


def test_configured_base_url_is_honoured(
    twilio_api: responses.RequestsMock, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Even with an edge set in the environment, the configured base URL is the one used.
    monkeypatch.setenv("TWILIO_EDGE", "dublin")
    base = "http://127.0.0.1:9999"
    twilio_api.post(messages_url(base), json=created(), status=201)

    result = TwilioGateway(twilio_settings(TWILIO_API_BASE_URL=base + "/")).send(
        OutboundMessage(to=PHONE, channel="sms", body="hello")
    )

    assert result.sid == "SM" + "a" * 32
    assert twilio_api.calls[0].request.url == messages_url(base)


def test_missing_sender_is_a_permanent_error(twilio_api: responses.RequestsMock) -> None:
    gateway = TwilioGateway(twilio_settings(TWILIO_SMS_FROM=""))
    with pytest.raises(GatewayError) as info:
        gateway.send(OutboundMessage(to=PHONE, channel="sms", body="hello"))
    assert not info.value.retryable
    assert "TWILIO_SMS_FROM" in str(info.value)


@pytest.mark.parametrize(
    ("http_status", "payload", "code", "retryable"),
    [
        (429, {"code": 20429, "message": "Too Many Requests"}, 20429, True),
        (400, {"code": 21211, "message": f"The 'To' number {PHONE} is not valid."}, 21211, False),
        (
            400,
            {"code": 21610, "message": "Attempt to send to unsubscribed recipient"},
            21610,
            False,
        ),
        (
            400,
            {"code": 21614, "message": f"'To' number {PHONE} is not a mobile number"},
            21614,
            False,
        ),
        (400, {"code": 63016, "message": "Outside the allowed window"}, 63016, False),
        (429, {"code": 63018, "message": "Rate limit exceeded for channel"}, 63018, True),
        (500, {"code": 20500, "message": "Internal Server Error"}, 20500, True),
        (503, {"message": "Service Unavailable"}, 503, True),
        # The RFC 9457 problem shape newer Twilio APIs answer with.
        (
            429,
            {
                "type": "https://www.twilio.com/docs/errors/20429",
                "title": "Too Many Requests",
                "code": 20429,
            },
            20429,
            True,
        ),
    ],
    ids=["20429", "21211", "21610", "21614", "63016", "63018", "500", "503-no-code", "rfc9457"],
)
def test_twilio_errors_map_to_gateway_error(
    twilio_api: responses.RequestsMock, http_status, payload, code, retryable
) -> None:
    twilio_api.post(messages_url(), json={**payload, "status": http_status}, status=http_status)

    with pytest.raises(GatewayError) as info:
        TwilioGateway(twilio_settings()).send(
            OutboundMessage(to=PHONE, channel="whatsapp", body="hi")
        )

    error = info.value
    assert error.code == code
    assert error.http_status == http_status
    assert error.retryable is retryable
    assert PHONE not in str(error)
    assert "5321234567" not in str(error)


@pytest.mark.parametrize(
    "failure",
    [requests.ConnectionError("refused"), requests.ReadTimeout("slow"), requests.ConnectTimeout()],
    ids=["connection", "read-timeout", "connect-timeout"],
)
def test_transport_failures_are_retryable(twilio_api: responses.RequestsMock, failure) -> None:
    twilio_api.post(messages_url(), body=failure)

    with pytest.raises(GatewayError) as info:
        TwilioGateway(twilio_settings()).send(OutboundMessage(to=PHONE, channel="sms", body="hi"))

    assert info.value.retryable
    assert info.value.code is None
    assert info.value.http_status is None


def test_unreachable_host_is_retryable() -> None:
    """A real refused connection, no mock: nothing listens on port 9."""
    gateway = TwilioGateway(twilio_settings(TWILIO_API_BASE_URL="http://127.0.0.1:9"))
    with pytest.raises(GatewayError) as info:
        gateway.send(OutboundMessage(to=PHONE, channel="sms", body="hi"))
    assert info.value.retryable


# --- segments ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("hello", 1),
        ("", 1),
        ("a" * 160, 1),
        ("a" * 161, 2),
        ("a" * 306, 2),
        ("a" * 307, 3),
        ("Çok güzel! Ödeme ücreti é", 1),  # Ç ü ö Ö é are GSM-7 basic
        ("€" * 80, 1),  # extension chars count 2 septets: 160
        ("€" * 81, 2),
        ("a" * 152 + "€", 1),  # 154 septets, still one segment
        ("a" * 152 + "€" + "a" * 7, 2),  # 161 septets; the ESC pair is not split
        ("ş", 1),
        ("a" * 69 + "ş", 1),  # one Turkish letter makes the whole message UCS-2
        ("a" * 70 + "ş", 2),
        (("çğİŞĞ" + DOTLESS_I) * 11 + DOTLESS_I * 4, 1),  # 70 UCS-2 chars
        (DOTLESS_I * 71, 2),
        (DOTLESS_I * 134, 2),
        (DOTLESS_I * 135, 3),
        ("👍" * 35, 1),  # emoji are two UTF-16 units
        ("👍" * 36, 2),
        ("a" * 66 + "👍" + "a" * 66, 3),  # 134 units, but the pair can't straddle parts
    ],
)
def test_segments(body: str, expected: int) -> None:
    assert segments(body) == expected

"""Rate limits on sign-in (Flask-Limiter on Redis): per number and per client address."""

from __future__ import annotations

import pytest
import redis
from flask.testing import FlaskClient
from limits.storage import storage_from_string
from limits.strategies import FixedWindowRateLimiter

from tests.auth_helpers import REQUEST_OTP, VERIFY_OTP, request_code
from web.limits import limiter

PHONE = "+905321234567"


def ask(client: FlaskClient, phone: str, ip: str = "203.0.113.7"):
    return client.post(REQUEST_OTP, json={"phone_number": phone}, environ_base={"REMOTE_ADDR": ip})


def test_second_code_within_30_seconds_is_429_with_retry_after(client: FlaskClient) -> None:
    assert ask(client, PHONE).status_code == 202

    response = ask(client, PHONE)

    assert response.status_code == 429
    body = response.get_json()
    assert body["code"] == 429 and body["status"] == "Too Many Requests"
    assert "this number" in body["message"]
    assert 0 < body["errors"]["retry_after"] <= 30
    assert 0 < int(response.headers["Retry-After"]) <= 30
    assert len(client.get("/dev/messages").get_json()["data"]) == 1


def test_the_limit_follows_the_number_not_its_spelling(client: FlaskClient) -> None:
    assert ask(client, "05321234567").status_code == 202
    assert ask(client, "+90 532 123 45 67", ip="198.51.100.1").status_code == 429


def test_another_number_is_not_held_back(client: FlaskClient) -> None:
    assert ask(client, PHONE).status_code == 202
    assert ask(client, "+905329876543").status_code == 202


def test_per_address_limit(client: FlaskClient) -> None:
    # OTP_RATE_LIMIT_IP is 20 per hour: the 21st number from one address is refused.
    statuses = [ask(client, f"+90532000{n:04d}").status_code for n in range(21)]

    assert statuses == [202] * 20 + [429]
    assert ask(client, "+905320009999", ip="198.51.100.2").status_code == 202


def test_invalid_numbers_count_against_the_address(client: FlaskClient) -> None:
    statuses = [ask(client, "not a number").status_code for _ in range(21)]
    assert statuses == [422] * 20 + [429]


def test_verify_is_limited_per_number(client: FlaskClient, make_user) -> None:
    make_user(phone=PHONE)
    request_code(client, PHONE)

    # OTP_VERIFY_RATE_LIMIT_PHONE allows 10 per 5 minutes, whatever the address.
    statuses = [
        client.post(
            VERIFY_OTP,
            json={"phone_number": PHONE, "code": "000000"},
            environ_base={"REMOTE_ADDR": f"198.51.100.{n}"},
        ).status_code
        for n in range(11)
    ]

    assert statuses[-1] == 429
    assert set(statuses[:-1]) == {401}


def test_counters_live_in_redis_without_the_number(
    client: FlaskClient, redis_client: redis.Redis
) -> None:
    ask(client, PHONE)

    keys = [key.decode() for key in redis_client.keys("*")]
    assert any("phone:" in key for key in keys)
    assert not any("5321234567" in key for key in keys)


def test_redis_down_does_not_stop_sign_in(
    client: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    unreachable = storage_from_string(
        "redis://127.0.0.1:1/0", socket_connect_timeout=0.2, socket_timeout=0.2
    )
    monkeypatch.setattr(limiter, "_storage", unreachable)
    monkeypatch.setattr(limiter, "_limiter", FixedWindowRateLimiter(unreachable))

    statuses = [ask(client, PHONE).status_code for _ in range(2)]

    # Unlimited while Redis is away (RATELIMIT_SWALLOW_ERRORS), rather than down.
    assert statuses == [202, 202]

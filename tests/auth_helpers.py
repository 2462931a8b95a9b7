"""Helpers shared by the sign-in tests: read the code from the development sink."""

from __future__ import annotations

import re
from typing import Any

from flask.testing import FlaskClient

REQUEST_OTP = "/api/v1/auth/request-otp"
VERIFY_OTP = "/api/v1/auth/verify-otp"
REGISTER = "/api/v1/auth/register"
REFRESH = "/api/v1/auth/refresh"
LOGOUT = "/api/v1/auth/logout"
ME = "/api/v1/auth/me"


def last_message(client: FlaskClient) -> dict[str, Any]:
    return client.get("/dev/messages?limit=1").get_json()["data"][0]


def sent_code(client: FlaskClient) -> str:
    match = re.search(r"\b(\d{6})\b", last_message(client)["body"])
    assert match, "no code in the last message"
    return match.group(1)


def request_code(client: FlaskClient, phone: str) -> str:
    response = client.post(REQUEST_OTP, json={"phone_number": phone})
    assert response.status_code == 202, response.get_json()
    return sent_code(client)


def sign_in(client: FlaskClient, phone: str) -> dict[str, Any]:
    code = request_code(client, phone)
    response = client.post(VERIFY_OTP, json={"phone_number": phone, "code": code})
    assert response.status_code == 200, response.get_json()
    return response.get_json()


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"

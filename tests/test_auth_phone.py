"""request-otp accepts every common way of writing a mobile number, and nothing else."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient

from tests.auth_helpers import REQUEST_OTP, last_message


@pytest.mark.parametrize(
    "raw",
    ["05321234567", "+90 532 123 45 67", "5321234567", "+905321234567", "0532-123-45-67"],
)
def test_mobile_forms_are_normalised(client: FlaskClient, raw: str) -> None:
    response = client.post(REQUEST_OTP, json={"phone_number": raw})

    assert response.status_code == 202
    assert response.get_json() == {
        "message": "If the number can receive messages, a code is on its way.",
        "expires_in": 300,
    }
    assert last_message(client)["to"] == "+905321234567"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        ("02121234567", "landline"),  # Istanbul fixed line
        ("+44 7911 123456", "not served here"),  # a UK mobile
        ("+1 202 555 0143", "not"),
        ("0532abc4567", "only digits"),
        ("", "empty"),
        ("   ", "empty"),
        ("5" * 100, "too long"),
        ("12", "not"),
    ],
)
def test_bad_numbers_get_422_saying_why(client: FlaskClient, raw: str, reason: str) -> None:
    response = client.post(REQUEST_OTP, json={"phone_number": raw})

    assert response.status_code == 422
    body = response.get_json()
    assert reason in body["message"]
    assert body["errors"]["json"]["phone_number"]
    assert client.get("/dev/messages").get_json()["data"] == []


@pytest.mark.parametrize(
    "payload", [{}, {"phone_number": None}, {"phone_number": 5321234567}, {"phone": "x"}]
)
def test_missing_or_mistyped_field_is_422(client: FlaskClient, payload: dict) -> None:
    response = client.post(REQUEST_OTP, json=payload)

    assert response.status_code == 422
    assert "phone_number" in response.get_json()["errors"]["json"]


def test_not_json_is_a_json_error(client: FlaskClient) -> None:
    response = client.post(REQUEST_OTP, data="phone=1", content_type="text/plain")

    assert response.status_code in (415, 422)
    assert response.get_json()["code"] == response.status_code

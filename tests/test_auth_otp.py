"""One-time codes: sent once, stored hashed, short-lived, single use, five tries."""

from __future__ import annotations

import logging
import threading
from datetime import UTC, datetime, timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.config import Settings
from core.messaging.gateway import GatewayError, OutboundMessage, SendResult, segments
from core.models import Message, OtpCode, User
from core.people.otp import OtpRejected, check_code, code_message, issue_code
from tests.auth_helpers import (
    REGISTER,
    REQUEST_OTP,
    VERIFY_OTP,
    last_message,
    request_code,
    wrong,
)

PHONE = "+905321234567"
OTHER = "+905329876543"


def verify(client: FlaskClient, code: str, phone: str = PHONE):
    return client.post(VERIFY_OTP, json={"phone_number": phone, "code": code})


def otp_row(db: Session, phone: str = PHONE) -> OtpCode:
    return db.scalar(select(OtpCode).where(OtpCode.phone == phone))


def test_code_is_six_digits_by_sms_in_the_default_language(client: FlaskClient) -> None:
    code = request_code(client, PHONE)

    message = last_message(client)
    assert len(code) == 6 and code.isdigit()
    assert message["channel"] == "sms"
    assert "giriş kodunuz" in message["body"]
    assert segments(message["body"]) == 1


def test_registered_user_gets_the_code_in_their_language(client: FlaskClient, make_user) -> None:
    make_user("citizen", phone=PHONE, locale="en")

    request_code(client, PHONE)

    body = last_message(client)["body"]
    assert body.startswith("Your SoSoft sign-in code is")
    assert segments(body) == 1


def test_whatsapp_when_no_sms_sender(settings: Settings) -> None:
    whatsapp_only = settings.replace(TWILIO_SMS_FROM="")

    message = code_message(whatsapp_only, PHONE, "123456", "en")
    templated = code_message(
        whatsapp_only.replace(TWILIO_TEMPLATE_OTP="HX" + "1" * 32), PHONE, "123456", "en"
    )

    assert (message.channel, message.to) == ("whatsapp", PHONE)
    assert "123456" in message.body
    assert templated.channel == "whatsapp" and templated.body is None
    assert templated.content_variables == {"1": "123456"}
    assert code_message(settings, PHONE, "123456", None).channel == "sms"


def test_same_answer_for_registered_and_unknown_numbers(client: FlaskClient, make_user) -> None:
    make_user("support", phone=PHONE)

    known = client.post(REQUEST_OTP, json={"phone_number": PHONE})
    unknown = client.post(REQUEST_OTP, json={"phone_number": OTHER})

    assert known.status_code == unknown.status_code == 202
    assert known.get_json() == unknown.get_json()


def test_deactivated_accounts_get_the_same_answer(client: FlaskClient, make_user) -> None:
    make_user("support", phone=PHONE, is_active=False)

    response = client.post(REQUEST_OTP, json={"phone_number": PHONE})

    assert response.status_code == 202


def test_code_never_enters_the_message_table(client: FlaskClient, db: Session) -> None:
    request_code(client, PHONE)

    assert db.scalar(select(func.count()).select_from(Message)) == 0


def test_code_is_stored_only_as_a_hash(client: FlaskClient, db: Session) -> None:
    code = request_code(client, PHONE)

    row = otp_row(db)
    assert row.code_hash != code and code not in row.code_hash
    assert row.attempts == 0
    assert timedelta(seconds=290) < row.expires_at - datetime.now(UTC) <= timedelta(seconds=300)


def test_good_code_signs_in(client: FlaskClient, make_user, db: Session) -> None:
    user = make_user("manager", phone=PHONE)
    code = request_code(client, PHONE)

    response = verify(client, code)

    assert response.status_code == 200
    body = response.get_json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 900
    assert body["user"]["id"] == user.id and body["user"]["role"] == "manager"
    assert body["access_token"] and body["refresh_token"]
    db.refresh(user)
    assert user.last_login_at is not None


def test_wrong_code_says_how_many_tries_are_left(client: FlaskClient, make_user, db) -> None:
    make_user(phone=PHONE)
    code = request_code(client, PHONE)

    response = verify(client, wrong(code))

    assert response.status_code == 401
    assert "4 tries left" in response.get_json()["message"]
    assert otp_row(db).attempts == 1


def test_sixth_try_fails_even_with_the_right_code(client: FlaskClient, make_user) -> None:
    make_user(phone=PHONE)
    code = request_code(client, PHONE)

    statuses = [verify(client, wrong(code)).status_code for _ in range(5)]
    sixth = verify(client, code)

    assert statuses == [401] * 5
    assert sixth.status_code == 401
    assert "too many wrong codes" in sixth.get_json()["message"]


def test_code_works_once(client: FlaskClient, make_user) -> None:
    make_user(phone=PHONE)
    code = request_code(client, PHONE)

    assert verify(client, code).status_code == 200
    again = verify(client, code)

    assert again.status_code == 401
    assert "no active code" in again.get_json()["message"]


def test_expired_code_is_refused(client: FlaskClient, make_user, db: Session) -> None:
    make_user(phone=PHONE)
    code = request_code(client, PHONE)
    otp_row(db).expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.flush()

    response = verify(client, code)

    assert response.status_code == 401
    assert "expired" in response.get_json()["message"]


def test_code_for_another_number_is_refused(client: FlaskClient, make_user) -> None:
    make_user(phone=PHONE)
    make_user(phone=OTHER)
    code = request_code(client, PHONE)
    request_code(client, OTHER)

    assert verify(client, code, phone=OTHER).status_code == 401


def test_new_request_replaces_the_previous_code(client, make_user, redis_client) -> None:
    make_user(phone=PHONE)
    first = request_code(client, PHONE)
    redis_client.flushdb()  # past the 30-second limit
    second = request_code(client, PHONE)
    if first == second:
        pytest.skip("the same code came twice (one in a million)")

    assert verify(client, first).status_code == 401
    assert verify(client, second).status_code == 200


@pytest.mark.parametrize("code", ["", "12345", "1234567", "12a456", None, 123456])
def test_malformed_code_is_422(client: FlaskClient, code) -> None:
    response = client.post(VERIFY_OTP, json={"phone_number": PHONE, "code": code})

    assert response.status_code == 422
    assert "code" in response.get_json()["errors"]["json"]


def test_no_code_requested_is_401(client: FlaskClient, make_user) -> None:
    make_user(phone=PHONE)
    assert verify(client, "123456").status_code == 401


def test_deactivated_user_cannot_sign_in(client: FlaskClient, make_user) -> None:
    make_user("support", phone=PHONE, is_active=False)
    code = request_code(client, PHONE)

    response = verify(client, code)

    assert response.status_code == 403
    assert "deactivated" in response.get_json()["message"]


# --- unknown numbers: verify says "register", register creates a citizen -----------------


def test_unknown_number_is_told_to_register_and_keeps_its_code(client, db: Session) -> None:
    code = request_code(client, "0532 987 65 43")

    response = verify(client, code, phone=OTHER)

    assert response.status_code == 404
    assert "register" in response.get_json()["message"]
    assert otp_row(db, OTHER).used_at is None

    registered = client.post(
        REGISTER, json={"phone_number": "05329876543", "otp_code": code, "full_name": " Can Ak "}
    )

    assert registered.status_code == 201
    body = registered.get_json()
    assert body["user"]["role"] == "citizen"
    assert body["user"]["phone"] == OTHER
    assert body["user"]["full_name"] == "Can Ak"
    assert body["access_token"] and body["refresh_token"]
    assert db.scalar(select(User).where(User.phone == OTHER)).role == "citizen"


def test_unknown_number_with_wrong_code_learns_nothing(client: FlaskClient) -> None:
    code = request_code(client, OTHER)
    assert verify(client, wrong(code), phone=OTHER).status_code == 401


def test_register_needs_a_good_code(client: FlaskClient, db: Session) -> None:
    code = request_code(client, OTHER)

    response = client.post(
        REGISTER, json={"phone_number": OTHER, "otp_code": wrong(code), "full_name": "Can"}
    )

    assert response.status_code == 401
    assert db.scalar(select(User).where(User.phone == OTHER)) is None


def test_register_an_existing_number_is_409(client: FlaskClient, make_user) -> None:
    make_user("support", phone=OTHER)
    code = request_code(client, OTHER)

    response = client.post(
        REGISTER, json={"phone_number": OTHER, "otp_code": code, "full_name": "Can"}
    )

    assert response.status_code == 409


def test_register_never_makes_staff(client: FlaskClient, db: Session) -> None:
    code = request_code(client, OTHER)

    response = client.post(
        REGISTER,
        json={"phone_number": OTHER, "otp_code": code, "full_name": "Can", "role": "manager"},
    )

    assert response.status_code == 422
    assert "role" in response.get_json()["errors"]["json"]
    assert db.scalar(select(User).where(User.phone == OTHER)) is None


@pytest.mark.parametrize("name", ["", "   ", "x" * 121])
def test_register_needs_a_name(client: FlaskClient, name: str) -> None:
    code = request_code(client, OTHER)

    response = client.post(
        REGISTER, json={"phone_number": OTHER, "otp_code": code, "full_name": name}
    )

    assert response.status_code == 422


# --- delivery failures and logs -----------------------------------------------------------


class FailingGateway:
    def send(self, msg: OutboundMessage) -> SendResult:
        raise GatewayError("Twilio error 21610 (HTTP 400)", code=21610, http_status=400)


def test_gateway_failure_is_503_for_any_number(
    client: FlaskClient, app: Flask, make_user, monkeypatch: pytest.MonkeyPatch
) -> None:
    make_user(phone=PHONE)
    monkeypatch.setitem(app.extensions, "sosoft.gateway", FailingGateway())

    known = client.post(REQUEST_OTP, json={"phone_number": PHONE})
    unknown = client.post(REQUEST_OTP, json={"phone_number": OTHER})

    assert known.status_code == unknown.status_code == 503
    assert known.get_json() == unknown.get_json()
    assert "could not be sent" in known.get_json()["message"]


def test_logs_never_show_the_code_or_the_number(
    client: FlaskClient, make_user, caplog: pytest.LogCaptureFixture
) -> None:
    make_user(phone=PHONE)
    caplog.set_level(logging.DEBUG)

    code = request_code(client, PHONE)
    verify(client, wrong(code))
    verify(client, code)
    client.post(REQUEST_OTP, json={"phone_number": PHONE})  # rate-limited

    lines = [record.getMessage() for record in caplog.records]
    assert any("+90******4567" in line for line in lines)
    for line in lines:
        assert code not in line
        assert "5321234567" not in line


def test_parallel_guesses_are_all_counted(committed_db, settings: Settings) -> None:
    with committed_db.transaction() as session:
        code = issue_code(session, settings, PHONE)
    outcomes: list[str] = []

    def guess() -> None:
        with committed_db.session() as session:
            try:
                check_code(session, settings, PHONE, wrong(code), consume=True)
            except OtpRejected as exc:
                outcomes.append(str(exc))
            session.commit()

    threads = [threading.Thread(target=guess) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)

    assert len(outcomes) == 8
    assert sum("too many" in outcome for outcome in outcomes) == 4  # the 5th try and after
    with committed_db.session() as session:
        assert otp_row(session).attempts == 5
        with pytest.raises(OtpRejected, match="too many"):
            check_code(session, settings, PHONE, code, consume=True)

"""Twilio's delivery status callbacks: signed, monotonic, opt-out on 21610."""

from __future__ import annotations

import pytest
from bot_support import STATUS, new_sid, sign, signed_post
from sqlalchemy.orm import Session

from bot.delivery_status import moves_forward
from core.models import Message

OUT = "SM" + "0ace" * 8


def outbound(db: Session, user, status: str = "sending", sid: str = OUT) -> Message:
    message = Message(
        direction="outbound",
        channel="whatsapp",
        address=user.phone,
        user_id=user.id,
        kind="in_progress",
        body="Work has started",
        status=status,
        twilio_sid=sid,
    )
    db.add(message)
    db.flush()
    return message


def callback(client, settings, status: str, sid: str = OUT, error: str = ""):
    params = {"MessageSid": sid, "MessageStatus": status, "AccountSid": settings.TWILIO_ACCOUNT_SID}
    if error:
        params["ErrorCode"] = error
    return signed_post(client, settings, STATUS, params)


def test_status_moves_forward_and_never_back(client, settings, db, make_user) -> None:
    message = outbound(db, make_user())
    for status, expected in [
        ("queued", "queued"),
        ("delivered", "delivered"),
        ("sent", "delivered"),  # late
        ("queued", "delivered"),  # later still
        ("read", "read"),
        ("delivered", "read"),
        ("failed", "read"),  # a delivered message does not become failed
    ]:
        assert callback(client, settings, status).status_code == 204
        db.refresh(message)
        assert message.status == expected, status


def test_failure_is_final_and_keeps_the_error_code(client, settings, db, make_user) -> None:
    message = outbound(db, make_user())
    callback(client, settings, "sent")
    callback(client, settings, "undelivered", error="30003")
    callback(client, settings, "delivered")
    db.refresh(message)
    assert (message.status, message.error_code) == ("undelivered", 30003)


def test_21610_marks_the_citizen_opted_out(client, settings, db, make_user) -> None:
    user = make_user()
    message = outbound(db, user)
    callback(client, settings, "failed", error="21610")
    db.refresh(user)
    db.refresh(message)
    assert message.status == "failed" and user.opted_out_at is not None


@pytest.mark.parametrize(
    "params",
    [
        {"MessageSid": new_sid(), "MessageStatus": "delivered"},
        {"MessageSid": OUT, "MessageStatus": "exploded"},
        {"MessageSid": OUT, "MessageStatus": "sent", "ErrorCode": "abc"},
    ],
)
def test_odd_callbacks_change_nothing_they_should_not(
    client, settings, db, make_user, params
) -> None:
    message = outbound(db, make_user(), status="queued")
    response = signed_post(client, settings, STATUS, params)
    assert response.status_code == 204
    db.refresh(message)
    assert message.status in ("queued", "sent") and message.error_code is None


def test_unsigned_callback_is_refused(client, settings, db, make_user) -> None:
    message = outbound(db, make_user())
    params = {"MessageSid": OUT, "MessageStatus": "delivered"}
    bad = sign(settings, STATUS, {**params, "MessageStatus": "read"})
    assert client.post(STATUS, data=params).status_code == 403
    assert client.post(STATUS, data=params, headers={"X-Twilio-Signature": bad}).status_code == 403
    db.refresh(message)
    assert message.status == "sending"


@pytest.mark.parametrize(
    ("current", "new", "moves"),
    [
        ("pending", "queued", True),
        ("sending", "sent", True),
        ("sent", "queued", False),
        ("failed", "delivered", False),
        ("sent", "failed", True),
        ("read", "undelivered", False),
        ("skipped", "sent", False),
        ("queued", "bogus", False),
    ],
)
def test_moves_forward_table(current: str, new: str, moves: bool) -> None:
    assert moves_forward(current, new) is moves


EARLY = "SM" + "ea" * 16
LOST = "SM" + "10" * 16


@pytest.mark.parametrize(
    "sid", [None, "", "SMout1", OUT + "MessageStatusdelivered", "SM" + "A" * 32, "CA" + "0" * 32]
)
def test_a_callback_without_a_twilio_message_sid_is_malformed(
    client, settings, db, make_user, sid
) -> None:
    """400 and nothing stored, even when it carries a message_id awaiting its SID."""
    message = outbound(db, make_user(), status="sending", sid=None)
    params = {"MessageStatus": "delivered", "ErrorCode": "21610"}
    if sid is not None:
        params["MessageSid"] = sid
    response = signed_post(client, settings, f"{STATUS}?message_id={message.id}", params)
    assert response.status_code == 400
    db.refresh(message)
    assert (message.twilio_sid, message.status, message.error_code) == (None, "sending", None)


def test_a_callback_that_beats_the_stored_sid_is_kept(client, settings, db, make_user) -> None:
    from core.messaging.whatsapp_window import Delivery
    from tasks.notifications import _record_sent

    message = outbound(db, make_user(), status="sending", sid=None)
    path = f"{STATUS}?message_id={message.id}"
    params = {"MessageSid": EARLY, "MessageStatus": "delivered"}
    assert signed_post(client, settings, path, params).status_code == 204
    db.refresh(message)
    assert (message.twilio_sid, message.status) == (EARLY, "delivered")

    # The worker then stores Twilio's answer: the later status stays.
    _record_sent(db, message.id, Delivery("whatsapp", body="x"), EARLY, "queued")
    db.refresh(message)
    assert (message.twilio_sid, message.status) == (EARLY, "delivered")
    assert message.sent_at is not None


@pytest.mark.parametrize("message_id", ["", "abc", "99999999999999999999", "-1"])
def test_an_unknown_sid_with_a_useless_message_id_changes_nothing(
    client, settings, db, make_user, message_id
) -> None:
    message = outbound(db, make_user(), status="sending", sid=None)
    path = f"{STATUS}?message_id={message_id}" if message_id else STATUS
    params = {"MessageSid": LOST, "MessageStatus": "delivered"}
    assert signed_post(client, settings, path, params).status_code == 204
    db.refresh(message)
    assert (message.twilio_sid, message.status) == (None, "sending")

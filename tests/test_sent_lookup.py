"""Asking Twilio whether it already took a row a dead worker left unconfirmed: every
message since the row was created counts, not only the last twenty (the soak suite's
manager received dozens of SLA alerts in the seconds such a row waits)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from bench.fake_twilio import FakeTwilio
from core.config import Settings
from core.messaging.gateway import OutboundMessage, TwilioGateway
from core.messaging.sent_lookup import PAGE_SIZE, already_sent

SMS_FROM = "+14155238887"
MANAGER = "+905329990001"


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with FakeTwilio() as fake:
        yield fake


@pytest.fixture
def gateway(settings: Settings, twilio: FakeTwilio) -> TwilioGateway:
    return TwilioGateway(
        settings.replace(
            TWILIO_ENABLED=True,
            TWILIO_ACCOUNT_SID="AC" + "7" * 32,
            TWILIO_AUTH_TOKEN="token",
            TWILIO_SMS_FROM=SMS_FROM,
            TWILIO_API_BASE_URL=twilio.base_url,
        )
    )


def alert(number: int) -> str:
    return f"#{number} süresini aştı"


def test_a_message_behind_many_later_ones_is_found(
    gateway: TwilioGateway, twilio: FakeTwilio
) -> None:
    created = datetime.now(UTC) - timedelta(seconds=1)
    lost = twilio.accept({"To": MANAGER, "From": SMS_FROM, "Body": alert(1000)})
    for number in range(1001, 1001 + 2 * PAGE_SIZE + 7):  # three pages after it
        twilio.accept({"To": MANAGER, "From": SMS_FROM, "Body": alert(number)})
    twilio.accept({"To": "+905320000001", "From": SMS_FROM, "Body": alert(1000)})

    msg = OutboundMessage(to=MANAGER, channel="sms", body=alert(1000))
    assert already_sent(gateway, msg, created) == lost["sid"]


def test_a_same_text_sent_before_the_row_was_created_is_not_it(
    gateway: TwilioGateway, twilio: FakeTwilio
) -> None:
    twilio.accept({"To": MANAGER, "From": SMS_FROM, "Body": alert(1000)})
    for number in range(1001, 1001 + PAGE_SIZE + 3):
        twilio.accept({"To": MANAGER, "From": SMS_FROM, "Body": alert(number)})

    msg = OutboundMessage(to=MANAGER, channel="sms", body=alert(1000))
    assert already_sent(gateway, msg, datetime.now(UTC) + timedelta(minutes=1)) is None


def test_a_same_text_another_row_holds_is_not_it(
    gateway: TwilioGateway, twilio: FakeTwilio
) -> None:
    """Two alike texts to one number: the later one's SID is stored on its row, so the
    lost row's message is the earlier one."""
    created = datetime.now(UTC) - timedelta(seconds=1)
    ours = twilio.accept({"To": MANAGER, "From": SMS_FROM, "Body": alert(1000)})
    theirs = twilio.accept({"To": MANAGER, "From": SMS_FROM, "Body": alert(1000)})

    msg = OutboundMessage(to=MANAGER, channel="sms", body=alert(1000))
    assert already_sent(gateway, msg, created) == theirs["sid"]  # newest first
    held = {theirs["sid"]}.__contains__
    assert already_sent(gateway, msg, created, held) == ours["sid"]
    assert already_sent(gateway, msg, created, {ours["sid"], theirs["sid"]}.__contains__) is None

"""Delivery through a real Celery worker on the test Redis, Twilio stood in by `responses`:
the right people hear of a status change in their language and on their channel, and
every message is sent once."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, update

from core import jobs
from core.config import Settings
from core.db import Database
from core.messaging.outbox import LOST_IN_SENDING
from core.models import Conversation, Message, Ticket, User
from core.tickets.seed_data import seed_defaults
from core.tickets.workflow import apply_transition
from tasks.notifications import SEND_TASK, deliver, sender_for
from tests.notify_support import (
    FakeTwilio,
    People,
    all_settled,
    fake_twilio,
    outbound,
    running_worker,
    wait_for,
    worker_settings,
)

STATUS_CALLBACK = "http://testserver.local/bot/twilio/status"


@pytest.fixture
def twilio() -> Iterator[FakeTwilio]:
    with fake_twilio() as fake:
        yield fake


@pytest.fixture
def people(committed_db: Database, settings: Settings) -> People:
    with committed_db.transaction() as session:
        seed_defaults(session)
    return People(committed_db, settings)


@pytest.fixture
def send_settings(settings: Settings) -> Settings:
    return worker_settings(settings)


def move(database: Database, ticket_id: int, to: str) -> None:
    with database.transaction() as session:
        ticket = session.get(Ticket, ticket_id)
        apply_transition(session, ticket, to, actor=None, role="support")


def test_status_change_reaches_reporter_and_followers(
    committed_db: Database, people: People, twilio: FakeTwilio, send_settings: Settings
) -> None:
    reporter = people.citizen(locale="tr", channel="whatsapp")
    follower_en = people.citizen(locale="en", channel="sms")
    opted_out = people.citizen(opted_out_at=datetime.now(UTC))
    ticket = people.ticket(reporter, followers=(follower_en, opted_out))

    with running_worker(send_settings):
        move(committed_db, ticket.id, "in_progress")
        wait_for(lambda: len(outbound(committed_db, kind="in_progress")) == 2)
        wait_for(lambda: all_settled(committed_db))

    [to_reporter] = [m for m in twilio.to(reporter.phone) if "çalışılıyor" in m["Body"]]
    assert to_reporter["To"] == f"whatsapp:{reporter.phone}"
    assert to_reporter["From"] == "whatsapp:+14155238886"
    assert f"#{ticket.number}" in to_reporter["Body"]
    [reporter_row] = outbound(committed_db, kind="in_progress", address=reporter.phone)
    # With Twilio's connection overrides: a callback answered 503 is retried.
    assert to_reporter["StatusCallback"] == (
        f"{STATUS_CALLBACK}?message_id={reporter_row.id}#rc=3&rp=ct,5xx"
    )
    [to_follower] = [m for m in twilio.to(follower_en.phone) if "Work has started" in m["Body"]]
    assert to_follower["To"] == follower_en.phone
    assert to_follower["From"] == "SOSOFT"
    assert twilio.to(opted_out.phone) == []
    rows = outbound(committed_db, kind="in_progress")
    assert {m.user_id for m in rows} == {reporter.id, follower_en.id}
    assert all(m.status == "queued" and m.twilio_sid and m.sent_at for m in rows)
    sids = {m["sid"] for m in twilio.sent}
    assert {m.twilio_sid for m in rows} <= sids


def test_citizen_who_opted_out_after_the_change_gets_nothing(
    committed_db: Database, people: People, twilio: FakeTwilio, send_settings: Settings
) -> None:
    reporter = people.citizen()
    ticket = people.ticket(reporter)
    [row] = outbound(committed_db, kind="report_received")
    with committed_db.transaction() as session:
        session.execute(
            update(User).where(User.id == reporter.id).values(opted_out_at=datetime.now(UTC))
        )

    assert deliver(committed_db, sender_for(send_settings), row.id) == "skipped"

    [row] = outbound(committed_db, kind="report_received")
    assert row.status == "skipped" and row.error_message == "recipient opted out"
    assert twilio.requests == []
    assert ticket.id


# --- the WhatsApp window ------------------------------------------------------------------


def _last_wrote(database: Database, user: User, ago: timedelta) -> None:
    with database.transaction() as session:
        session.execute(
            update(Conversation)
            .where(Conversation.user_id == user.id)
            .values(last_inbound_at=datetime.now(UTC) - ago)
        )


@pytest.mark.parametrize(
    ("ago", "changes", "expect"),
    [
        (timedelta(hours=23), {}, "free text"),
        (timedelta(hours=25), {"TWILIO_TEMPLATE_STATUS_UPDATE": "HX1234"}, "template"),
        # One approved template per language: the English-speaking reporter gets theirs.
        (timedelta(hours=25), {"TWILIO_TEMPLATE_STATUS_UPDATE": "tr=HXtr,en=HX1234"}, "template"),
        (timedelta(days=3), {}, "sms"),
        (timedelta(days=3), {"TWILIO_SMS_FROM": ""}, "skipped"),
    ],
    ids=[
        "inside",
        "outside-template",
        "outside-template-per-language",
        "outside-sms",
        "outside-nothing",
    ],
)
def test_whatsapp_window(
    committed_db: Database,
    people: People,
    twilio: FakeTwilio,
    settings: Settings,
    ago: timedelta,
    changes: dict[str, str],
    expect: str,
) -> None:
    reporter = people.citizen(locale="en", channel="whatsapp")
    with running_worker(worker_settings(settings)):
        ticket = people.ticket(reporter)
        wait_for(lambda: all_settled(committed_db))
    _last_wrote(committed_db, reporter, ago)
    twilio.sent.clear()

    with running_worker(worker_settings(settings, **changes)):
        move(committed_db, ticket.id, "in_progress")
        wait_for(lambda: outbound(committed_db, kind="in_progress") != [])
        wait_for(lambda: all_settled(committed_db))

    [row] = outbound(committed_db, kind="in_progress")
    sent = twilio.to(reporter.phone)
    if expect == "skipped":
        assert sent == []
        assert row.status == "skipped"
        assert "24-hour window" in row.error_message
        assert "TWILIO_SMS_FROM" in row.error_message
        return
    [message] = sent
    assert row.status == "queued"
    if expect == "free text":
        assert message["To"] == f"whatsapp:{reporter.phone}"
        assert message["Body"] == f"Work has started on report #{ticket.number}."
        assert "ContentSid" not in message
    elif expect == "template":
        assert message["To"] == f"whatsapp:{reporter.phone}"
        assert message["ContentSid"] == "HX1234"
        assert "Body" not in message
        variables = {"1": f"#{ticket.number}", "2": row.body}
        assert row.content_sid == "HX1234" and row.content_variables == variables
        assert json.loads(message["ContentVariables"]) == variables
    else:
        assert message["To"] == reporter.phone and message["From"] == "SOSOFT"
        assert message["Body"] == row.body
        assert row.channel == "sms"


def test_twilio_window_error_falls_back_to_the_template(
    committed_db: Database, people: People, twilio: FakeTwilio, settings: Settings
) -> None:
    reporter = people.citizen()
    ticket = people.ticket(reporter)
    [row] = outbound(committed_db, kind="report_received")
    twilio.fail_next(400, 63016)
    send = worker_settings(settings, TWILIO_TEMPLATE_STATUS_UPDATE="HXwindow")

    with running_worker(send):
        jobs.enqueue(send, SEND_TASK, row.id)
        wait_for(lambda: all_settled(committed_db))

    assert [r.get("ContentSid") for r in twilio.requests] == [None, "HXwindow"]
    [row] = outbound(committed_db, id=row.id)
    assert row.status == "queued" and row.content_sid == "HXwindow"
    assert ticket.number


# --- sent once ----------------------------------------------------------------------------


def test_task_run_twice_sends_once(
    committed_db: Database, people: People, twilio: FakeTwilio, send_settings: Settings
) -> None:
    reporter = people.citizen()
    people.ticket(reporter)
    [row] = outbound(committed_db, kind="report_received")

    with running_worker(send_settings):
        for _ in range(4):
            jobs.enqueue(send_settings, SEND_TASK, row.id)
        wait_for(lambda: all_settled(committed_db))
        # And straight in this process, concurrently, while the workers may still run.
        threads = [
            threading.Thread(target=deliver, args=(committed_db, sender_for(send_settings), row.id))
            for _ in range(3)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    assert len(twilio.to(reporter.phone)) == 1
    [row] = outbound(committed_db, id=row.id)
    assert row.attempts == 1 and row.status == "queued"


# --- errors -------------------------------------------------------------------------------


def test_rate_limited_by_twilio_then_sent(
    committed_db: Database, people: People, twilio: FakeTwilio, send_settings: Settings
) -> None:
    reporter = people.citizen()
    twilio.fail_next(429, 20429)
    with running_worker(send_settings):
        people.ticket(reporter)
        wait_for(lambda: outbound(committed_db) and all_settled(committed_db))

    [row] = outbound(committed_db)
    assert row.status == "queued" and row.attempts == 2
    assert row.error_code is None and row.error_message is None
    assert len(twilio.requests) == 2 and len(twilio.sent) == 1


def test_server_errors_give_up_after_six_tries(
    committed_db: Database, people: People, twilio: FakeTwilio, settings: Settings
) -> None:
    reporter = people.citizen()
    twilio.fail_next(503, 20500, times=10)
    with running_worker(worker_settings(settings, SEND_RETRY_BASE_SECONDS=0.05)):
        people.ticket(reporter)
        wait_for(lambda: outbound(committed_db) and all_settled(committed_db), timeout=30)

    [row] = outbound(committed_db)
    assert row.status == "failed" and row.attempts == 6
    assert row.error_code == 20500 and "HTTP 503" in row.error_message
    assert len(twilio.requests) == 6 and twilio.sent == []


def test_unsubscribed_citizen_is_marked_opted_out_and_hears_nothing_more(
    committed_db: Database, people: People, twilio: FakeTwilio, send_settings: Settings
) -> None:
    reporter = people.citizen()
    twilio.fail_next(400, 21610)
    with running_worker(send_settings):
        ticket = people.ticket(reporter)
        wait_for(lambda: outbound(committed_db) and all_settled(committed_db))
        move(committed_db, ticket.id, "in_progress")

    [row] = outbound(committed_db)
    assert row.status == "failed" and row.error_code == 21610 and row.attempts == 1
    assert "unsubscribed" in row.error_message and reporter.phone not in row.error_message
    with committed_db.transaction() as session:
        assert session.get(User, reporter.id).opted_out_at is not None
    assert len(twilio.requests) == 1


def test_server_error_after_twilio_took_the_message_is_not_sent_again(
    committed_db: Database, people: People, twilio: FakeTwilio, send_settings: Settings
) -> None:
    reporter = people.citizen()
    twilio.fail_next(502, 20500, took=True)  # accepted, but the answer was an error
    with running_worker(send_settings):
        people.ticket(reporter)
        wait_for(lambda: outbound(committed_db) and all_settled(committed_db))

    [row] = outbound(committed_db)
    assert len(twilio.requests) == 1 and len(twilio.to(reporter.phone)) == 1
    assert row.status == "queued" and row.twilio_sid == twilio.sent[0]["sid"]
    assert row.attempts == 2 and row.error_message is None


@pytest.mark.parametrize("code", [21211, 21614])
def test_invalid_number_fails_without_retry(
    committed_db: Database, people: People, twilio: FakeTwilio, send_settings: Settings, code: int
) -> None:
    reporter = people.citizen()
    people.ticket(reporter)
    [row] = outbound(committed_db)
    twilio.fail_next(400, code)

    assert deliver(committed_db, sender_for(send_settings), row.id) == "failed"

    [row] = outbound(committed_db)
    assert row.status == "failed" and row.error_code == code
    assert len(twilio.requests) == 1


def test_unknown_message_id_is_ignored(
    committed_db: Database, send_settings: Settings, twilio: FakeTwilio
) -> None:
    assert deliver(committed_db, sender_for(send_settings), 987654) == "not pending"
    assert twilio.requests == []


def test_pending_rows_are_only_outbound(committed_db: Database, people: People) -> None:
    reporter = people.citizen()
    with committed_db.transaction() as session:
        session.add(
            Message(
                direction="inbound",
                channel="whatsapp",
                address=reporter.phone,
                user_id=reporter.id,
                status="pending",
                body="merhaba",
            )
        )
    [inbound] = [m for m in _all(committed_db) if m.direction == "inbound"]
    assert deliver(committed_db, sender_for(Settings.from_env({})), inbound.id) == "not pending"


def _all(database: Database) -> list[Message]:
    with database.transaction() as session:
        return list(session.scalars(select(Message)))


@pytest.mark.parametrize(
    ("value", "locale", "expect"),
    [
        ("HXall", "en", "HXall"),
        (" HXall ", None, "HXall"),
        ("", "tr", None),
        ("tr=HXtr,en=HXen", "en", "HXen"),
        ("tr=HXtr, en = HXen", "EN", "HXen"),
        ("tr=HXtr,en=HXen", "de", "HXtr"),  # no German one: the first listed
        ("tr=HXtr,en=HXen", None, "HXtr"),
        ("tr=,en=HXen", "tr", "HXen"),  # an empty entry is no template
        ("tr=", "tr", None),
    ],
)
def test_template_settings_per_language(value: str, locale: str | None, expect: str | None) -> None:
    from core.messaging.whatsapp_window import pick_template

    assert pick_template(value, locale) == expect


def test_lost_row_whose_found_message_another_row_stored_meanwhile_is_sent(
    committed_db: Database,
    people: People,
    twilio: FakeTwilio,
    send_settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Two lost rows alike look Twilio up at once and find its one message: the one
    that stores the SID first has it; the other is sent, not failed on the unique SID."""
    reporter = people.citizen()
    people.ticket(reporter)
    [first] = outbound(committed_db)
    with committed_db.transaction() as session:
        row = session.get(Message, first.id)
        twin = Message(
            direction="outbound",
            channel=row.channel,
            address=row.address,
            user_id=row.user_id,
            ticket_id=row.ticket_id,
            body=row.body,
            kind=row.kind,
            locale=row.locale,
            status="pending",
            attempts=1,
            error_message=LOST_IN_SENDING,
        )
        session.add(twin)
        session.flush()
        twin_id = twin.id
    sender = sender_for(send_settings)
    assert deliver(committed_db, sender, first.id) == "sent"
    # The race: the twin's lookup ran before the first row's SID was stored.
    monkeypatch.setattr("tasks.notifications._held_by_another", lambda *_: lambda sid: False)

    assert deliver(committed_db, sender, twin_id) == "sent"

    first_row, twin_row = outbound(committed_db)
    assert len(twilio.requests) == 2
    assert first_row.twilio_sid == twilio.sent[0]["sid"]
    assert twin_row.twilio_sid == twilio.sent[1]["sid"] and twin_row.status == "queued"

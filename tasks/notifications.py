"""Sending the outbox: `send_message(message_id)` delivers one outbound row.

Idempotence rests on the claim: `UPDATE … SET status='sending' WHERE status='pending'
RETURNING`. Whatever runs the task a second time (the relay, a redelivered Celery
message, a retry) finds the row no longer pending and does nothing.

A worker killed after claiming leaves the row in `sending`. The relay
(core/messaging/outbox_relay.py) returns rows stuck there for SENDING_STALE_SECONDS and still without a
Twilio SID to `pending`, marked LOST_IN_SENDING. Likewise a 5xx or a timeout leaves it
unknown whether Twilio took the message. Before sending such an "unconfirmed" row again
the task asks the gateway whether it already accepted it (core/sent_lookup.py: recent
messages to that number with that text); only when the gateway says no is it sent
again, and when the gateway can't be asked, it is retried later, still unconfirmed.
The window left for a duplicate is a worker dying, or Twilio's list lagging, in the
milliseconds between Twilio's answer and our commit.

The claimed row then books its sender's next slot (core/send_rate.py) and sleeps until
it; a slot more than SEND_RATE_MAX_WAIT_SECONDS off hands the row back to `pending`
(the attempt uncounted) and re-schedules the task for nearer the time.

Errors: retryable ones (429/20429, 63018, 5xx, timeouts, dropped connections) put the
row back to `pending` and schedule another try after base × 2^(attempt-1) seconds, half
of it jittered, up to SEND_MAX_ATTEMPTS tries; then `failed` with the error kept.
Permanent errors are not
retried: 21610 (unsubscribed) also marks the citizen opted out; 63016 (outside the
WhatsApp window) falls back to a template, SMS or `skipped` (core/whatsapp_window.py).
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import lru_cache

import psycopg
import redis
from celery import shared_task
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from core.config import Settings
from core.db import Database
from core.logging_setup import mask_phone
from core.messaging.gateway import GatewayError, MessagingGateway, OutboundMessage, make_gateway
from core.messaging.outbox import SEND_TASK, UNCONFIRMED
from core.messaging.send_rate import SendRate, cost_of
from core.messaging.sent_lookup import LookupFailed, already_sent
from core.messaging.whatsapp_window import OUTSIDE_WINDOW_CODE, Delivery, plan_delivery
from core.models import Message, User
from tasks.context import SoSoftTask

log = logging.getLogger(__name__)

# Twilio's "slow down" answers: the request was not processed, so nothing was sent.
NOT_PROCESSED_CODES = {20429, 63018}
UNSUBSCRIBED = 21610
PERMANENT_MESSAGES = {
    21211: "invalid phone number",
    21610: "recipient unsubscribed",
    21614: "not a mobile number",
}


@dataclass(frozen=True)
class Sender:
    """What one worker process needs to send: built once per settings."""

    settings: Settings
    gateway: MessagingGateway
    rate: SendRate


@lru_cache(maxsize=4)
def sender_for(settings: Settings) -> Sender:
    client = redis.Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=5)
    return Sender(settings, make_gateway(settings, client), SendRate(client, settings))


@shared_task(name=SEND_TASK, bind=True, ignore_result=True)
def send_message(self: SoSoftTask, message_id: int) -> str:
    return deliver(self.database, sender_for(self.settings), message_id)


def deliver(database: Database, sender: Sender, message_id: int) -> str:
    """Send outbox row `message_id` once; returns what happened (for logs and tests)."""
    settings = sender.settings
    with database.transaction() as session:
        claim = _claim(session, message_id)
        if claim is None:
            return "not pending"
        attempts, previous_error = claim
        message = session.get(Message, message_id)
        plan = _plan(session, settings, message)
        if attempts > settings.SEND_MAX_ATTEMPTS or plan.skip_reason:
            failed = attempts > settings.SEND_MAX_ATTEMPTS
            status, why = (
                ("failed", "too many attempts") if failed else ("skipped", plan.skip_reason)
            )
            _finish(session, message_id, "sending", status=status, error_message=why)
            return status
        outbound = OutboundMessage(
            to=message.address or "",
            channel=plan.channel,  # type: ignore[arg-type]
            body=plan.body,
            content_sid=plan.content_sid,
            content_variables=plan.content_variables,
            # The row id rides along: a callback can beat our storing of the SID.
            status_callback=settings.twilio_webhook_url(
                f"/bot/twilio/status?message_id={message_id}"
            ),
        )
        created_at = message.created_at

    if not _wait_for_slot(database, sender, message_id, outbound):
        return "throttled"
    if previous_error and previous_error.startswith(UNCONFIRMED):
        try:
            sid = already_sent(
                sender.gateway, outbound, created_at, held=_held_by_another(database, message_id)
            )
        except LookupFailed as exc:
            log.warning("message %s: could not ask Twilio (%s); trying later", message_id, exc)
            return _retry_later(database, sender, message_id, attempts, None, previous_error)
        if sid is not None and _record_found(database, message_id, plan, sid):
            return "already sent"
    return _send(database, sender, message_id, attempts, plan, outbound)


def _record_found(database: Database, message_id: int, plan: Delivery, sid: str) -> bool:
    """Store the SID the lookup found; False when another row took it meanwhile.

    Two lost rows with the same text to one number can look Twilio up at the same
    time and both find the one message it took: the first to store the SID has it
    (the column is unique), the other's message was never sent."""
    try:
        with database.transaction() as session:
            _record_sent(session, message_id, plan, sid, "queued")
    except IntegrityError as exc:
        if not isinstance(exc.orig, psycopg.errors.UniqueViolation):
            raise
        log.warning("message %s: the message Twilio has is another row's; sending", message_id)
        return False
    return True


def _held_by_another(database: Database, message_id: int) -> Callable[[str], bool]:
    """Whether a SID is already another row's (then it is that row's message, not ours)."""

    def held(sid: str) -> bool:
        with database.transaction() as session:
            return bool(
                session.scalar(
                    text(
                        "SELECT EXISTS (SELECT 1 FROM messages"
                        " WHERE twilio_sid = :sid AND id <> :id)"
                    ),
                    {"sid": sid, "id": message_id},
                )
            )

    return held


def _plan(session: Session, settings: Settings, message: Message) -> Delivery:
    user = session.get(User, message.user_id) if message.user_id else None
    refusal = _refusal(user)
    if refusal:
        return Delivery(message.channel, skip_reason=refusal)
    return plan_delivery(session, settings, message, datetime.now(UTC))


def _refusal(user: User | None) -> str | None:
    if user is None:
        return "recipient no longer exists"
    if user.erased_at is not None:
        return "recipient erased their data"
    if user.opted_out_at is not None:
        return "recipient opted out"
    if not user.is_active:
        return "recipient deactivated"
    return None


def _wait_for_slot(
    database: Database, sender: Sender, message_id: int, outbound: OutboundMessage
) -> bool:
    """Book this sender's next slot and sleep until it; False if handed back instead."""
    settings = sender.settings
    from_ = settings.TWILIO_SMS_FROM if outbound.channel == "sms" else settings.TWILIO_WHATSAPP_FROM
    booked, wait = sender.rate.book(
        outbound.channel,
        from_ or "default",
        cost_of(outbound.channel, outbound.body),
        settings.SEND_RATE_MAX_WAIT_SECONDS,
    )
    if booked:
        time.sleep(wait)
        return True
    # The slot is far off (a backlog): hand the row back, uncounted, and come back
    # nearer the time instead of holding a worker.
    with database.transaction() as session:
        session.execute(
            text(
                "UPDATE messages SET status = 'pending', attempts = attempts - 1,"
                " updated_at = now() WHERE id = :id AND status = 'sending'"
            ),
            {"id": message_id},
        )
    _schedule(message_id, countdown=max(wait - settings.SEND_RATE_MAX_WAIT_SECONDS / 2, 0.1))
    return False


def _claim(session: Session, message_id: int) -> tuple[int, str | None] | None:
    row = session.execute(
        text(
            "UPDATE messages SET status = 'sending', attempts = attempts + 1, updated_at = now()"
            " WHERE id = :id AND status = 'pending' AND direction = 'outbound'"
            " RETURNING attempts, error_message"
        ),
        {"id": message_id},
    ).first()
    return (row.attempts, row.error_message) if row else None


def _send(
    database: Database,
    sender: Sender,
    message_id: int,
    attempts: int,
    plan: Delivery,
    outbound: OutboundMessage,
) -> str:
    try:
        result = sender.gateway.send(outbound)
    except GatewayError as exc:
        return _failed_send(database, sender, message_id, attempts, plan, exc)
    with database.transaction() as session:
        _record_sent(session, message_id, plan, result.sid, result.status)
    log.info("sent message %s via %s to %s", message_id, plan.channel, mask_phone(outbound.to))
    return "sent"


def _failed_send(
    database: Database,
    sender: Sender,
    message_id: int,
    attempts: int,
    plan: Delivery,
    exc: GatewayError,
) -> str:
    log.warning("message %s: %s", message_id, exc)
    if exc.code == OUTSIDE_WINDOW_CODE and plan.channel == "whatsapp" and not plan.content_sid:
        # Twilio says the window is closed: plan again as outside it.
        with database.transaction() as session:
            _finish(
                session,
                message_id,
                "sending",
                status="pending",
                error_code=exc.code,
                error_message=str(exc),
            )
        _schedule(message_id, countdown=0)
        return "outside window"
    if exc.retryable:
        not_processed = exc.http_status == 429 or exc.code in NOT_PROCESSED_CODES
        error = str(exc) if not_processed else f"{UNCONFIRMED}{exc}"
        return _retry_later(database, sender, message_id, attempts, exc.code, error)
    with database.transaction() as session:
        if exc.code == UNSUBSCRIBED:
            session.execute(
                text(
                    "UPDATE users SET opted_out_at = now() FROM messages m"
                    " WHERE m.id = :id AND users.id = m.user_id AND users.opted_out_at IS NULL"
                ),
                {"id": message_id},
            )
        reason = PERMANENT_MESSAGES.get(exc.code or 0, "")
        _finish(
            session,
            message_id,
            "sending",
            status="failed",
            error_code=exc.code,
            error_message=f"{reason}: {exc}" if reason else str(exc),
        )
    return "failed"


def _retry_later(
    database: Database,
    sender: Sender,
    message_id: int,
    attempts: int,
    code: int | None,
    error: str,
) -> str:
    settings = sender.settings
    if attempts >= settings.SEND_MAX_ATTEMPTS:
        with database.transaction() as session:
            _finish(
                session,
                message_id,
                "sending",
                status="failed",
                error_code=code,
                error_message=error,
            )
        return "failed"
    with database.transaction() as session:
        _finish(
            session, message_id, "sending", status="pending", error_code=code, error_message=error
        )
    _schedule(message_id, countdown=backoff(settings, attempts))
    return "retrying"


def backoff(settings: Settings, attempts: int) -> float:
    """Seconds before try `attempts + 1`: exponential, capped, the upper half jittered."""
    delay = min(
        settings.SEND_RETRY_BASE_SECONDS * 2 ** (attempts - 1), settings.SEND_RETRY_MAX_SECONDS
    )
    return delay / 2 + random.uniform(0, delay / 2)


def _schedule(message_id: int, countdown: float) -> None:
    try:
        send_message.apply_async((message_id,), countdown=countdown, retry=False)
    except Exception as exc:  # Redis away: the row is pending, the relay will send it
        log.warning("could not re-enqueue message %s: %s", message_id, type(exc).__name__)


def _record_sent(session: Session, message_id: int, plan: Delivery, sid: str, status: str) -> None:
    session.execute(
        text(
            # A status callback may have arrived first (it then stored the SID and a
            # later status): keep that status, record the rest.
            "UPDATE messages SET"
            " status = CASE WHEN status = 'sending' THEN :status ELSE status END,"
            " twilio_sid = :sid, sent_at = now(),"
            " channel = :channel, content_sid = :content_sid,"
            " content_variables = CAST(:content_variables AS jsonb),"
            " error_code = CASE WHEN status = 'sending' THEN NULL ELSE error_code END,"
            " error_message = NULL, updated_at = now()"
            " WHERE id = :id AND (status = 'sending' OR twilio_sid = :sid)"
        ),
        {
            "id": message_id,
            # Twilio may answer "accepted" or "scheduled": both are queued to us.
            "status": status if status in ("queued", "sent") else "queued",
            "sid": sid,
            "channel": plan.channel,
            "content_sid": plan.content_sid,
            "content_variables": _json(plan.content_variables),
        },
    )


def _finish(
    session: Session,
    message_id: int,
    expected: str,
    *,
    status: str,
    error_code: int | None = None,
    error_message: str | None = None,
) -> None:
    """Move the row from `expected` to `status`; a no-op if someone else moved it."""
    session.execute(
        text(
            "UPDATE messages SET status = :status, error_code = :code, error_message = :error,"
            " updated_at = now() WHERE id = :id AND status = :expected"
        ),
        {
            "id": message_id,
            "expected": expected,
            "status": status,
            "code": error_code,
            "error": error_message,
        },
    )


def _json(value: object) -> str | None:
    return None if value is None else json.dumps(value, ensure_ascii=False)

"""Twilio's delivery status callbacks, applied to our outbound message rows.

Callbacks arrive late and out of order, so a status only ever moves forward:
queued < sent < delivered < read. failed and undelivered are final; a message
already delivered or read does not become failed. Error 21610 (the recipient
unsubscribed) marks the citizen as opted out.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Message, User

RANK = {"pending": 0, "sending": 0, "queued": 1, "sent": 2, "delivered": 3, "read": 4}
FINAL = frozenset({"failed", "undelivered"})
UNSUBSCRIBED = 21610


def moves_forward(current: str, new: str) -> bool:
    if new not in RANK and new not in FINAL:
        return False
    if current in FINAL or current == "skipped":
        return False
    if new in FINAL:
        return current not in ("delivered", "read")
    return RANK[new] > RANK.get(current, 0)


def _error_code(raw: str) -> int | None:
    raw = (raw or "").strip()
    return int(raw) if raw.isdecimal() and len(raw) <= 9 else None


def record_status(
    session: Session,
    *,
    sid: str,
    status: str,
    error_code: str,
    now: datetime,
    message_id: str | None = None,
) -> bool:
    """Apply one callback (`sid`: a Twilio message SID, checked by the webhook); True
    when the message's status changed.

    `message_id` (from the callback URL) finds the row when the callback arrives
    before the worker stored Twilio's SID; the SID is then recorded here.
    """
    status = status.strip().lower()
    message = session.scalar(
        select(Message)
        .where(Message.twilio_sid == sid, Message.direction == "outbound")
        .with_for_update()
    )
    if message is None:
        message = _awaiting_sid(session, message_id)
        if message is None:
            return False
        message.twilio_sid = sid
    code = _error_code(error_code)
    if code is not None and message.error_code is None:
        message.error_code = code
    if code == UNSUBSCRIBED and message.user_id is not None:
        user = session.get(User, message.user_id)
        if user is not None and user.opted_out_at is None:
            user.opted_out_at = now
    if not moves_forward(message.status, status):
        return False
    message.status = status
    return True


def _awaiting_sid(session: Session, message_id: str | None) -> Message | None:
    raw = (message_id or "").strip()
    if not (raw.isdecimal() and len(raw) <= 18):
        return None
    return session.scalar(
        select(Message)
        .where(
            Message.id == int(raw),
            Message.direction == "outbound",
            Message.twilio_sid.is_(None),
        )
        .with_for_update()
    )

"""Which kinds of message can leave at all with the Twilio settings in force.

A message goes out as WhatsApp free text inside the 24-hour window; outside it only as
an approved template (its setting in `TEMPLATE_SETTINGS`) or as an SMS. A kind with
neither a template nor an SMS sender never leaves for a citizen who has not just
written: each such row is `skipped`. Production start-up logs them and `/readyz` names
them, so a city trying SoSoft learns before its citizens do.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from core.config import Settings
from core.messaging.notifications import ANSWERED_IN_CHAT
from core.messaging.whatsapp_window import TEMPLATE_SETTINGS, pick_template
from core.models import Message

log = logging.getLogger(__name__)

# Sign-in codes are sent at once (core.people.otp), not through the outbox.
SIGN_IN_CODE = "sign_in_code"
SIGN_IN_TEMPLATE = "TWILIO_TEMPLATE_OTP"


def message_kinds() -> dict[str, str]:
    """Every kind of message SoSoft sends on its own, with its WhatsApp template setting."""
    return {**TEMPLATE_SETTINGS, SIGN_IN_CODE: SIGN_IN_TEMPLATE}


def kinds_without_way_out(settings: Settings) -> dict[str, str]:
    """Kind -> why it cannot leave (outside the 24-hour window); {} when all can."""
    if not settings.TWILIO_ENABLED:
        why = "TWILIO_ENABLED is false: messages are recorded, never sent"
        return dict.fromkeys(message_kinds(), why)
    if settings.TWILIO_SMS_FROM:
        return {}
    missing: dict[str, str] = {}
    for kind, setting in message_kinds().items():
        if not settings.TWILIO_WHATSAPP_FROM:
            missing[kind] = "no SMS sender (TWILIO_SMS_FROM) and no WhatsApp sender"
        elif not pick_template(getattr(settings, setting), None):
            missing[kind] = f"no WhatsApp template ({setting}) and no SMS sender (TWILIO_SMS_FROM)"
    return missing


def warn_of_kinds_without_way_out(settings: Settings) -> dict[str, str]:
    """One warning per kind that cannot leave; returns them (start-up calls this)."""
    missing = kinds_without_way_out(settings)
    for kind, why in missing.items():
        log.warning("%s messages never leave outside the 24-hour window: %s", kind, why)
    return missing


def skipped_messages(
    session: Session, *, since: datetime | None, limit: int
) -> list[dict[str, Any]]:
    """The newest outbound rows that were never handed to a sender, with the reason,
    shaped like the development sink's records. Rows the citizen read in the bot's
    reply are left out: those did reach them."""
    query = select(Message).where(
        Message.direction == "outbound",
        Message.status == "skipped",
        or_(Message.error_message.is_(None), Message.error_message != ANSWERED_IN_CHAT),
    )
    if since is not None:
        query = query.where(Message.created_at > since)
    rows = session.scalars(
        query.order_by(Message.created_at.desc(), Message.id.desc()).limit(limit)
    )
    return [
        {
            "sid": None,
            "to": row.address,
            "channel": row.channel,
            "kind": row.kind,
            "body": row.body,
            "status": "skipped",
            "reason": row.error_message,
            "created_at": row.created_at.astimezone(UTC).isoformat(),
        }
        for row in rows
    ]

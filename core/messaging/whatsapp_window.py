"""How an outbound message goes out: WhatsApp's 24-hour window and its fallbacks.

WhatsApp accepts free text only within 24 hours of the citizen's last message to us.
Outside it we must send a pre-approved template (`ContentSid` + `ContentVariables`);
with no template configured for the kind of message, the message goes by SMS when an
SMS sender is configured, and is otherwise skipped with the reason written on the row
(staff see it in the ticket's message thread).

Templates are configured per kind of message as `TWILIO_TEMPLATE_<NAME>` settings, with
the variables {"1": "#<ticket number>", "2": "<the message text>"}. WhatsApp approves a
template in one language, so a setting is either one Content SID for every citizen or
one per language, `tr=HX…,en=HX…` (the citizen's language; else the first listed).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.config import Settings
from core.models import Conversation, Message, Ticket

WINDOW = timedelta(hours=24)
# Twilio's "outside the allowed window" error: the window closed on Twilio's side.
OUTSIDE_WINDOW_CODE = 63016

# Which template setting carries each kind of message outside the window.
TEMPLATE_SETTINGS: dict[str, str] = {
    "report_received": "TWILIO_TEMPLATE_STATUS_UPDATE",
    "filed_for_you": "TWILIO_TEMPLATE_STATUS_UPDATE",
    "in_progress": "TWILIO_TEMPLATE_STATUS_UPDATE",
    "resolved": "TWILIO_TEMPLATE_FEEDBACK_REQUEST",
    "closed": "TWILIO_TEMPLATE_STATUS_UPDATE",
    "closed_duplicate": "TWILIO_TEMPLATE_STATUS_UPDATE",
    "reopened": "TWILIO_TEMPLATE_STATUS_UPDATE",
    "staff_comment": "TWILIO_TEMPLATE_STATUS_UPDATE",
    "escalation_approved": "TWILIO_TEMPLATE_STATUS_UPDATE",
    # The chat's answer once a typed address was looked up (usually inside the window).
    "address_lookup": "TWILIO_TEMPLATE_ADDRESS_LOOKUP",
    # To managers; by SMS when there is an SMS sender (core.tickets.sla).
    "sla_breached": "TWILIO_TEMPLATE_SLA_ALERT",
}


@dataclass(frozen=True)
class Delivery:
    """What to hand the gateway; `skip_reason` set means send nothing."""

    channel: str
    body: str | None = None
    content_sid: str | None = None
    content_variables: dict[str, Any] | None = None
    skip_reason: str | None = None


def last_inbound_at(session: Session, address: str | None) -> datetime | None:
    if not address:
        return None
    return session.scalar(
        select(func.max(Conversation.last_inbound_at)).where(Conversation.address == address)
    )


def template_for(settings: Settings, kind: str | None, locale: str | None = None) -> str | None:
    setting = TEMPLATE_SETTINGS.get(kind or "")
    return pick_template(getattr(settings, setting, ""), locale) if setting else None


def pick_template(value: str, locale: str | None) -> str | None:
    """The Content SID for `locale` from a template setting: `HX…` (every language) or
    `tr=HX…,en=HX…` (per language; the first listed for a language without one)."""
    value = value.strip()
    if "=" not in value:
        return value or None
    by_locale: dict[str, str] = {}
    for part in value.split(","):
        language, _, sid = part.partition("=")
        if sid.strip():
            by_locale.setdefault(language.strip().lower(), sid.strip())
    if not by_locale:
        return None
    return by_locale.get((locale or "").lower()) or next(iter(by_locale.values()))


def template_variables(session: Session, message: Message) -> dict[str, str]:
    number = session.scalar(select(Ticket.number).where(Ticket.id == message.ticket_id))
    return {"1": f"#{number}" if number else "", "2": message.body or ""}


def plan_delivery(
    session: Session, settings: Settings, message: Message, now: datetime
) -> Delivery:
    """Decide channel and content for an outbound row (see the module docstring)."""
    if message.content_sid:
        return Delivery(
            message.channel,
            content_sid=message.content_sid,
            content_variables=message.content_variables,
        )
    if message.channel != "whatsapp":
        return _by_sms(settings, message, None)
    inbound = last_inbound_at(session, message.address)
    window_open = (
        inbound is not None and now - inbound < WINDOW and message.error_code != OUTSIDE_WINDOW_CODE
    )
    if window_open:
        return Delivery("whatsapp", body=message.body)
    template = template_for(settings, message.kind, message.locale)
    if template:
        return Delivery(
            "whatsapp",
            content_sid=template,
            content_variables=template_variables(session, message),
        )
    return _by_sms(
        settings, message, f"outside the WhatsApp 24-hour window, no template for {message.kind}"
    )


def _by_sms(settings: Settings, message: Message, why: str | None) -> Delivery:
    """An SMS to the citizen's phone, or why it can't be sent (`why`: why not WhatsApp)."""
    if not settings.TWILIO_SMS_FROM:
        missing = "no SMS sender configured (TWILIO_SMS_FROM)"
    elif not (message.address and message.address.startswith("+")):
        missing = "no phone number to text"
    else:
        return Delivery("sms", body=message.body)
    return Delivery("sms", skip_reason=f"{why}; {missing}" if why else missing)

"""Twilio's inbound message webhook, read tolerantly.

Twilio adds parameters without notice and a forged request can send anything:
unknown parameters are ignored and malformed values (a non-numeric `NumMedia`, a
latitude of 200) are treated as absent, never as errors.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace

from core.tickets.opening import clean_text

# What Twilio's message SIDs look like (SMS and WhatsApp SM…, MMS MM…). Only these
# are accepted: the signature joins names and values with nothing between them, so a
# captured request re-cut as `MessageSid=SM…NumMedia0` (its NumMedia dropped) still
# verifies, and a MessageSid never seen before would replay the conversation.
MESSAGE_SID = re.compile(r"(SM|MM)[0-9a-f]{32}")
MAX_BODY = 1600
MAX_MEDIA = 10  # Twilio sends at most 10 media items per message
WHATSAPP_PREFIX = "whatsapp:"


@dataclass(frozen=True)
class Media:
    url: str
    content_type: str


@dataclass(frozen=True)
class Inbound:
    """One message from a citizen, whatever the channel."""

    sid: str
    address: str  # E.164 phone, or a WhatsApp user id for a hidden number
    channel: str  # "whatsapp" | "sms"
    text: str = ""
    media: tuple[Media, ...] = ()
    location: tuple[float, float] | None = None
    location_label: str | None = None
    profile_name: str | None = None
    is_phone: bool = True
    message_id: int | None = None
    extra: Mapping[str, str] = field(default_factory=dict, compare=False)

    def with_message_id(self, message_id: int) -> Inbound:
        return replace(self, message_id=message_id)


class MalformedInbound(ValueError):
    """The request lacks what identifies a message (MessageSid, From), or what it
    sends there is not an identifier."""


def is_message_sid(value: str) -> bool:
    """A real Twilio message SID, exactly as Twilio writes one (no space, no case change)."""
    return MESSAGE_SID.fullmatch(value) is not None


def parse_inbound(form: Mapping[str, str]) -> Inbound:
    sid = form.get("MessageSid") or form.get("SmsMessageSid") or ""
    sender = (form.get("From") or "").strip()
    if not is_message_sid(sid):
        raise MalformedInbound("MessageSid is missing or not a Twilio message SID")
    # Identifiers are stored and compared as they come, so a control character (which
    # PostgreSQL refuses outright when it is NUL) makes the request malformed.
    channel = "whatsapp" if sender.lower().startswith(WHATSAPP_PREFIX) else "sms"
    address = sender[len(WHATSAPP_PREFIX) :] if channel == "whatsapp" else sender
    address = address.strip()
    if not address or len(address) > 128 or not address.isprintable():
        raise MalformedInbound("From is missing")
    # A quick-reply button's payload is the answer we asked for; prefer it to its label.
    text = form.get("ButtonPayload") or form.get("Body") or ""
    return Inbound(
        sid=sid,
        address=address,
        channel=channel,
        text=clean_text(text)[:MAX_BODY],
        media=_media(form),
        location=_location(form),
        location_label=_joined(form, ("Label", "Address"), 200),
        profile_name=_joined(form, ("ProfileName",), 60),
        is_phone=_looks_like_phone(address),
    )


def _looks_like_phone(address: str) -> bool:
    return address.startswith("+") and address[1:].isdecimal() and 8 <= len(address) <= 16


def _int(value: str | None) -> int | None:
    try:
        return int((value or "").strip())
    except ValueError:
        return None


def _float(value: str | None) -> float | None:
    try:
        number = float((value or "").strip())
    except ValueError:
        return None
    return number if math.isfinite(number) else None


def _media(form: Mapping[str, str]) -> tuple[Media, ...]:
    count = _int(form.get("NumMedia")) or 0
    items = []
    for index in range(max(0, min(count, MAX_MEDIA))):
        url = (form.get(f"MediaUrl{index}") or "").strip()
        if url.startswith(("https://", "http://")) and len(url) <= 2000 and url.isprintable():
            content_type = clean_text(form.get(f"MediaContentType{index}") or "")[:100]
            items.append(Media(url=url, content_type=content_type))
    return tuple(items)


def _location(form: Mapping[str, str]) -> tuple[float, float] | None:
    lat, lon = _float(form.get("Latitude")), _float(form.get("Longitude"))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return lat, lon


def _joined(form: Mapping[str, str], names: tuple[str, ...], limit: int) -> str | None:
    parts = [clean_text(form.get(name) or "") for name in names]
    return ", ".join(part for part in parts if part)[:limit] or None

"""One-time sign-in codes: six digits from `secrets`, stored only as a keyed hash.

A phone has at most one live code (a new request replaces it). A code lives
`OTP_TTL_SECONDS`, works once, and dies after `OTP_MAX_ATTEMPTS` wrong tries. The
hash covers the phone too, so a code never works for another number.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from core.config import Settings
from core.messaging.gateway import OutboundMessage
from core.messaging.whatsapp_window import pick_template
from core.models import OtpCode, User
from core.people.tokens import keyed_hash, same_hash

CODE_DIGITS = 6

# Kept short: Turkish letters make an SMS UCS-2, where one segment is 70 characters.
_TEXTS = {
    "tr": "SoSoft giriş kodunuz: {code}. {minutes} dk geçerli. Kimseyle paylaşmayın.",
    "en": "Your SoSoft sign-in code is {code}. Valid {minutes} min. Do not share it.",
}


class OtpRejected(Exception):
    """The code does not sign anyone in; `str(exc)` says why (safe to show)."""


def _hash(settings: Settings, phone: str, code: str) -> str:
    return keyed_hash(settings, "otp", f"{phone}:{code}")


def new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def issue_code(
    session: Session, settings: Settings, phone: str, now: datetime | None = None
) -> str:
    """A fresh code for `phone` (E.164), replacing any earlier one; returns it in clear."""
    now = now or datetime.now(UTC)
    code = new_code()
    values = {
        "code_hash": _hash(settings, phone, code),
        "attempts": 0,
        "expires_at": now + timedelta(seconds=settings.OTP_TTL_SECONDS),
        "used_at": None,
        "created_at": now,
    }
    # One statement, so two simultaneous requests leave exactly one live code.
    session.execute(
        insert(OtpCode)
        .values(phone=phone, **values)
        .on_conflict_do_update(index_elements=[OtpCode.phone], set_=values)
    )
    return code


def check_code(
    session: Session,
    settings: Settings,
    phone: str,
    code: str,
    *,
    consume: bool,
    now: datetime | None = None,
) -> None:
    """Raise OtpRejected unless `code` is the live code of `phone`.

    A wrong try is counted on the row, so the caller must commit even when this
    raises. `consume=False` checks without using the code up (the caller will
    ask for it again, e.g. "this number has no account yet, register with it").
    """
    now = now or datetime.now(UTC)
    # Locked, so parallel guesses are counted one after another.
    row = session.scalar(select(OtpCode).where(OtpCode.phone == phone).with_for_update())
    if row is None or row.used_at is not None:
        raise OtpRejected("no active code for this number; request a new one")
    if row.expires_at <= now:
        raise OtpRejected("the code has expired; request a new one")
    if row.attempts >= settings.OTP_MAX_ATTEMPTS:
        raise OtpRejected("too many wrong codes; request a new one")
    if not same_hash(row.code_hash, _hash(settings, phone, code)):
        row.attempts += 1
        left = settings.OTP_MAX_ATTEMPTS - row.attempts
        if left <= 0:
            raise OtpRejected("too many wrong codes; request a new one")
        raise OtpRejected(f"the code is wrong ({left} tries left)")
    if consume:
        row.used_at = now


def new_code_message(session: Session, settings: Settings, phone: str) -> OutboundMessage:
    """Issue a fresh code for `phone` and the message carrying it, in the language of
    the number's account (if any). The caller commits, then hands it to the gateway:
    the API's request-otp and the console's sign-in both come through here."""
    user = session.scalar(select(User).where(User.phone == phone))
    code = issue_code(session, settings, phone)
    return code_message(settings, phone, code, user.locale if user else None)


def code_message(settings: Settings, phone: str, code: str, locale: str | None) -> OutboundMessage:
    """The text carrying `code`: SMS unless only a WhatsApp sender is configured."""
    text = _TEXTS.get(locale or "", _TEXTS[settings.DEFAULT_LOCALE])
    body = text.format(code=code, minutes=max(1, settings.OTP_TTL_SECONDS // 60))
    if settings.TWILIO_SMS_FROM or not settings.TWILIO_WHATSAPP_FROM:
        return OutboundMessage(to=phone, channel="sms", body=body)
    template = pick_template(settings.TWILIO_TEMPLATE_OTP, locale or settings.DEFAULT_LOCALE)
    if template:
        # WhatsApp only delivers business-initiated messages from approved templates.
        return OutboundMessage(
            to=phone,
            channel="whatsapp",
            content_sid=template,
            content_variables={"1": code},
        )
    return OutboundMessage(to=phone, channel="whatsapp", body=body)

"""The sign-in rate limits, shared by every way in (the API's JSON and the console's
forms): one budget per phone number and per address, whichever door is knocked on.

Keyed by the normalised number (so `0532…` and `+90 532…` count together), hashed so
neither Redis nor the limiter's own log lines ever hold the number. Each limit is a
shared limit with a fixed scope, so the API's request-otp and the console's "send me
a code" draw on the same counter.
"""

from __future__ import annotations

import time
from typing import Any

from flask import current_app, g, request
from flask_limiter.util import get_remote_address

from core.config import Settings
from core.people.phones import InvalidPhone, normalize_mobile
from core.people.tokens import keyed_hash
from web.limits import limiter

# Which kind of attempt a limit counts: asking for a code, or trying one.
REQUEST_CODE = "sign-in-request"
TRY_CODE = "sign-in-verify"


def _settings() -> Settings:
    return current_app.config["SOSOFT"]


def _raw_phone() -> Any:
    if request.is_json:
        body = request.get_json(silent=True)
        return body.get("phone_number") if isinstance(body, dict) else None
    return request.form.get("phone_number")


def phone_in_request() -> str | None:
    """The E.164 number the request signs in with (JSON body or form), or None."""
    if "limit_phone" not in g:
        raw = _raw_phone()
        try:
            g.limit_phone = (
                normalize_mobile(raw, _settings().ALLOWED_COUNTRIES)
                if isinstance(raw, str)
                else None
            )
        except InvalidPhone:
            g.limit_phone = None
    return g.limit_phone


def _phone_key() -> str:
    return "phone:" + keyed_hash(_settings(), "rate-limit", phone_in_request() or "")[:32]


def _no_phone() -> bool:
    # A number that fails validation sends nothing; the per-IP limit still counts it.
    return phone_in_request() is None


def per_phone(setting: str, scope: str) -> Any:
    return limiter.shared_limit(
        lambda: getattr(_settings(), setting),
        scope=f"{scope}-phone",
        key_func=_phone_key,
        exempt_when=_no_phone,
        error_message="too many attempts for this number",
    )


def per_ip(setting: str, scope: str) -> Any:
    return limiter.shared_limit(
        lambda: getattr(_settings(), setting),
        scope=f"{scope}-ip",
        key_func=lambda: "ip:" + (get_remote_address() or "unknown"),
        error_message="too many attempts from this address",
    )


def retry_after_seconds() -> int:
    """Seconds until the limit just exceeded lets the caller try again."""
    current = limiter.current_limit
    return max(1, int(current.reset_at - time.time())) if current else 60

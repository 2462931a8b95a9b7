"""Optional error reporting to Sentry (or a compatible service) when SENTRY_DSN is set."""

from __future__ import annotations

import re
from typing import Any

from core.config import Settings
from core.logging_setup import mask_phones

_SECRET_FIELDS = re.compile(r"(code|otp|token|password|secret|authorization|phone)", re.I)
# Older Open311 clients send their key in a POST's query string.
_KEY_ARGUMENT = re.compile(r"(\bapi_key=)[^&]*", re.I)


def _scrub(event: dict[str, Any], _hint: dict[str, Any]) -> dict[str, Any]:
    """Drop request bodies and mask phone numbers before an event leaves the process."""
    request = event.get("request") or {}
    request.pop("data", None)
    request.pop("cookies", None)
    headers = request.get("headers") or {}
    for name in list(headers):
        if _SECRET_FIELDS.search(name):
            headers[name] = "[scrubbed]"
    if "query_string" in request:
        query = _KEY_ARGUMENT.sub(r"\1[scrubbed]", str(request["query_string"]))
        request["query_string"] = mask_phones(query)
    for exception in (event.get("exception") or {}).get("values", []):
        if exception.get("value"):
            exception["value"] = mask_phones(exception["value"])
    return event


def init_error_reporting(settings: Settings, component: str) -> bool:
    """Start Sentry for `component` (web, worker) when configured; returns whether it did."""
    if not settings.SENTRY_DSN:
        return False
    import sentry_sdk

    sentry_sdk.init(
        dsn=settings.SENTRY_DSN,
        environment=settings.APP_ENV,
        send_default_pii=False,
        before_send=_scrub,
        traces_sample_rate=0.0,
        server_name=component,
    )
    return True

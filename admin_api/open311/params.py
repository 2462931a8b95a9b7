"""Reading Open311 arguments: formats, jurisdiction, locale, W3C datetimes, comma lists.

An optional argument sent empty means the same as not sent (spec: a null parameter
is an absent one).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import request
from werkzeug.datastructures import MultiDict

from admin_api.open311.errors import bad_request, not_found
from admin_api.open311.formats import FORMATS
from core.config import Settings
from core.models.people import LOCALES

# The W3C-NOTE-datetime subset the spec requires: seconds and a zone, always.
W3C_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise not_found(f"unsupported format .{fmt}; use .xml or .json")
    return fmt


def optional(values: MultiDict, name: str) -> str | None:
    value = values.get(name, "")
    value = value.strip() if isinstance(value, str) else ""
    return value or None


def check_jurisdiction(settings: Settings, values: MultiDict) -> None:
    """A single-jurisdiction endpoint ignores jurisdiction_id unless one is configured."""
    given = optional(values, "jurisdiction_id")
    expected = settings.OPEN311_JURISDICTION_ID
    if expected and given is not None and given != expected:
        raise not_found(f"jurisdiction_id {given!r} not found; this endpoint serves {expected!r}")


def request_locale(settings: Settings) -> str:
    """`locale` argument, else the Accept-Language header, else the city's language."""
    asked = optional(request.values, "locale")
    if asked:
        language = asked.replace("_", "-").split("-")[0].lower()
        if language in LOCALES:
            return language
    best = request.accept_languages.best_match(LOCALES)
    return best or settings.DEFAULT_LOCALE


def parse_w3c(name: str, value: str) -> datetime:
    if not W3C_DATETIME.fullmatch(value):
        raise bad_request(
            f"{name} must be a W3C datetime with a time zone, e.g. 2026-11-24T14:30:00+03:00"
        )
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise bad_request(f"{name} is not a valid date: {value}") from None


def comma_list(value: str | None) -> list[str]:
    return [part.strip() for part in (value or "").split(",") if part.strip()]


def w3c(moment: datetime | None) -> str | None:
    """A stored time as a W3C datetime in UTC (`…Z`)."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")

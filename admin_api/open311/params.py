"""Reading Open311 arguments: formats, jurisdiction, locale, W3C datetimes, comma lists.

An optional argument sent empty means the same as not sent (spec: a null parameter
is an absent one). No argument, in the query, the form or the path, may carry a
control character; free text may still have tabs and line breaks.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime

from flask import request
from werkzeug.datastructures import MultiDict

from admin_api.open311.blueprint import bp
from admin_api.open311.errors import bad_request, not_found
from admin_api.open311.formats import FORMATS
from core.config import Settings
from core.models.people import LOCALES

# The W3C-NOTE-datetime subset the spec requires: seconds and a zone, always.
W3C_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")
# C0, DEL and C1 controls: no code, key or name has them, and PostgreSQL cannot store
# NUL at all, so refusing them here keeps them from failing deep in the database.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_CONTROL_BUT_LINE_BREAKS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def check_format(fmt: str) -> str:
    if fmt not in FORMATS:
        raise not_found(f"unsupported format .{fmt}; use .xml or .json")
    return fmt


def stripped(values: MultiDict, name: str) -> str:
    """The argument `name` as every reader here takes it: whitespace (any Unicode
    space, the no-break one included) gone from both ends; '' when absent."""
    value = values.get(name, "")
    return value.strip() if isinstance(value, str) else ""


def optional(values: MultiDict, name: str, *, free_text: bool = False) -> str | None:
    """The argument `name`, stripped; None when absent or empty. `free_text` (a
    description, an address) may have tabs and line breaks."""
    return checked_text(name, stripped(values, name), free_text=free_text) or None


def filing_api_key(form: MultiDict) -> str | None:
    """A POST's api_key: in the form, else in the query string (older clients)."""
    return optional(form, "api_key") or optional(request.args, "api_key")


def checked_text(name: str, value: str, *, free_text: bool = False) -> str:
    """`value`, unless it has a control character: then a 400 naming `name`."""
    if (_CONTROL_BUT_LINE_BREAKS if free_text else _CONTROL).search(value):
        allowed = " other than tab and newline" if free_text else ""
        raise bad_request(f"{name} must not contain control characters{allowed}")
    return value


@bp.url_value_preprocessor
def _check_path_arguments(_endpoint: str | None, values: dict | None) -> None:
    """The service code, request id or token in the URL, checked like any argument."""
    for name, value in (values or {}).items():
        checked_text(f"{name} in the URL", value)


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

"""POST Service Request: from an Open311 form to a ticket.

Order of checks: a missing service_code is a 400; then the api_key (403 when missing,
unknown, revoked or without the `open311:write` scope); then the service (404); then
everything else (400, all problems listed at once).

The api_key is read from the form, else from the query string: older clients put it in
the URL of their POST. Every other argument comes from the form only.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy.orm import Session
from werkzeug.datastructures import MultiDict

from admin_api.open311.catalog import find_service
from admin_api.open311.errors import Open311Error, bad_request, not_found
from admin_api.open311.params import checked_text, filing_api_key, optional
from core.config import Settings
from core.errors import Refused
from core.models import ApiKey, Category
from core.people.api_keys import find_api_key
from core.people.permissions import scopes_can
from core.people.phones import InvalidPhone, normalize_phone
from core.tickets.opening import DESCRIPTION_MIN, clean_text
from core.tickets.questions import InvalidAttributes, validate_attributes

OPEN311_PERMISSION = "open311.write"
MAX_DESCRIPTION = 4000  # the spec's limit; SoSoft's own (core.tickets.opening) is lower
MAX_MEDIA_URL = 1000
MAX_DETAIL = 100
MAX_EMAIL = 254  # RFC 5321's limit on a forward path
_EMAIL = re.compile(r"[^@\s]{1,64}@[^@\s]+\.[^@\s.]+")
_ATTRIBUTE_KEY = re.compile(r"attribute\[([^\[\]]+)\](\[\])?")


@dataclass
class Filing:
    """A checked Open311 POST, ready for `core.tickets.opening.open_ticket`."""

    category: Category
    api_key: ApiKey
    description: str
    lat: float | None = None
    lon: float | None = None
    address: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)
    source_details: dict[str, Any] = field(default_factory=dict)
    contact_phone: str | None = None
    contact_email: str | None = None


def authorised_key(session: Session, settings: Settings, form: MultiDict) -> ApiKey:
    raw = filing_api_key(form)
    if raw is None:
        raise Open311Error(403, "api_key is required to file a service request")
    key = find_api_key(session, settings, raw)
    if key is None or key.revoked_at is not None:
        raise Open311Error(403, "invalid api_key received; cannot file the request")
    if not scopes_can(key.scopes or [], OPEN311_PERMISSION):
        raise Open311Error(403, "this api_key may not file requests (needs scope open311:write)")
    key.last_used_at = datetime.now(UTC)
    return key


def check_filing(session: Session, settings: Settings, form: MultiDict) -> Filing:
    """Check the whole form; raise Open311Error (400/403/404) naming each problem."""
    service_code = optional(form, "service_code")
    if service_code is None:
        missing = ["service_code is required"]
        if filing_api_key(form) is None:
            missing.append("api_key is required")
        raise bad_request(*missing)
    key = authorised_key(session, settings, form)
    category = find_service(session, service_code)
    if category is None:
        raise not_found(f"service_code {service_code!r} not found")

    problems: list[str] = []
    lat, lon = _point(form, problems)
    address = optional(form, "address_string", free_text=True)
    address_id = optional(form, "address_id")
    if lat is None and address is None and address_id is None:
        problems.append("a location is required: lat and long, address_string or address_id")
    try:
        attributes = validate_attributes(category.questions or [], _attribute_values(form))
    except InvalidAttributes as exc:
        attributes = {}
        problems.extend(f"attribute[{code}]: {message}" for code, message in exc.errors.items())
    description = optional(form, "description", free_text=True) or ""
    if len(description) > MAX_DESCRIPTION:
        problems.append(f"description: at most {MAX_DESCRIPTION} characters")
    details = _source_details(form, problems)
    contact_phone = _contact_phone(settings, form, problems)
    contact_email = _contact_email(form, problems)
    if problems:
        raise bad_request(*problems)
    return Filing(
        category=category,
        api_key=key,
        description=_ticket_description(category, description),
        lat=lat,
        lon=lon,
        # A bare address_id still gives staff something to place on the map.
        address=address or (f"address_id {address_id}" if address_id else None),
        attributes=attributes,
        source_details=details,
        contact_phone=contact_phone,
        contact_email=contact_email,
    )


def _point(form: MultiDict, problems: list[str]) -> tuple[float | None, float | None]:
    lat, lon = optional(form, "lat"), optional(form, "long")
    if lat is None and lon is None:
        return None, None
    if lat is None or lon is None:
        problems.append("lat and long must be sent together")
        return None, None
    try:
        point = float(lat), float(lon)
    except ValueError:
        problems.append("lat and long must be decimal degrees (WGS84)")
        return None, None
    if not all(math.isfinite(value) for value in point):
        problems.append("lat and long must be decimal degrees (WGS84)")
        return None, None
    return point


def _attribute_values(form: MultiDict) -> dict[str, Any]:
    """`attribute[code]=v` and `attribute[code][]=v1&attribute[code][]=v2` (and the
    repeated `attribute[code]` some clients send) by code."""
    values: dict[str, Any] = {}
    for name in form:
        match = _ATTRIBUTE_KEY.fullmatch(name)
        if match is None:
            continue
        code, is_list = match.group(1), match.group(2)
        # Answers to `text` questions may span lines.
        sent = [checked_text(name, value, free_text=True) for value in form.getlist(name)]
        values[code] = sent if is_list or len(sent) > 1 else sent[0]
    return values


def _contact_phone(settings: Settings, form: MultiDict, problems: list[str]) -> str | None:
    """`phone`, as E.164: the ticket's contact (core.tickets.contact), never an account.
    Any valid number will do (a call centre's caller may have a landline)."""
    phone = optional(form, "phone")
    if phone is None:
        return None
    try:
        return normalize_phone(phone, settings.ALLOWED_COUNTRIES)
    except InvalidPhone as exc:
        problems.append(f"phone: {exc}")
        return None


def _contact_email(form: MultiDict, problems: list[str]) -> str | None:
    """`email`: kept with the phone as the ticket's contact, for staff. Only its shape
    is checked (one @, a dotted domain); SoSoft never writes to it."""
    email = optional(form, "email")
    if email is None:
        return None
    if len(email) > MAX_EMAIL or not _EMAIL.fullmatch(email):
        problems.append("email must be an address like name@example.org")
        return None
    local, _, domain = email.rpartition("@")
    return f"{local}@{domain.lower()}"


def _source_details(form: MultiDict, problems: list[str]) -> dict[str, Any]:
    """What Open311 sends beyond the ticket's own fields (staff see them in the
    ticket's detail). The submitter's names are not kept: SoSoft never uses them, and
    what it does not keep it cannot leak."""
    details: dict[str, Any] = {}
    for name in ("address_id", "zipcode", "device_id", "account_id"):
        value = optional(form, name)
        if value is None:
            continue
        if len(value) > MAX_DETAIL:
            problems.append(f"{name}: at most {MAX_DETAIL} characters")
        details[name] = clean_text(value)
    media_url = optional(form, "media_url")
    if media_url is not None:
        if not _is_web_link(media_url):
            problems.append("media_url must be an http or https URL")
        details["media_url"] = media_url
    return details


def _is_web_link(url: str) -> bool:
    if len(url) > MAX_MEDIA_URL or any(c.isspace() for c in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unclosed IPv6 bracket: "http://[x"
        return False
    return parts.scheme in {"http", "https"} and bool(parts.netloc)


def _ticket_description(category: Category, description: str) -> str:
    """The client's description; an empty or very short one is prefixed with the
    service name so the ticket still says what it is about."""
    text = clean_text(description)
    if len(text) >= DESCRIPTION_MIN:
        return text
    head = f"{category.name_tr} (Open311)"
    return f"{head}: {text}" if text else head


def ticket_error(exc: Refused) -> Open311Error:
    field_names = {"category_id": "service_code"}
    return bad_request(f"{field_names.get(exc.field, exc.field)}: {exc}")

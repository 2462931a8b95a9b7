"""Opening tickets: the one function the API, the bot and Open311 all call."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from core.config import Settings
from core.direct_rows import insert_now
from core.errors import Refused
from core.geo import check_in_service_area, stored_point
from core.messaging import notifications
from core.messaging.texts import render
from core.models import Category, Ticket, User
from core.tickets import contact
from core.tickets.events import record_event

DESCRIPTION_MIN = 10
DESCRIPTION_MAX = 2000
# Control characters other than newline and tab have no place in a description.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def clean_text(value: str) -> str:
    return _CONTROL.sub("", value).strip()


def clean_description(value: str) -> str:
    text = clean_text(value or "")
    if len(text) < DESCRIPTION_MIN:
        raise Refused(
            f"at least {DESCRIPTION_MIN} characters, please", field="description",
            code="description_too_short", params={"limit": DESCRIPTION_MIN},
        )  # fmt: skip
    if len(text) > DESCRIPTION_MAX:
        raise Refused(
            f"at most {DESCRIPTION_MAX} characters, please", field="description",
            code="description_too_long", params={"limit": DESCRIPTION_MAX},
        )  # fmt: skip
    return text


def open_ticket(
    session: Session,
    settings: Settings,
    *,
    category: Category,
    description: str,
    channel: str,
    reporter: User | None = None,
    actor: User | None = None,
    lat: float | None = None,
    lon: float | None = None,
    location_approximate: bool = False,
    address: str | None = None,
    attributes: dict[str, Any] | None = None,
    source_details: dict[str, Any] | None = None,
    api_key_id: int | None = None,
    contact_phone: str | None = None,
    contact_email: str | None = None,
    now: datetime | None = None,
    reported_in_chat: bool = False,
) -> Ticket:
    """Validate and create a ticket in status `new`, with its `created` event and
    the "report received" message to the reporter (`reported_in_chat`: the bot's reply
    tells them, so that message is recorded as skipped). `contact_phone` (E.164) and
    `contact_email`, from an integration, are kept for staff; the phone may be told
    (core.tickets.contact).
    `location_approximate`: the point is an area's centre, so the ticket still needs
    its location. Raises Refused."""
    text = clean_description(description)
    if not category.is_active:
        raise Refused(
            "this category is no longer in use", field="category_id", code="category_inactive"
        )
    has_point = lat is not None and lon is not None
    if has_point:
        try:
            check_in_service_area(settings, lat, lon)  # type: ignore[arg-type]
        except ValueError as exc:
            raise Refused(str(exc), field="location", code="outside_service_area") from None
    address = clean_text(address)[:500] if address else None
    if not has_point and not address:
        raise Refused(
            "a location (lat/lon) or an address is needed", field="location",
            code="location_missing",
        )  # fmt: skip

    now = now or datetime.now(UTC)
    ticket = Ticket(
        reporter_id=reporter.id if reporter else None,
        api_key_id=api_key_id,
        contact_phone=contact_phone,
        contact_email=contact_email,
        category_id=category.id,
        description=text,
        status="new",
        priority="normal",
        location=stored_point(lat, lon) if has_point else None,  # type: ignore[arg-type]
        address=address,
        needs_location=not has_point or location_approximate,
        location_approximate=has_point and location_approximate,
        team_id=category.default_team_id,
        channel=channel,
        attributes=attributes or {},
        source_details=source_details or {},
        due_at=now + timedelta(hours=category.sla_hours),
        created_at=now,
    )
    # What the ticket points to is written first; the ticket itself at once, without
    # a flush's unit of work (core.direct_rows): its event and message need its id.
    session.flush()
    insert_now(session, ticket)
    actor = actor or reporter
    record_event(
        session, ticket, "created", actor=actor, to="new", now=now, channel=channel,
        api_key_id=api_key_id,
    )  # fmt: skip
    if reporter is not None:  # a ticket this new has no followers to tell yet
        notifications.queue_message(
            session,
            reporter,
            "report_received",
            render("report_received", reporter.locale, number=ticket.number),
            ticket=ticket,
            channel=channel if reported_in_chat else None,
            answered_in_chat=reported_in_chat,
        )
    contact.tell_contact(session, settings, ticket)
    session.flush()
    return ticket

"""Where a ticket is: staff place the pin of a report that came with only an
address (or a district's approximate point), or correct a wrong one. From then on
the ticket counts on the maps, in hotspots, exports and duplicate checks like any
other with a point."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from core.config import Settings
from core.errors import Refused
from core.geo import OutsideServiceArea, check_in_service_area, lat_lon, point
from core.models import Ticket, User
from core.tickets.events import record_event
from core.tickets.opening import clean_text

ADDRESS_MAX = 500


def set_location(
    session: Session,
    settings: Settings,
    ticket: Ticket,
    actor: User | None,
    *,
    lat: float,
    lon: float,
    address: str | None = None,
    now: datetime | None = None,
) -> bool:
    """Put the ticket at (lat, lon), and at `address` when given; True when it moved.
    Raises Refused for a point outside the service area."""
    try:
        check_in_service_area(settings, lat, lon)
    except OutsideServiceArea as exc:
        raise Refused(str(exc), field="location", code="outside_service_area") from None
    before = lat_lon(ticket.location) if ticket.location is not None else None
    changed = (
        set_address(session, ticket, actor, address, now=now) if address is not None else False
    )
    if before is not None and _same_point(before, (lat, lon)) and not ticket.needs_location:
        return changed
    ticket.location = point(lat, lon)  # type: ignore[assignment]
    # Placed by staff: no longer a district's centre standing in for the place.
    ticket.needs_location = False
    ticket.location_approximate = False
    record_event(
        session, ticket, "location_changed", actor=actor, now=now,
        frm=_text(before) if before else None, to=_text((lat, lon)),
    )  # fmt: skip
    session.flush()
    # The stored value is a SQL expression until read back.
    session.refresh(ticket, ["location"])
    return True


def set_address(
    session: Session,
    ticket: Ticket,
    actor: User | None,
    address: str,
    *,
    now: datetime | None = None,
) -> bool:
    """Correct the typed address (it never moves the pin); True when it changed."""
    text = clean_text(address)[:ADDRESS_MAX] or None
    if text == ticket.address:
        return False
    if text is None and ticket.location is None:
        raise Refused(
            "a ticket without a point keeps its address", field="address",
            code="address_needs_point",
        )  # fmt: skip
    # Addresses are longer than an event's from/to columns: they go in its data.
    record_event(
        session, ticket, "address_changed", actor=actor, now=now,
        previous=ticket.address, address=text,
    )  # fmt: skip
    ticket.address = text
    return True


def _same_point(a: tuple[float, float], b: tuple[float, float]) -> bool:
    # Seven decimals are about a centimetre: anything closer is the same pin.
    return round(a[0], 7) == round(b[0], 7) and round(a[1], 7) == round(b[1], 7)


def _text(lat_lon_pair: tuple[float, float]) -> str:
    return f"{lat_lon_pair[0]:.6f},{lat_lon_pair[1]:.6f}"

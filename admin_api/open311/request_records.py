"""Tickets as Open311 service requests: status mapping and the fields a client sees.

Never a reporter's name, phone or email: a request carries where, what and how far
along it is, nothing about who reported it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import distinct_on
from sqlalchemy.orm import Session

from admin_api.open311.params import w3c
from core.geo import lat_lon
from core.models import Comment, Photo, Ticket, User
from core.models.people import STAFF_ROLES
from core.storage import Storage

CLOSED_STATUSES = ("resolved", "closed")
# Open311 status -> the ticket statuses it covers.
STATUS_FILTER = {
    "open": ("new", "in_progress", "escalated"),
    "closed": CLOSED_STATUSES,
}


def open311_status(ticket: Ticket) -> str:
    return "closed" if ticket.status in CLOSED_STATUSES else "open"


def request_records(
    session: Session, storage: Storage, tickets: Sequence[Ticket], locale: str
) -> list[dict[str, Any]]:
    ids = [ticket.id for ticket in tickets]
    notes = _latest_staff_notes(session, ids)
    photos = _first_photos(session, ids)
    return [
        _record(ticket, locale, notes.get(ticket.id), photos.get(ticket.id), storage)
        for ticket in tickets
    ]


def _record(
    ticket: Ticket, locale: str, note: str | None, photo_key: str | None, storage: Storage
) -> dict[str, Any]:
    details = ticket.source_details or {}
    lat, lon = lat_lon(ticket.location) or (None, None)
    closed = open311_status(ticket) == "closed"
    # For a closed request the spec wants the time it was closed. updated_at is the
    # database's transaction time, which can fall just before created_at.
    updated = (ticket.closed_at or ticket.resolved_at) if closed else None
    updated = updated or max(ticket.updated_at, ticket.created_at)
    return {
        "service_request_id": str(ticket.number),
        "status": open311_status(ticket),
        "status_notes": note,
        "service_name": ticket.category.name(locale),
        "service_code": ticket.category.code,
        "description": ticket.description,
        "agency_responsible": ticket.team.name if ticket.team else None,
        "service_notice": None,
        "requested_datetime": w3c(ticket.created_at),
        "updated_datetime": w3c(updated),
        "expected_datetime": w3c(ticket.due_at),
        "address": ticket.address,
        "address_id": details.get("address_id"),
        "zipcode": details.get("zipcode"),
        "lat": lat,
        "long": lon,
        "media_url": storage.url(photo_key) if photo_key else details.get("media_url"),
    }


def _latest_staff_notes(session: Session, ticket_ids: list[int]) -> dict[int, str]:
    """The latest public comment by staff on each ticket (what a citizen was told)."""
    if not ticket_ids:
        return {}
    query = (
        select(Comment.ticket_id, Comment.body)
        .join(User, User.id == Comment.author_id)
        .where(
            Comment.ticket_id.in_(ticket_ids),
            Comment.is_internal.is_(False),
            User.role.in_(STAFF_ROLES),
        )
        .ext(distinct_on(Comment.ticket_id))
        .order_by(Comment.ticket_id, Comment.created_at.desc(), Comment.id.desc())
    )
    return {ticket_id: body for ticket_id, body in session.execute(query)}


def _first_photos(session: Session, ticket_ids: list[int]) -> dict[int, str]:
    if not ticket_ids:
        return {}
    query = (
        select(Photo.ticket_id, Photo.storage_key)
        # Open311 answers are public: a follower's staff-only photos stay out.
        .where(Photo.ticket_id.in_(ticket_ids), Photo.is_internal.is_(False))
        .ext(distinct_on(Photo.ticket_id))
        .order_by(Photo.ticket_id, Photo.created_at, Photo.id)
    )
    return {ticket_id: key for ticket_id, key in session.execute(query)}

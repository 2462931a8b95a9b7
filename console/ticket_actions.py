"""What support does on a ticket's page: reply, note, move, assign, escalate, place
the pin, attach a photo. Each form calls one core use case, inside the ticket's
row lock, and comes back to the page."""

from __future__ import annotations

from flask import current_app, redirect, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from console.blueprint import bp, settings
from console.errors import bad_input, not_found_page
from console.session import signed_in_user
from console.status_counts import forget_counts
from console.ticket_page import ticket_or_none
from core.errors import Forbidden, NotFound, Refused
from core.models import Ticket, User
from core.people.permissions import role_can
from core.tickets import changes
from core.tickets.comments import add_comment
from core.tickets.escalations import request_escalation
from core.tickets.location import set_location
from core.tickets.photos import ImageRejected, inspect_image, store_photo
from core.tickets.queries import public_number
from core.tickets.workflow import apply_transition
from web.request_session import request_session

CHANNEL = "console"


def _require(user: User, permission: str) -> None:
    if not role_can(user.role, permission):
        raise Forbidden(
            f"your role may not do this ({permission})",
            code="permission_missing", params={"permission": permission},
        )  # fmt: skip


def _back(ticket: Ticket, done: str) -> Response:
    return redirect(url_for("console.ticket_detail", ticket_id=ticket.id, done=done))


def _locked(ticket_id: int) -> Ticket | None:
    return ticket_or_none(ticket_id, lock=True)


@bp.post("/tickets/<int:ticket_id>/reply")
def reply(ticket_id: int):
    """A public reply: reaches the reporter and followers on their channel."""
    return _comment(ticket_id, internal=False)


@bp.post("/tickets/<int:ticket_id>/note")
def note(ticket_id: int):
    """An internal note: staff only, never sent to anyone."""
    return _comment(ticket_id, internal=True)


def _comment(ticket_id: int, *, internal: bool):
    user = signed_in_user()
    ticket = _locked(ticket_id)
    if ticket is None:
        return not_found_page()
    if internal:
        _require(user, "comment.internal")
    add_comment(
        request_session(), ticket, user, request.form.get("body", ""),
        channel=CHANNEL, internal=internal,
    )  # fmt: skip
    request_session().commit()
    return _back(ticket, "note" if internal else "reply")


def _original(ticket: Ticket) -> Ticket | None:
    if request.form.get("resolution") != "duplicate":
        return None
    number = public_number(request.form.get("duplicate_of", ""))
    original = (
        request_session().scalar(select(Ticket).where(Ticket.number == number)) if number else None
    )
    if original is None:
        raise NotFound(
            "no ticket of that number", field="duplicate_of", code="ticket_number_unknown"
        )
    return original


@bp.post("/tickets/<int:ticket_id>/move")
def move(ticket_id: int):
    user = signed_in_user()
    ticket = _locked(ticket_id)
    if ticket is None:
        return not_found_page()
    _require(user, "ticket.transition")
    to = request.form.get("to", "")
    resolution = request.form.get("resolution") or None if to == "closed" else None
    apply_transition(
        request_session(), ticket, to, actor=user, role=user.role,
        note=request.form.get("note") or None, resolution=resolution,
        duplicate_of=_original(ticket) if to == "closed" else None,
    )  # fmt: skip
    request_session().commit()
    forget_counts()
    return _back(ticket, "move")


@bp.post("/tickets/<int:ticket_id>/assign")
def assign(ticket_id: int):
    user = signed_in_user()
    ticket = _locked(ticket_id)
    if ticket is None:
        return not_found_page()
    _require(user, "ticket.update")
    wanted: dict[str, int | None] = {}
    for field in ("team_id", "assignee_id"):
        raw = request.form.get(field, "")
        if raw == "me" and field == "assignee_id":
            wanted[field] = user.id
        elif raw.isdigit() and len(raw) < 19:  # a bigint id
            wanted[field] = int(raw)
        elif raw:
            raise Refused("choose one from the list", field=field, code="choose_from_list")
    if changes.apply_changes(request_session(), ticket, user, wanted):
        request_session().commit()
    return _back(ticket, "assign")


@bp.post("/tickets/<int:ticket_id>/escalate")
def escalate(ticket_id: int):
    user = signed_in_user()
    ticket = _locked(ticket_id)
    if ticket is None:
        return not_found_page()
    _require(user, "escalation.request")
    request_escalation(request_session(), ticket, user, request.form.get("reason"))
    request_session().commit()
    forget_counts()
    return _back(ticket, "escalate")


def _coordinate(name: str) -> float:
    raw = request.form.get(name, "").strip().replace(",", ".")
    try:
        value = float(raw)
    except ValueError:
        raise Refused("a number such as 41.0082", field=name, code="coordinate_invalid") from None
    if value != value or abs(value) > 180:  # NaN or nowhere on Earth
        raise Refused("a number such as 41.0082", field=name, code="coordinate_invalid")
    return value


@bp.post("/tickets/<int:ticket_id>/place")
def place(ticket_id: int):
    """Put the pin where support says: a click on the map or typed coordinates."""
    user = signed_in_user()
    ticket = _locked(ticket_id)
    if ticket is None:
        return not_found_page()
    _require(user, "ticket.update")
    lat, lon = _coordinate("lat"), _coordinate("lon")
    if set_location(request_session(), settings(), ticket, user, lat=lat, lon=lon):
        changes.record_first_response(ticket, user)
        request_session().commit()
    return _back(ticket, "place")


@bp.post("/tickets/<int:ticket_id>/photos")
def attach_photo(ticket_id: int):
    """A photo support took (of the repair, say), checked and cleaned like any other."""
    user = signed_in_user()
    ticket = _locked(ticket_id)
    if ticket is None:
        return not_found_page()
    _require(user, "photo.upload")
    upload = request.files.get("photo")
    if upload is None:
        return bad_input("ticket.photo_missing")
    try:
        image = inspect_image(upload.read(10 * 1024 * 1024 + 1))
    except ImageRejected as exc:
        return bad_input("ticket.photo_refused", reason=exc.reason)
    session = request_session()
    storage = current_app.extensions["sosoft.storage"]
    photo = store_photo(session, storage, ticket, image, user, CHANNEL)
    try:
        session.commit()
    except BaseException:
        if photo is not None:
            storage.delete(photo.storage_key)
        raise
    return _back(ticket, "photo")

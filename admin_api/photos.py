"""`POST /api/v1/tickets/{id}/photos`: photos of the problem, checked and cleaned.

All files of a request are checked before any is stored, and stored files are
deleted again if the database refuses the rows: nothing half-written remains.
"""

from __future__ import annotations

from typing import Any

from flask import current_app, request
from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage

from admin_api.blueprint import ApiBlueprint
from admin_api.schemas.ticket_activity import PhotoUploadResultSchema, PhotoUploadSchema
from admin_api.security import require
from admin_api.ticket_access import calling_user, require_reporter_or_staff, visible_ticket
from admin_api.ticket_payloads import photo_payload
from core.geo import OutsideServiceArea, check_in_service_area
from core.models import Photo, Ticket
from core.tickets.photos import CleanImage, ImageRejected, inspect_image, store_photo
from web.request_session import request_session

blp = ApiBlueprint(
    "photos",
    __name__,
    url_prefix="/api/v1/tickets",
    description="Photos of a reported problem (JPEG, PNG, WebP; metadata removed).",
)
MAX_PER_REQUEST = 5
MAX_PER_TICKET = 10


def _files_error(errors: dict[str, list[str]], message: str) -> None:
    abort(422, message=message, errors={"files": errors})


def _inspect_all(uploads: list[FileStorage]) -> list[CleanImage]:
    """Every file checked; one 422 listing each bad file by position and name."""
    images: list[CleanImage] = []
    errors: dict[str, list[str]] = {}
    for index, upload in enumerate(uploads):
        try:
            images.append(inspect_image(upload.read(10 * 1024 * 1024 + 1)))
        except ImageRejected as exc:
            name = (upload.filename or "")[:100]
            errors[str(index)] = [f"{name}: {exc.reason}" if name else exc.reason]
    if errors:
        _files_error(errors, f"{len(errors)} of {len(uploads)} files were refused; none stored")
    return images


@blp.route("/<int:ticket_id>/photos")
class Photos(MethodView):
    @require("photo.upload")
    @blp.arguments(PhotoUploadSchema, location="files")
    @blp.response(201, PhotoUploadResultSchema)
    def post(self, _files: dict[str, Any], ticket_id: int) -> dict[str, Any]:
        """Add up to 5 photos to a ticket (the reporter or staff; 10 per ticket)"""
        caller = calling_user()
        ticket = visible_ticket(ticket_id, lock=True)
        require_reporter_or_staff(caller, ticket, "add photos")
        uploads = request.files.getlist("files")
        if len(uploads) > MAX_PER_REQUEST:
            _files_error(
                {"_schema": [f"at most {MAX_PER_REQUEST} files per request"]}, "too many files"
            )
        images = _inspect_all(uploads)
        stored = _store_all(ticket, images, caller)
        return {
            "data": [photo_payload(p) for p in stored],
            "duplicates": len(images) - len(stored),
            "suggested_location": _suggested_location(ticket, images),
        }


def _store_all(ticket: Ticket, images: list[CleanImage], caller: Any) -> list[Photo]:
    session = request_session()
    storage = current_app.extensions["sosoft.storage"]
    have = session.scalar(
        select(func.count()).select_from(Photo).where(Photo.ticket_id == ticket.id)
    )
    known = set(session.scalars(select(Photo.sha256).where(Photo.ticket_id == ticket.id)))
    new = len({i.sha256 for i in images} - known)
    if have + new > MAX_PER_TICKET:
        _files_error(
            {"_schema": [f"a ticket keeps at most {MAX_PER_TICKET} photos; it has {have}"]},
            "too many photos for this ticket",
        )
    stored: list[Photo] = []
    try:
        for image in images:
            photo = store_photo(session, storage, ticket, image, caller, "api")
            if photo is not None:
                stored.append(photo)
        session.commit()
    except BaseException:
        session.rollback()
        for photo in stored:
            storage.delete(photo.storage_key)
        raise
    return stored


def _suggested_location(ticket: Ticket, images: list[CleanImage]) -> dict[str, float] | None:
    """A ticket without a point may take the photo's GPS position, if the citizen agrees."""
    if ticket.location is not None:
        return None
    settings = current_app.config["SOSOFT"]
    for image in images:
        if image.gps is None:
            continue
        try:
            check_in_service_area(settings, *image.gps)
        except OutsideServiceArea:
            continue
        return {"lat": image.gps[0], "lon": image.gps[1]}
    return None

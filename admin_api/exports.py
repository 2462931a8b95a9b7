"""`/api/v1/analytics/exports`: tickets as CSV, XLSX or GeoJSON, with the same filters
as `GET /api/v1/tickets`, streamed in constant memory; and big exports in the
background (`POST /exports` → a job; `GET /exports/{id}` → status and download link).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from flask import Response, current_app, url_for
from flask_smorest import abort
from marshmallow import Schema, fields, validate

from admin_api.blueprint import ApiBlueprint
from admin_api.schemas.tickets import TicketListArgs
from admin_api.security import current_principal, require
from admin_api.ticket_filters import ticket_filters
from core import jobs
from core.models import ExportJob
from core.models.exports import EXPORT_FORMATS
from core.tickets import export_jobs, exports
from web.request_session import keep_session_for, request_session

blp = ApiBlueprint(
    "exports",
    __name__,
    url_prefix="/api/v1/analytics/exports",
    description="Tickets as CSV, XLSX or GeoJSON (filters as in GET /tickets).",
)


class ExportFilterArgs(TicketListArgs):
    """The filters of `GET /tickets`, without paging and sorting (exports are by id)."""

    class Meta:
        exclude = ("limit", "cursor", "sort")


class ExportJobRequest(Schema):
    format = fields.Str(required=True, validate=validate.OneOf(EXPORT_FORMATS))
    filters = fields.Nested(ExportFilterArgs, load_default=dict)


class ExportJobSchema(Schema):
    id = fields.UUID()
    format = fields.Str()
    status = fields.Str(
        metadata={
            "description": "queued, running, done or failed; expired once the file was "
            "deleted (EXPORT_KEEP_HOURS after it was built: ask for a new export)"
        }
    )
    filters = fields.Dict()
    row_count = fields.Int(allow_none=True)
    error = fields.Str(allow_none=True)
    download_url = fields.Str(allow_none=True, metadata={"description": "When done; short-lived"})
    download_expires_in = fields.Int(allow_none=True, metadata={"description": "Seconds"})
    created_at = fields.DateTime()
    started_at = fields.DateTime(allow_none=True)
    finished_at = fields.DateTime(allow_none=True)


def _download(fmt: str, args: dict[str, Any]) -> Response:
    filters = ticket_filters(args, current_principal())
    settings = current_app.config["SOSOFT"]
    now = datetime.now(UTC)
    sql, params = exports.export_query(filters, settings, now, fmt=fmt)
    # The request's own connection: the rows are read in the request's transaction,
    # which stays open until the body has been sent.
    raw = request_session().connection().connection.driver_connection
    filename = f"tickets-{now:%Y%m%d-%H%M%S}.{fmt}"
    response = Response(
        exports.stream(fmt, raw, sql, params),
        # content_type, not mimetype: Werkzeug would add a second charset.
        content_type=exports.MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="{filename}"',
            "Cache-Control": "no-store",
        },
    )
    keep_session_for(response)
    return response


@blp.route("/tickets.csv")
@require("export.read")
@blp.arguments(ExportFilterArgs, location="query")
@blp.response(200, description="UTF-8 CSV with a BOM", content_type="text/csv")
def export_csv(args: dict[str, Any]) -> Response:
    """Tickets as CSV (Excel-ready; formula-like cells neutralised)"""
    return _download("csv", args)


@blp.route("/tickets.xlsx")
@require("export.read")
@blp.arguments(ExportFilterArgs, location="query")
@blp.response(200, description="An Excel workbook", content_type=exports.MEDIA_TYPES["xlsx"])
def export_xlsx(args: dict[str, Any]) -> Response:
    """Tickets as an Excel workbook (formulas and links off)"""
    return _download("xlsx", args)


@blp.route("/tickets.geojson")
@require("export.read")
@blp.arguments(ExportFilterArgs, location="query")
@blp.response(200, description="A GeoJSON FeatureCollection", content_type="application/geo+json")
def export_geojson(args: dict[str, Any]) -> Response:
    """Tickets as a GeoJSON FeatureCollection of points"""
    return _download("geojson", args)


def _job_view(job: ExportJob) -> dict[str, Any]:
    view = {
        column: getattr(job, column)
        for column in (
            "id", "format", "status", "filters", "row_count", "error",
            "created_at", "started_at", "finished_at",
        )
    }  # fmt: skip
    view["download_url"] = view["download_expires_in"] = None
    if job.status == "done" and job.storage_key:
        ttl = current_app.config["SOSOFT"].EXPORT_URL_TTL_SECONDS
        storage = current_app.extensions["sosoft.storage"]
        view["download_url"] = storage.url(job.storage_key, expires_in=ttl)
        view["download_expires_in"] = ttl
    return view


@blp.route("", methods=["POST"])
@require("export.read")
@blp.arguments(ExportJobRequest)
@blp.response(202, ExportJobSchema)
def start_export(body: dict[str, Any]) -> tuple[dict[str, Any], int, dict[str, str]]:
    """Start a background export; poll the job for its download link"""
    principal = current_principal()
    filters = ticket_filters(body["filters"], principal)
    session = request_session()
    job = ExportJob(
        id=uuid.uuid4(),
        format=body["format"],
        filters=export_jobs.filters_to_json(filters),
        requested_by_id=principal.user.id if principal.user else None,
        api_key_id=principal.api_key.id if principal.api_key else None,
    )
    session.add(job)
    session.commit()
    # If Redis is away the job stays queued and the beat sweep sends it again.
    jobs.enqueue(current_app.config["SOSOFT"], "tasks.exports.build_export", str(job.id))
    location = url_for("exports.get_export", job_id=job.id)
    return _job_view(job), 202, {"Location": location}


@blp.route("/<uuid:job_id>")
@require("export.read")
@blp.response(200, ExportJobSchema)
@blp.alt_response(404, description="No such job among yours")
def get_export(job_id: uuid.UUID) -> dict[str, Any]:
    """A background export's status, row count and (when done) download link"""
    principal = current_principal()
    job = request_session().get(ExportJob, job_id)
    mine = job is not None and (
        (principal.user is not None and job.requested_by_id == principal.user.id)
        or (principal.api_key is not None and job.api_key_id == principal.api_key.id)
    )
    if not mine:
        abort(404, message="no such export job")
    return _job_view(job)

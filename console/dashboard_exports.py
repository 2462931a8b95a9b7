"""The dashboard's exports: the tickets of its filters as CSV, XLSX or GeoJSON,
streamed now (core.tickets.exports, as the API's download endpoints) or built in the
background (an ExportJob for the worker, as `POST /api/v1/analytics/exports`)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from flask import Response, redirect, request, url_for

from console.blueprint import bp, settings
from console.dashboard import _view
from console.errors import not_found_page
from console.manager_access import manager_page
from console.session import signed_in_user
from core import jobs
from core.models import ExportJob
from core.models.exports import EXPORT_FORMATS
from core.tickets import export_jobs, exports
from web.request_session import keep_session_for, request_session


@bp.get("/dashboard/tickets.<fmt>")
@manager_page("export.read")
def dashboard_download(fmt: str) -> Response:
    if fmt not in EXPORT_FORMATS:
        return not_found_page()  # type: ignore[return-value]
    filters = _view().ticket_filters(settings().CITY_TIMEZONE)
    now = datetime.now(UTC)
    sql, params = exports.export_query(filters, settings(), now, fmt=fmt)
    # Rows read in the request's own transaction, open until the body is sent.
    raw = request_session().connection().connection.driver_connection
    response = Response(
        exports.stream(fmt, raw, sql, params),
        content_type=exports.MEDIA_TYPES[fmt],
        headers={
            "Content-Disposition": f'attachment; filename="tickets-{now:%Y%m%d-%H%M%S}.{fmt}"'
        },
    )
    keep_session_for(response)
    return response


@bp.post("/dashboard/exports")
@manager_page("export.read")
def dashboard_export_start():
    fmt = request.form.get("format", "")
    if fmt not in EXPORT_FORMATS:
        return not_found_page()
    filters = _view().ticket_filters(settings().CITY_TIMEZONE)
    job = ExportJob(id=uuid.uuid4(), format=fmt, filters=export_jobs.filters_to_json(filters),
                    requested_by_id=signed_in_user().id)  # fmt: skip
    request_session().add(job)
    request_session().commit()
    # If Redis is away the job stays queued and the beat sweep sends it again.
    jobs.enqueue(settings(), "tasks.exports.build_export", str(job.id))
    return redirect(url_for("console.dashboard", **request.args.to_dict()) + "#exports")

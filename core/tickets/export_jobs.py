"""Background exports: the job row's life (queued → running → done | failed) and the
work itself, shared by the Celery task and tests. Safe to run twice: a finished job
is left alone, and the file is written under the job's own key."""

from __future__ import annotations

import logging
import os
import tempfile
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import psycopg
from sqlalchemy.orm import Session

from core.config import Settings
from core.models import ExportJob
from core.storage import Storage
from core.tickets import exports
from core.tickets.queries import TicketFilters

log = logging.getLogger(__name__)
FINISHED = ("done", "failed")


def storage_key(job: ExportJob) -> str:
    return f"exports/{job.id}.{job.format}"


def filters_from_json(data: dict[str, Any]) -> TicketFilters:
    """Rebuild the filters stored on a job (see admin_api/exports.py `job_filters`)."""
    values = dict(data)
    for name in ("created_from", "created_to"):
        if values.get(name):
            values[name] = datetime.fromisoformat(values[name])
    for name in ("statuses", "priorities", "bbox", "near"):
        if values.get(name) is not None:
            values[name] = tuple(values[name])
    return TicketFilters(**values)


def filters_to_json(filters: TicketFilters) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, value in vars(filters).items():
        if isinstance(value, datetime):
            value = value.isoformat()
        elif isinstance(value, tuple):
            value = list(value)
        out[name] = value
    return out


def start(session: Session, job_id: uuid.UUID) -> ExportJob | None:
    """Mark the job running (the caller commits); None when there is nothing to do."""
    job = session.get(ExportJob, job_id, with_for_update=True)
    if job is None or job.status in FINISHED:
        return None
    job.status = "running"
    job.started_at = datetime.now(UTC)
    return job


def build(session: Session, settings: Settings, storage: Storage, job: ExportJob) -> ExportJob:
    """Write the file, store it, record the row count (the caller commits)."""
    raw: psycopg.Connection = session.connection().connection.driver_connection
    now = datetime.now(UTC)
    filters = filters_from_json(job.filters)
    sql, params = exports.export_query(filters, settings, now, fmt=job.format)
    with tempfile.TemporaryDirectory(prefix="sosoft-export-") as folder:
        path = os.path.join(folder, f"export.{job.format}")
        rows = _WRITERS[job.format](raw, sql, params, path)
        # Storage takes bytes; a worker can afford one file in memory, the web can't.
        with open(path, "rb") as fh:
            storage.put(storage_key(job), fh.read(), exports.MEDIA_TYPES[job.format])
    job.row_count = rows
    job.storage_key = storage_key(job)
    job.status = "done"
    job.finished_at = datetime.now(UTC)
    return job


def fail(session: Session, job_id: uuid.UUID, error: str) -> None:
    job = session.get(ExportJob, job_id)
    if job is not None and job.status not in FINISHED:
        job.status = "failed"
        job.error = error[:500]
        job.finished_at = datetime.now(UTC)


def _write_stream(stream: Callable) -> Callable[..., int]:
    def write(raw: psycopg.Connection, sql: str, params: dict, path: str) -> int:
        stats: dict[str, int] = {}
        with open(path, "wb") as fh:
            for chunk in stream(raw, sql, params, stats):
                fh.write(chunk)
        return stats["rows"]

    return write


_WRITERS: dict[str, Callable[..., int]] = {
    "csv": _write_stream(exports.csv_stream),
    "geojson": _write_stream(exports.geojson_stream),
    "xlsx": exports.write_xlsx,
}

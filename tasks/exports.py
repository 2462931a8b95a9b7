"""Building big exports in the background (`POST /api/v1/analytics/exports`)."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from celery import shared_task
from sqlalchemy import select

from core import export_jobs, jobs
from core.models import ExportJob
from core.storage import Storage, make_storage
from tasks import context

log = logging.getLogger(__name__)
BUILD_TASK = "tasks.exports.build_export"
STALE_AFTER = timedelta(minutes=5)


@lru_cache(maxsize=1)
def _storage() -> Storage:
    return make_storage(context.settings())


@shared_task(name=BUILD_TASK, ignore_result=True)
def build_export(job_id: str) -> str | None:
    """Write the job's file to storage; a second run of a finished job does nothing."""
    job_uuid = uuid.UUID(job_id)
    database = context.database()
    with database.transaction() as session:
        job = export_jobs.start(session, job_uuid)
        if job is None:
            return None
    try:
        with database.transaction() as session:
            job = session.get(ExportJob, job_uuid)
            export_jobs.build(session, context.settings(), _storage(), job)
            return job.status
    except Exception as exc:
        log.exception("export %s failed", job_id)
        with database.transaction() as session:
            export_jobs.fail(session, job_uuid, f"{type(exc).__name__}: the export failed")
        return "failed"


@shared_task(name="tasks.exports.requeue_stale_exports", ignore_result=True)
def requeue_stale_exports() -> int:
    """Send again jobs still queued (Redis was down) or running on a dead worker."""
    cutoff = datetime.now(UTC) - STALE_AFTER
    with context.database().transaction() as session:
        stale = session.scalars(
            select(ExportJob.id).where(
                ExportJob.status.in_(("queued", "running")),
                ExportJob.created_at < cutoff,
                (ExportJob.started_at.is_(None)) | (ExportJob.started_at < cutoff - STALE_AFTER),
            )
        ).all()
    for job_id in stale:
        jobs.enqueue(context.settings(), BUILD_TASK, str(job_id))
    return len(stale)

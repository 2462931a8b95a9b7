"""Building big exports in the background (`POST /api/v1/analytics/exports`)."""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime, timedelta

from celery import shared_task
from sqlalchemy import select

from core import jobs
from core.db import Database
from core.models import ExportJob
from core.storage import Storage
from core.tickets import export_jobs
from tasks.context import SoSoftTask

log = logging.getLogger(__name__)
BUILD_TASK = "tasks.exports.build_export"
STALE_AFTER = timedelta(minutes=5)
EXPIRE_BATCH = 500


@shared_task(name=BUILD_TASK, bind=True, ignore_result=True)
def build_export(self: SoSoftTask, job_id: str) -> str | None:
    """Write the job's file to storage; a second run of a finished job does nothing."""
    job_uuid = uuid.UUID(job_id)
    database = self.database
    with database.transaction() as session:
        job = export_jobs.start(session, job_uuid)
        if job is None:
            return None
    try:
        with database.transaction() as session:
            job = session.get(ExportJob, job_uuid)
            export_jobs.build(session, self.settings, self.storage, job)
            return job.status
    except Exception as exc:
        log.exception("export %s failed", job_id)
        with database.transaction() as session:
            export_jobs.fail(session, job_uuid, f"{type(exc).__name__}: the export failed")
        return "failed"


@shared_task(name="tasks.exports.expire_exports", bind=True, ignore_result=True)
def expire_exports(self: SoSoftTask) -> int:
    """Delete the files of exports built more than EXPORT_KEEP_HOURS ago."""
    return expire(
        self.database,
        self.storage,
        datetime.now(UTC) - timedelta(hours=self.settings.EXPORT_KEEP_HOURS),
    )


def expire(database: Database, storage: Storage, built_before: datetime) -> int:
    """Finished exports (built or failed) older than `built_before`: file deleted (a
    missing one is fine: a rerun after a crash), status `expired`. A batch per call."""
    with database.transaction() as session:
        old = session.scalars(
            select(ExportJob)
            .where(ExportJob.status.in_(("done", "failed")), ExportJob.finished_at < built_before)
            .order_by(ExportJob.finished_at)
            .limit(EXPIRE_BATCH)
            .with_for_update(skip_locked=True)
        ).all()
        for job in old:
            if job.storage_key:
                storage.delete(job.storage_key)
            job.status, job.storage_key = "expired", None
    return len(old)


@shared_task(name="tasks.exports.requeue_stale_exports", bind=True, ignore_result=True)
def requeue_stale_exports(self: SoSoftTask) -> int:
    """Send again jobs still queued (Redis was down) or running on a dead worker."""
    cutoff = datetime.now(UTC) - STALE_AFTER
    with self.database.transaction() as session:
        stale = session.scalars(
            select(ExportJob.id).where(
                ExportJob.status.in_(("queued", "running")),
                ExportJob.created_at < cutoff,
                (ExportJob.started_at.is_(None)) | (ExportJob.started_at < cutoff - STALE_AFTER),
            )
        ).all()
    for job_id in stale:
        jobs.enqueue(self.settings, BUILD_TASK, str(job_id))
    return len(stale)

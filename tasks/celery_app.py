"""Building the Celery app from SoSoft's settings."""

from __future__ import annotations

from celery import Celery
from celery.schedules import crontab
from dotenv import load_dotenv

from core.config import Settings
from core.error_reporting import init_error_reporting
from core.messaging import outbox
from core.messaging.ways_out import warn_of_kinds_without_way_out
from tasks.context import SoSoftTask

# Every module that defines tasks; beat schedules live next to their tasks.
TASK_MODULES: list[str] = [
    "tasks.notifications",
    "tasks.sweeps",
    "tasks.media",
    "tasks.analytics",
    "tasks.exports",
    "tasks.geocoding",
]

BEAT_SCHEDULE = {
    "outbox-relay": {"task": "tasks.sweeps.relay_outbox", "schedule": 60.0},
    "conversation-expiry": {"task": "tasks.sweeps.expire_conversations", "schedule": 60.0},
    "sla-breaches": {"task": "tasks.sweeps.flag_sla_breaches", "schedule": 60.0},
    "auto-close": {"task": "tasks.sweeps.auto_close_resolved", "schedule": 900.0},
    "retention": {"task": "tasks.sweeps.apply_retention", "schedule": crontab(hour=3, minute=30)},
    "export-requeue": {"task": "tasks.exports.requeue_stale_exports", "schedule": 300.0},
    "export-expiry": {"task": "tasks.exports.expire_exports", "schedule": 3600.0},
    "media-relay": {"task": "tasks.media.relay_unfetched_media", "schedule": 60.0},
    "draft-photo-purge": {"task": "tasks.media.purge_abandoned_draft_photos", "schedule": 3600.0},
}


def make_celery(settings: Settings | None = None) -> Celery:
    if settings is None:
        load_dotenv(override=False)
        settings = Settings.from_env()
    settings.check()
    init_error_reporting(settings, "worker")
    if settings.is_production:  # the worker is where such messages get skipped
        warn_of_kinds_without_way_out(settings)
    app = Celery(
        "sosoft",
        broker=settings.REDIS_URL,
        backend=None,
        include=TASK_MODULES,
        # Tasks read the settings from the app that runs them (tasks/context.py).
        task_cls=SoSoftTask,
    )
    app.conf.update(
        task_ignore_result=True,
        # A killed worker's task comes back to the queue instead of being lost...
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        # ...and one worker holds only the task it is running.
        worker_prefetch_multiplier=1,
        broker_connection_retry_on_startup=True,
        broker_transport_options={"visibility_timeout": 3600},
        timezone="UTC",
        enable_utc=True,
        beat_schedule={
            **BEAT_SCHEDULE,
            "analytics-rollup": {
                "task": "tasks.analytics.refresh_rollups",
                "schedule": float(settings.ANALYTICS_REFRESH_SECONDS),
            },
        },
    )
    app.conf.sosoft_settings = settings
    # Sweeps write outbox rows too (auto-close, SLA alerts): enqueue them after commit.
    outbox.install(settings)
    return app

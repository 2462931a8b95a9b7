"""Building the Celery app from SoSoft's settings."""

from __future__ import annotations

from celery import Celery
from celery.schedules import crontab
from dotenv import load_dotenv

from core.config import Settings
from core.error_reporting import init_error_reporting
from core.messaging import outbox
from core.messaging.ways_out import warn_of_kinds_without_way_out
from tasks import broker
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

# Fixed schedules; the sweeps' intervals are settings (`beat_schedule`).
BEAT_SCHEDULE = {
    "export-requeue": {"task": "tasks.exports.requeue_stale_exports", "schedule": 300.0},
    "export-expiry": {"task": "tasks.exports.expire_exports", "schedule": 3600.0},
    "draft-photo-purge": {"task": "tasks.media.purge_abandoned_draft_photos", "schedule": 3600.0},
}


def retention_crontab(line: str) -> crontab:
    """`minute hour day month weekday` (UTC, beat's timezone) as Celery's crontab."""
    minute, hour, day, month, weekday = line.split()
    return crontab(
        minute=minute, hour=hour, day_of_month=day, month_of_year=month, day_of_week=weekday
    )


def beat_schedule(settings: Settings) -> dict[str, dict[str, object]]:
    """Every beat entry, the sweeps' intervals read from `settings`."""

    def every(task: str, seconds: float) -> dict[str, object]:
        return {"task": task, "schedule": float(seconds)}

    return {
        "outbox-relay": every("tasks.sweeps.relay_outbox", settings.OUTBOX_RELAY_INTERVAL_SECONDS),
        "conversation-expiry": every(
            "tasks.sweeps.expire_conversations", settings.CONVERSATION_EXPIRY_INTERVAL_SECONDS
        ),
        "sla-breaches": every(
            "tasks.sweeps.flag_sla_breaches", settings.SLA_SWEEP_INTERVAL_SECONDS
        ),
        "auto-close": every(
            "tasks.sweeps.auto_close_resolved", settings.AUTO_CLOSE_INTERVAL_SECONDS
        ),
        "retention": {
            "task": "tasks.sweeps.apply_retention",
            "schedule": retention_crontab(settings.RETENTION_CRON),
        },
        "media-relay": every(
            "tasks.media.relay_unfetched_media", settings.MEDIA_RELAY_INTERVAL_SECONDS
        ),
        "analytics-rollup": every(
            "tasks.analytics.refresh_rollups", settings.ANALYTICS_REFRESH_SECONDS
        ),
        **default_heatmaps(settings),
        **BEAT_SCHEDULE,
    }


def default_heatmaps(settings: Settings) -> dict[str, dict[str, object]]:
    """Beat's entry for the shared default heatmaps, none when they are off (0)."""
    if settings.HEATMAP_PRECOMPUTE_SECONDS <= 0:
        return {}
    task = "tasks.analytics.share_default_heatmaps"
    return {"default-heatmaps": {"task": task, "schedule": settings.HEATMAP_PRECOMPUTE_SECONDS}}


def make_celery(settings: Settings | None = None) -> Celery:
    if settings is None:
        load_dotenv(override=False)
        settings = Settings.from_env()
    settings.check()
    # Redis going away must not end the worker (tasks/broker.py).
    broker.install()
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
        beat_schedule=beat_schedule(settings),
        beat_scheduler="tasks.beat_scheduler:BeatScheduler",
    )
    app.conf.sosoft_settings = settings
    # Sweeps write outbox rows too (auto-close, SLA alerts): enqueue them after commit.
    outbox.install(settings)
    return app

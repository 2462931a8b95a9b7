"""Building the Celery app from SoSoft's settings."""

from __future__ import annotations

from celery import Celery
from dotenv import load_dotenv

from core.config import Settings

# Every module that defines tasks; beat schedules live next to their tasks.
TASK_MODULES: list[str] = []


def make_celery(settings: Settings | None = None) -> Celery:
    if settings is None:
        load_dotenv(override=False)
        settings = Settings.from_env()
    settings.check()
    app = Celery("sosoft", broker=settings.REDIS_URL, backend=None, include=TASK_MODULES)
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
        beat_schedule={},
    )
    app.conf.sosoft_settings = settings
    return app

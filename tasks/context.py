"""What a task needs from its process: the settings, one Database and one Storage.

Every SoSoft task is a `SoSoftTask` bound to the app that runs it, and reads these
from that app. Never from Celery's `current_app`: any other Celery instance built in
the process becomes current (the enqueue client of `core.jobs` did, on a worker's
first own enqueue), and every later task of that process then read the wrong app.
"""

from __future__ import annotations

from functools import lru_cache

from celery import Task

from core.config import Settings
from core.db import Database
from core.storage import Storage, make_storage


class SoSoftTask(Task):
    """The base of every task (the app's `task_cls`); tasks take it with `bind=True`."""

    @property
    def settings(self) -> Settings:
        return self.app.conf.sosoft_settings

    @property
    def database(self) -> Database:
        return _database(self.settings)

    @property
    def storage(self) -> Storage:
        return _storage(self.settings)


# One pool per database for the whole process, whatever else differs between settings
# (tests start workers with many variants): a pool dropped from a cache would leave its
# connections open until the garbage collector found them.
_databases: dict[str, Database] = {}


def _database(settings: Settings) -> Database:
    if settings.DATABASE_URL not in _databases:
        _databases[settings.DATABASE_URL] = Database(settings)
    return _databases[settings.DATABASE_URL]


@lru_cache(maxsize=4)
def _storage(settings: Settings) -> Storage:
    return make_storage(settings)

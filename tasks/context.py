"""What a task needs from its process: the settings and one Database per worker."""

from __future__ import annotations

from functools import lru_cache

from celery import current_app

from core.config import Settings
from core.db import Database


def settings() -> Settings:
    return current_app.conf.sosoft_settings


@lru_cache(maxsize=4)
def _database(database_url: str) -> Database:
    return Database(settings())


def database() -> Database:
    return _database(settings().DATABASE_URL)

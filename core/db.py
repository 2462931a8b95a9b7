"""Database engine and sessions.

One `Database` per process (web app, Celery worker, CLI command). Sessions are
opened per request / task / command and committed only at that boundary: nothing
in `core/` commits on its own.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, create_engine
from sqlalchemy.orm import Session, sessionmaker

from core.config import Settings


def make_engine(settings: Settings) -> Engine:
    return create_engine(
        settings.DATABASE_URL,
        pool_pre_ping=True,
        pool_size=settings.DATABASE_POOL_SIZE,
        max_overflow=settings.DATABASE_POOL_SIZE,
        future=True,
    )


class Database:
    """An engine and the session factory bound to it.

    Tests replace `session_factory` with one bound to an outer transaction so each
    test rolls back (see tests/conftest.py).
    """

    def __init__(self, settings: Settings, engine: Engine | None = None) -> None:
        self.engine = engine or make_engine(settings)
        self.session_factory: sessionmaker[Session] = sessionmaker(
            bind=self.engine, expire_on_commit=False
        )

    def session(self) -> Session:
        return self.session_factory()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session for one unit of work: committed on success, rolled back on error."""
        session = self.session()
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
        finally:
            session.close()

    def dispose(self) -> None:
        self.engine.dispose()

"""Test fixtures: real PostgreSQL/PostGIS and Redis.

The schema is migrated once per test session with Alembic; each test then runs
inside an outer transaction that is rolled back (SQLAlchemy's "joining a session
into an external transaction" recipe), so tests are isolated and fast. Tests that
need real commits seen by other connections (threads, Celery workers) use
`committed_db`, which truncates every table afterwards.
"""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
import redis as redis_lib
from alembic import command
from alembic.config import Config
from flask import Flask
from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from core.config import Settings
from core.db import Database
from core.messaging import outbox
from core.models import Base, Team, User
from core.people.tokens import issue_access_token
from core.tickets.seed_data import seed_defaults
from sosoft import create_app
from web.request_session import EXTENSION_KEY

TEST_DATABASE_URL = os.environ.get(
    "TEST_DATABASE_URL",
    os.environ.get("DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/sosoft_test"),
)
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
REPO_ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def alembic_config(database_url: str) -> Config:
    config = Config(os.path.join(REPO_ROOT, "alembic.ini"))
    config.set_main_option("script_location", os.path.join(REPO_ROOT, "migrations"))
    config.attributes["database_url"] = database_url
    config.attributes["configure_logger"] = False
    return config


@pytest.fixture(scope="session")
def settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return Settings.from_env(
        {},
        APP_ENV="test",
        DATABASE_URL=TEST_DATABASE_URL,
        REDIS_URL=TEST_REDIS_URL,
        MEDIA_DIR=str(tmp_path_factory.mktemp("media")),
        PUBLIC_BASE_URL="http://testserver.local",
        TWILIO_ACCOUNT_SID="AC" + "0" * 32,
        TWILIO_AUTH_TOKEN="test-auth-token",
        TWILIO_WHATSAPP_FROM="+14155238886",
        TWILIO_SMS_FROM="SOSOFT",
        LOG_LEVEL="WARNING",
        # Tests assert exact live hotspots; the maximum-age tests pass their own.
        HOTSPOTS_MAX_AGE_SECONDS=0,
    )


@pytest.fixture(scope="session")
def engine(settings: Settings) -> Iterator[Engine]:
    engine = create_engine(settings.DATABASE_URL, pool_pre_ping=True)
    # Start from an empty schema every session, so the suite always proves that the
    # migrations build the whole schema from nothing.
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    command.upgrade(alembic_config(settings.DATABASE_URL), "head")
    yield engine
    engine.dispose()


@pytest.fixture(scope="session")
def app(settings: Settings, engine: Engine) -> Iterator[Flask]:
    app = create_app(settings)
    app.config["TESTING"] = True
    yield app
    app.extensions[EXTENSION_KEY].dispose()


@pytest.fixture
def app_factory(engine: Engine, settings: Settings) -> Iterator:
    """`app_factory(settings)` builds extra apps; their connection pools are closed after,
    and the outbox goes back to the session's settings (an extra app on the same
    database with another Redis, a dead one say, would otherwise take over every later
    test's after-commit enqueues)."""
    built: list[Flask] = []

    def build(settings: Settings) -> Flask:
        extra = create_app(settings)
        extra.config["TESTING"] = True
        built.append(extra)
        return extra

    yield build
    for extra in built:
        extra.extensions[EXTENSION_KEY].dispose()
    if built:
        outbox.install(settings)


@pytest.fixture(scope="session")
def redis_client(settings: Settings) -> redis_lib.Redis:
    return redis_lib.Redis.from_url(settings.REDIS_URL)


@pytest.fixture(autouse=True)
def _clean_redis(redis_client: redis_lib.Redis) -> None:
    # Rate-limit counters and the dev sink must not leak from one test to the next.
    redis_client.flushdb()


@pytest.fixture
def db(app: Flask, engine: Engine) -> Iterator[Session]:
    """A session inside a transaction that is rolled back after the test.

    The app's sessions (requests, CLI commands) join the same transaction through
    savepoints, so what a request commits is visible here and gone afterwards.
    """
    database: Database = app.extensions[EXTENSION_KEY]
    # The console keeps its form choices (teams, staff) per process for a few seconds:
    # each test's rows are new, so none may see the last test's.
    app.extensions.pop("console.choices", None)
    original = database.session_factory
    connection = engine.connect()
    outer = connection.begin()
    database.session_factory = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    session = database.session()
    try:
        yield session
    finally:
        session.close()
        database.session_factory = original
        if outer.is_active:
            outer.rollback()
        connection.close()


@pytest.fixture
def committed_db(app: Flask, engine: Engine) -> Iterator[Database]:
    """Real commits (for threads and workers); every table is emptied afterwards."""
    database: Database = app.extensions[EXTENSION_KEY]
    try:
        yield database
    finally:
        tables = ", ".join(table.name for table in reversed(Base.metadata.sorted_tables))
        with engine.begin() as connection:
            connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def client(app: Flask, db: Session) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def runner(app: Flask, db: Session) -> FlaskCliRunner:
    return app.test_cli_runner()


@pytest.fixture
def seeded(db: Session) -> Session:
    """The default categories and teams."""
    seed_defaults(db)
    db.flush()
    return db


class UserFactory:
    """Creates users with distinct valid Turkish mobile numbers."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.counter = 0

    def __call__(
        self,
        role: str = "citizen",
        *,
        name: str | None = None,
        team: Team | None = None,
        locale: str = "tr",
        phone: str | None = None,
        teams: tuple[Team, ...] = (),
        **fields: object,
    ) -> User:
        self.counter += 1
        user = User(
            phone=phone or f"+90532{self.counter:07d}",
            full_name=name or f"{role.title()} {self.counter}",
            role=role,
            teams=[team, *teams] if team else list(teams),
            locale=locale,
            **fields,
        )
        self.session.add(user)
        self.session.flush()
        return user


@pytest.fixture
def make_user(db: Session) -> UserFactory:
    return UserFactory(db)


@pytest.fixture
def bearer(settings: Settings):
    """`bearer(user)` -> headers with a fresh access token for `user`."""

    def headers(user: User) -> dict[str, str]:
        token, _ = issue_access_token(settings, user)
        return {"Authorization": f"Bearer {token}"}

    return headers


@pytest.fixture
def make_ticket(seeded: Session, settings: Settings, make_user: UserFactory):
    """`make_ticket(reporter=, category="infrastructure", status="new", lat=, lon=, …)`:
    a ticket opened through core.tickets.opening, then put straight into `status` (setup
    only; tests of the workflow itself go through the API)."""
    from sqlalchemy import select

    from core.models import Category
    from core.tickets.opening import open_ticket

    def create(
        reporter: User | None = None,
        *,
        category: str = "infrastructure",
        description: str = "Yolda büyük bir çukur var, araçlar zarar görüyor.",
        status: str = "new",
        lat: float | None = 41.0082,
        lon: float | None = 28.9784,
        address: str | None = None,
        **fields: object,
    ):
        reporter = reporter or make_user("citizen")
        found = seeded.scalar(select(Category).where(Category.code == category))
        ticket = open_ticket(
            seeded, settings, category=found, description=description, channel="whatsapp",
            reporter=reporter, lat=lat, lon=lon, address=address or (None if lat else "Kadıköy"),
        )  # fmt: skip
        ticket.status = status
        for name, value in fields.items():
            setattr(ticket, name, value)
        seeded.flush()
        return ticket

    return create


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    # Each phase's report on the test item, so fixtures can tell in teardown whether
    # the test failed (the browser tests keep a screenshot then).
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"report_{report.when}", report)

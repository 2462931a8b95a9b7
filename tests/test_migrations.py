"""The migrations build the whole schema, tear it down and build it again, and
match the models exactly (`alembic check` finds nothing to generate)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

from core.config import Settings
from core.models import Base
from tests.conftest import alembic_config

# Staff in several teams (users.team_id becomes user_teams).
USER_TEAMS = "0010"


@pytest.fixture(scope="module")
def scratch_url(settings: Settings) -> Iterator[str]:
    url = make_url(settings.DATABASE_URL)
    name = f"{url.database}_migrations"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"spatial_ref_sys", "alembic_version"}
    finally:
        engine.dispose()


def test_upgrade_downgrade_upgrade_and_models_match(scratch_url: str) -> None:
    config = alembic_config(scratch_url)
    model_tables = set(Base.metadata.tables)

    command.upgrade(config, "head")
    assert tables(scratch_url) == model_tables
    command.check(config)  # raises when models and migrations differ

    command.downgrade(config, "base")
    assert tables(scratch_url) == set()

    command.upgrade(config, "head")
    assert tables(scratch_url) == model_tables
    command.check(config)


def test_postgis_is_installed_by_the_migration(engine) -> None:
    with engine.connect() as connection:
        version = connection.scalar(text("SELECT postgis_version()"))
    assert version


def test_each_user_s_team_becomes_their_membership_and_back(scratch_url: str) -> None:
    config = alembic_config(scratch_url)
    before = ScriptDirectory.from_config(config).get_revision(USER_TEAMS).down_revision
    command.upgrade(config, "head")
    command.downgrade(config, before)
    engine = create_engine(scratch_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO teams (id, name) VALUES (1, 'Yollar'), (2, 'Parklar')")
            )
            connection.execute(text(
                "INSERT INTO users (id, phone, role, team_id) VALUES"
                " (1, '+905320000001', 'support', 2), (2, '+905320000002', 'manager', NULL)"
            ))  # fmt: skip
        command.upgrade(config, USER_TEAMS)
        with engine.begin() as connection:
            members = connection.execute(text("SELECT user_id, team_id FROM user_teams")).all()
            assert members == [(1, 2)]
            connection.execute(text("INSERT INTO user_teams VALUES (1, 1), (2, 2)"))
        command.downgrade(config, before)
        with engine.begin() as connection:
            teams = connection.execute(text("SELECT id, team_id FROM users ORDER BY id")).all()
            assert teams == [(1, 1), (2, 2)]  # one team each again: the lowest id
            connection.execute(text("DELETE FROM users; DELETE FROM teams"))
    finally:
        engine.dispose()
    command.upgrade(config, "head")

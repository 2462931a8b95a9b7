"""`flask --app wsgi seed`: the default categories and their teams."""

from __future__ import annotations

import click
from flask.cli import with_appcontext

from core.tickets.seed_data import seed_defaults
from web.request_session import database


@click.command("seed")
@with_appcontext
def seed_command() -> None:
    """Create the six default categories and a team for each (idempotent)."""
    with database().transaction() as session:
        teams, categories = seed_defaults(session)
    click.echo(f"seeded: {teams} teams and {categories} categories added")

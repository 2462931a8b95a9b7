"""`flask --app wsgi create-api-key`: a key for an integration, with its scopes."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext

from core.errors import Refused
from core.people.api_keys import create_api_key
from core.people.permissions import SCOPE_PERMISSIONS
from web.request_session import database


@click.command("create-api-key")
@with_appcontext
@click.option("--name", required=True, help="What the key is for; shown in ticket timelines.")
@click.option(
    "--scope",
    "scopes",
    multiple=True,
    required=True,
    help=f"Repeat for several: {', '.join(sorted(SCOPE_PERMISSIONS))}.",
)
def create_api_key_command(name: str, scopes: tuple[str, ...]) -> None:
    """Create an API key and print its secret (the only time it is shown)."""
    with database().transaction() as session:
        try:
            key, secret = create_api_key(
                session, current_app.config["SOSOFT"], name=name, scopes=list(scopes),
                created_by=None,
            )  # fmt: skip
        except Refused as exc:
            raise click.UsageError(str(exc)) from None
        click.echo(f"created API key #{key.id} {key.name} ({', '.join(key.scopes)})")
        click.echo(secret)

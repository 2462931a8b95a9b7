"""`flask --app wsgi create-user`: add a staff member (or citizen) by phone."""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import with_appcontext
from sqlalchemy import select

from core.errors import Refused
from core.logging_setup import mask_phone
from core.models import Team
from core.models.people import ROLES
from core.people.phones import InvalidPhone
from core.people.users import create_user
from web.request_session import database


@click.command("create-user")
@with_appcontext
@click.option("--phone", required=True, help="Mobile number, e.g. 05321234567 or +905321234567.")
@click.option("--name", required=True, help="Full name.")
@click.option("--role", required=True, help=f"One of: {', '.join(ROLES)}.")
@click.option(
    "--team", "teams", multiple=True, help="Team name (staff); repeat for each team they work for."
)
@click.option("--locale", default=None, help="tr or en (default: DEFAULT_LOCALE).")
def create_user_command(
    phone: str, name: str, role: str, teams: tuple[str, ...], locale: str | None
) -> None:
    """Create a user who then signs in with a one-time code."""
    settings = current_app.config["SOSOFT"]
    with database().transaction() as session:
        team_rows = []
        for team in dict.fromkeys(teams):
            team_row = session.scalar(select(Team).where(Team.name == team))
            if team_row is None:
                raise click.UsageError(f"no team named {team!r}")
            team_rows.append(team_row)
        try:
            user = create_user(
                session,
                settings,
                phone=phone,
                full_name=name,
                role=role,
                teams=team_rows,
                locale=locale,
            )
        except (InvalidPhone, Refused) as exc:
            raise click.UsageError(str(exc)) from None
        teams_text = f" in {', '.join(team.name for team in team_rows)}" if team_rows else ""
        click.echo(
            f"created {user.role} #{user.id} {user.full_name}"
            f" ({mask_phone(user.phone or '')}){teams_text}"
        )

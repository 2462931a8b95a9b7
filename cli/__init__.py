"""`flask --app wsgi …` commands."""

from __future__ import annotations

from flask import Flask


def register_commands(app: Flask) -> None:
    from cli import seed, users

    app.cli.add_command(seed.seed_command)
    app.cli.add_command(users.create_user_command)

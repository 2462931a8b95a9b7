"""`flask --app wsgi …` commands."""

from __future__ import annotations

from flask import Flask


def register_commands(app: Flask) -> None:
    from cli import api_keys, bot_chat, demo_data, seed, users

    app.cli.add_command(seed.seed_command)
    app.cli.add_command(users.create_user_command)
    app.cli.add_command(api_keys.create_api_key_command)
    app.cli.add_command(demo_data.demo_data_command)
    app.cli.add_command(bot_chat.bot_group)

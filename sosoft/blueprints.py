"""Which blueprints the web process serves (the factory's table of contents)."""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

import admin_api
import admin_api.open311
import bot
import console
from core.config import Settings
from web import dev_messages, docs, media, ops
from web.limits import never_limit


def register_blueprints(app: Flask, api: Api, settings: Settings) -> None:
    app.register_blueprint(ops.bp)
    app.register_blueprint(docs.bp)
    app.register_blueprint(media.bp)
    dev_messages.register(app, settings)
    for blueprint in admin_api.blueprints():
        api.register_blueprint(blueprint)
    for blueprint in bot.blueprints():
        # Twilio's webhooks are authenticated by their signature, and a 429 would
        # only make Twilio retry: no per-request limiter bookkeeping on them.
        never_limit(blueprint)
        app.register_blueprint(blueprint)
    for blueprint in admin_api.open311.blueprints():
        app.register_blueprint(blueprint)
    for blueprint in console.blueprints():
        app.register_blueprint(blueprint)

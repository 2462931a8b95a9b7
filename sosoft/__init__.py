"""The web process: `create_app` builds the Flask app that serves the Twilio
webhooks, the admin API, the docs and the ops endpoints."""

from __future__ import annotations

import redis
from dotenv import load_dotenv
from flask import Flask, Request, Response
from flask.sessions import SessionInterface, SessionMixin
from flask_smorest import Api
from werkzeug.middleware.proxy_fix import ProxyFix

from core.analytics import shared_cells
from core.config import Settings
from core.db import Database
from core.error_reporting import init_error_reporting
from core.logging_setup import configure_logging
from core.messaging import outbox
from core.messaging.gateway import make_gateway
from core.messaging.ways_out import warn_of_kinds_without_way_out
from core.storage import make_storage
from sosoft.blueprints import register_blueprints
from sosoft.flask_app import SoSoftFlask
from sosoft.request_ids import RequestIds
from web import docs, json_text, request_session
from web.errors import register_error_handlers
from web.limits import limiter, scope_limiter_hooks
from web.ops import Metrics


def create_app(settings: Settings | None = None) -> Flask:
    if settings is None:
        load_dotenv(override=False)  # the environment wins over .env
        settings = Settings.from_env()
    settings.check()

    app = SoSoftFlask(__name__)
    app.session_interface = NoCookieSessions()
    if settings.TRUSTED_PROXY_COUNT > 0:
        hops = settings.TRUSTED_PROXY_COUNT
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    app.config.update(
        SOSOFT=settings,
        SECRET_KEY=settings.JWT_SECRET_KEY,
        MAX_CONTENT_LENGTH=settings.MAX_CONTENT_LENGTH_MB * 1024 * 1024,
        JSON_SORT_KEYS=False,
        RATELIMIT_STORAGE_URI=settings.REDIS_URL,
        RATELIMIT_ENABLED=settings.RATELIMIT_ENABLED,
        # Redis being down must not take the API down with it.
        RATELIMIT_SWALLOW_ERRORS=True,
        RATELIMIT_STORAGE_OPTIONS={"socket_connect_timeout": 1, "socket_timeout": 1},
        **docs.openapi_config(),
    )
    configure_logging(settings.LOG_LEVEL, json_lines=settings.is_production)
    init_error_reporting(settings, "web")
    if settings.is_production:
        warn_of_kinds_without_way_out(settings)
    outbox.install(settings)

    register_extensions(app, settings)
    api = Api(app)
    register_blueprints(app, api, settings)
    register_error_handlers(app)
    json_text.register(app)
    scope_limiter_hooks(app)
    app.wsgi_app = RequestIds(app.wsgi_app)  # type: ignore[method-assign]

    from cli import register_commands

    register_commands(app)
    return app


class NoCookieSessions(SessionInterface):
    """The API authenticates with bearer tokens, never with Flask's signed cookie
    session: none is opened (Flask's would build a signing serializer on every
    request), and a view that tried to write one would fail loudly."""

    def open_session(self, app: Flask, request: Request) -> None:
        return None  # Flask substitutes its read-only NullSession

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        return None


def register_extensions(app: Flask, settings: Settings) -> None:
    request_session.init_app(app, Database(settings))
    redis_client = redis.Redis.from_url(
        settings.REDIS_URL, socket_connect_timeout=2, socket_timeout=2
    )
    app.extensions["sosoft.redis"] = redis_client
    app.extensions["sosoft.heatmap_cells"] = shared_cells.connect(settings.REDIS_URL)
    app.extensions["sosoft.gateway"] = make_gateway(settings, redis_client)
    app.extensions["sosoft.storage"] = make_storage(settings)
    limiter.init_app(app)
    Metrics(app)

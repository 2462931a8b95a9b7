"""`/dev/messages`: what the bot and the notifier "sent" while Twilio is switched off,
and the messages that never left (skipped: no template, no SMS sender, …) with why.

Lets a newcomer sign in (the one-time code is in the recorded body) and watch
notifications without a Twilio account, and see at once when a message would not
reach anyone. Never registered in production, and only when the development sink is
the gateway.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Blueprint, Flask, current_app, request
from flask_smorest import abort

from core.config import Settings
from core.messaging.ways_out import skipped_messages
from web.request_session import request_session

bp = Blueprint("dev_messages", __name__)

DEFAULT_LIMIT = 50
MAX_LIMIT = 500


def register(app: Flask, settings: Settings) -> bool:
    """Register the blueprint when it is safe to; returns whether it was registered."""
    if settings.is_production or not settings.uses_dev_sink:
        return False
    app.register_blueprint(bp)
    return True


def _sink() -> Any:
    gateway = current_app.extensions["sosoft.gateway"]
    # Duck-typed so a wrapper around the sink (metrics, throttling) keeps working.
    if not hasattr(gateway, "list_messages"):
        abort(404, message="Outbound messages are sent, not recorded, in this setup.")
    return gateway


def _limit() -> int:
    raw = request.args.get("limit", str(DEFAULT_LIMIT))
    try:
        limit = int(raw)
    except ValueError:
        limit = 0
    if limit < 1:
        # Same status and shape flask-smorest gives a bad query argument on the real API.
        abort(
            422,
            message="Invalid query argument.",
            errors={"query": {"limit": ["Must be a positive integer."]}},
        )
    return min(limit, MAX_LIMIT)


@bp.get("/dev/messages")
def list_dev_messages() -> dict[str, Any]:
    """Recorded outbound messages (`status: sent`) and skipped ones (`status: skipped`,
    with `reason`), newest first."""
    sink, limit = _sink(), _limit()
    sent = [{**record, "status": "sent"} for record in sink.list_messages(limit=limit)]
    skipped = skipped_messages(request_session(), since=sink.cleared_at(), limit=limit)
    # Stable: records of one instant keep the sink's newest-first order.
    both = sorted(
        sent + skipped, key=lambda m: datetime.fromisoformat(m["created_at"]), reverse=True
    )
    return {"data": both[:limit]}


@bp.delete("/dev/messages")
def clear_dev_messages() -> tuple[str, int]:
    """Forget every recorded outbound message; skipped ones until now stop being listed."""
    _sink().clear()
    return "", 204

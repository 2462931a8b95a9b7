"""Twilio's webhooks: `POST /bot/twilio/inbound` (messages, answered with TwiML) and
`POST /bot/twilio/status` (delivery status callbacks).

Both are signed with `X-Twilio-Signature` over the public URL (PUBLIC_BASE_URL, so
it works behind a TLS proxy) and every posted parameter. A bad signature is a 403
with nothing stored. No media download, REST call or storage call happens here:
they are handed to Celery after the commit (media downloads, address lookups).
"""

from __future__ import annotations

import hmac
from datetime import UTC, datetime
from functools import lru_cache

import psycopg
from flask import Blueprint, Response, abort, current_app, request
from sqlalchemy.exc import InterfaceError, OperationalError
from twilio.request_validator import RequestValidator

from bot.delivery_status import record_status
from bot.inbound import MalformedInbound, is_message_sid, parse_inbound
from bot.receive import receive, twiml
from core import driver_first, jobs
from core.config import Settings
from web.errors import DATABASE_AWAY_HEADERS, database_away, handle_unexpected
from web.request_session import driver_first_session, request_session

bp = Blueprint("bot", __name__, url_prefix="/bot")

FETCH_MEDIA_TASK = "tasks.media.fetch_inbound_media"
LOOKUP_ADDRESS_TASK = "tasks.geocoding.look_up_address"


def _settings() -> Settings:
    return current_app.config["SOSOFT"]


def signature_valid(settings: Settings) -> bool:
    """Twilio's signature over PUBLIC_BASE_URL + path (+ query) and all form fields."""
    if not settings.TWILIO_VALIDATE_SIGNATURE and not settings.is_production:
        return True  # an explicit opt-out for local development; never in production
    signature = request.headers.get("X-Twilio-Signature", "")
    if not signature or not settings.TWILIO_AUTH_TOKEN:
        return False
    query = request.query_string
    path = request.path + "?" + query.decode() if query else request.path
    validator, urls = _signing(
        settings.TWILIO_AUTH_TOKEN,
        settings.PUBLIC_BASE_URL,
        settings.twilio_webhook_url(path),
        path,
    )
    # The URL as configured is what Twilio signs; `validate` also tries it with the
    # default port added and removed, at twice the cost, so it only sees a mismatch.
    for url in urls:
        expected = validator.compute_signature(url, request.form)
        if hmac.compare_digest(expected.encode(), signature.encode()):
            return True
    return any(validator.validate(url, request.form, signature) for url in urls)


@lru_cache(maxsize=64)
def _signing(
    token: str, base_url: str, webhook_url: str, path: str
) -> tuple[RequestValidator, tuple[str, ...]]:
    """The validator and the URLs a request to `path` may be signed over, kept per
    process: they are the same for every message.

    The fragment holding the connection overrides never reaches us. Twilio's docs do
    not say whether it is signed (what others report says it is not), so the URL
    with our overrides is accepted as well as the one without."""
    urls = tuple(dict.fromkeys((base_url.rstrip("/") + path, webhook_url)))
    return RequestValidator(token), urls


def _xml(body: str, status: int = 200) -> Response:
    return Response(body, status=status, mimetype="text/xml")


@bp.errorhandler(OperationalError)
@bp.errorhandler(InterfaceError)
@bp.errorhandler(psycopg.OperationalError)
def _database_error(exc: Exception) -> Response:
    """The database is away: a 503 (empty TwiML) rather than a 500. Twilio retries a
    5xx only when the webhook URL asks it to (`#rp=…5xx`, see README); nothing was
    stored, so the retry is handled as the first try."""
    if not database_away(exc):
        return handle_unexpected(exc)
    response = _xml(twiml(None), 503)
    response.headers.update(DATABASE_AWAY_HEADERS)
    return response


@bp.post("/twilio/inbound")
def inbound() -> Response:
    """A message from a citizen (WhatsApp or SMS); the reply goes back as TwiML."""
    settings = _settings()
    if not signature_valid(settings):
        abort(403)
    try:
        message = parse_inbound(request.form)
    except MalformedInbound:
        return _xml(twiml(None), 400)
    session = driver_first_session()
    received = receive(session, settings, message, datetime.now(UTC))
    driver_first.commit(session)
    if received.media_message_id is not None:
        jobs.enqueue(settings, FETCH_MEDIA_TASK, received.media_message_id)
    if received.lookup is not None:
        # Lost if Redis is down: the citizen's next message then goes on without it.
        jobs.enqueue(settings, LOOKUP_ADDRESS_TASK, *received.lookup)
    return _xml(received.twiml)


@bp.post("/twilio/status")
def status() -> Response:
    """Twilio's delivery status callback for one of our outbound messages."""
    settings = _settings()
    if not signature_valid(settings):
        abort(403)
    sid = request.form.get("MessageSid", "")
    if not is_message_sid(sid):
        return Response(status=400)  # nothing to apply it to; Twilio never sends such a one
    session = request_session()
    record_status(
        session,
        sid=sid,
        status=request.form.get("MessageStatus", ""),
        error_code=request.form.get("ErrorCode", ""),
        now=datetime.now(UTC),
        message_id=request.args.get("message_id"),
    )
    session.commit()
    return Response(status=204)

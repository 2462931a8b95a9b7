"""A floor for bench/bench_webhook.py: the webhook's unavoidable work and nothing else.

It reads the form, checks Twilio's signature, and stores the message and the
conversation's next state with the webhook's two statements (bot.store's lock and
save as issue 19 measured them, frozen in bench/floor_statements.py; prepared, in one
transaction), then answers a constant TwiML reply: no
conversation logic, no ORM, no effects. What this reaches, next to the bare
endpoint, bounds what any webhook that durably records each message can reach on
the same machine.
"""

from __future__ import annotations

import hmac
import os
from datetime import UTC, datetime

import psycopg
from flask import Flask, Response, abort, request
from psycopg.types.json import Jsonb
from twilio.request_validator import RequestValidator

from bench.bare_twiml_app import REPLY
from bench.floor_statements import LOCK, SAVE

app = Flask(__name__)
_validator = RequestValidator(os.environ["TWILIO_AUTH_TOKEN"])
_url = os.environ["PUBLIC_BASE_URL"].rstrip("/") + "/bot/twilio/inbound"
_database = os.environ["DATABASE_URL"].replace("postgresql+psycopg://", "postgresql://")
_connection: list[psycopg.Connection] = []


def connection() -> psycopg.Connection:
    if not _connection:  # one per worker process, opened after the fork
        _connection.append(psycopg.connect(_database))
    return _connection[0]


@app.post("/bot/twilio/inbound")
def inbound() -> Response:
    form = request.form
    expected = _validator.compute_signature(_url, form)
    if not hmac.compare_digest(expected, request.headers.get("X-Twilio-Signature", "")):
        abort(403)
    address = form["From"].removeprefix("whatsapp:")
    params = {
        "address": address,
        "locale": "tr",
        "channel": "whatsapp",
        "sid": form["MessageSid"],
        "body": form.get("Body", ""),
        "media": Jsonb([]),
        "reply": REPLY,
        "phone": address,
    }
    conn = connection()
    with conn.transaction(), conn.cursor() as cursor:
        row = cursor.execute(LOCK, params, prepare=True).fetchone()
        assert row is not None
        now = datetime.now(UTC)
        cursor.execute(
            SAVE,
            {
                "state": "menu",
                "context": Jsonb({}),
                "misses": 0,
                "locale": "tr",
                "channel": "whatsapp",
                "last_inbound_at": now,
                "expires_at": None,
                "user_id": None,
                "conversation_id": row[0],
                "reply": REPLY,
                "message_locale": "tr",
                "set_user": False,
                "message_id": row[8],
            },
            prepare=True,
        )
    return Response(REPLY, mimetype="text/xml")

"""The baseline for bench/bench_webhook.py: a bare Flask app answering Twilio's
webhook with a constant TwiML reply, served under the same gunicorn settings."""

from __future__ import annotations

from flask import Flask, Response

REPLY = (
    '<?xml version="1.0" encoding="UTF-8"?><Response><Message>'
    "Ne yapmak istersiniz?\n1: Yeni bildirim\n2: Bildirimlerim\n3: Yardım"
    "</Message></Response>"
)

app = Flask(__name__)


@app.post("/bot/twilio/inbound")
def inbound() -> Response:
    return Response(REPLY, mimetype="text/xml")

"""`flask --app wsgi bot chat --phone +905321234567 [--sms]`: talk to the running
app's bot from the terminal, without Twilio.

Each line is sent as a webhook signed with TWILIO_AUTH_TOKEN exactly like Twilio
signs it, and the TwiML reply is printed. `/pin LAT,LON` shares a location;
`/photo PATH` sends a picture, served by a tiny HTTP server on the address of
TWILIO_MEDIA_URL_PREFIX, so the worker fetches it the way it fetches Twilio's media.
`/quit` ends the chat. In development both need no setting: the app and this
command agree on a development token and on http://127.0.0.1:8765/media/
(core/config.py), never in production.
"""

from __future__ import annotations

import http.server
import itertools
import mimetypes
import secrets
import threading
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from pathlib import Path

import click
from flask import current_app
from flask.cli import with_appcontext
from twilio.request_validator import RequestValidator

from core.config import Settings

INBOUND_PATH = "/bot/twilio/inbound"


@click.group("bot")
def bot_group() -> None:
    """The WhatsApp/SMS bot."""


@bot_group.command("chat")
@with_appcontext
@click.option("--phone", default="+905321234567", show_default=True, help="Your number.")
@click.option("--sms", is_flag=True, help="Write as SMS instead of WhatsApp.")
@click.option("--name", default="Demo", show_default=True, help="WhatsApp profile name.")
@click.option("--url", default=None, help="The app's base URL (default PUBLIC_BASE_URL).")
def chat_command(phone: str, sms: bool, name: str, url: str | None) -> None:
    """Chat with the bot of the running app through signed webhook requests."""
    settings: Settings = current_app.config["SOSOFT"]
    if not settings.TWILIO_AUTH_TOKEN and settings.TWILIO_VALIDATE_SIGNATURE:
        raise click.UsageError("set TWILIO_AUTH_TOKEN (the app checks signatures with it)")
    chat = Chat(settings, phone, sms=sms, profile=name, base_url=url)
    click.echo(f"Chatting as {phone} over {'SMS' if sms else 'WhatsApp'}. /help for commands.")
    while True:
        try:
            line = input("> ")
        except (EOFError, KeyboardInterrupt):
            break
        if line.strip() == "/quit":
            break
        try:
            reply = chat.say(line)
        except (ValueError, OSError) as exc:
            click.echo(f"! {exc}", err=True)
            continue
        click.echo(reply or "(no reply)")
    chat.close()


class Chat:
    def __init__(
        self, settings: Settings, phone: str, *, sms: bool, profile: str, base_url: str | None
    ) -> None:
        self.settings = settings
        self.sender = phone if sms else f"whatsapp:{phone}"
        self.profile = None if sms else profile
        self.target = (base_url or settings.PUBLIC_BASE_URL).rstrip("/") + INBOUND_PATH
        self.signed_url = settings.PUBLIC_BASE_URL.rstrip("/") + INBOUND_PATH
        self.sids = itertools.count(1)
        self.run = secrets.token_hex(8)
        self.media: MediaServer | None = None

    def say(self, line: str) -> str:
        params = self._base_params()
        text = line.strip()
        if text == "/help":
            return "/pin LAT,LON  share a location\n/photo PATH [caption]  send a photo\n/quit"
        if text.startswith("/pin "):
            lat, lon = (part.strip() for part in text[5:].split(",", 1))
            params.update(Latitude=lat, Longitude=lon, Body="")
        elif text.startswith("/photo "):
            path, _, caption = text[7:].strip().partition(" ")
            params.update(self._photo_params(Path(path)), Body=caption)
        else:
            params["Body"] = line
        return self._post(params)

    def _base_params(self) -> dict[str, str]:
        params = {
            "MessageSid": f"SM{self.run}{next(self.sids):016d}",
            "AccountSid": self.settings.TWILIO_ACCOUNT_SID,
            "From": self.sender,
            "To": self.settings.TWILIO_WHATSAPP_FROM or self.settings.TWILIO_SMS_FROM,
            "NumMedia": "0",
        }
        if self.profile:
            params["ProfileName"] = self.profile
        return params

    def _photo_params(self, path: Path) -> dict[str, str]:
        if not path.is_file():
            raise ValueError(f"no such file: {path}")
        if self.media is None:
            self.media = MediaServer(self.settings.twilio_media_prefix)
        content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return {
            "NumMedia": "1",
            "MediaUrl0": self.media.publish(path),
            "MediaContentType0": content_type,
        }

    def _post(self, params: dict[str, str]) -> str:
        signature = RequestValidator(self.settings.TWILIO_AUTH_TOKEN).compute_signature(
            self.signed_url, params
        )
        request = urllib.request.Request(  # noqa: S310 - the app's own URL
            self.target,
            data=urllib.parse.urlencode(params).encode(),
            headers={"X-Twilio-Signature": signature},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=15) as response:  # noqa: S310
                body = response.read().decode()
        except urllib.error.HTTPError as exc:
            raise ValueError(f"the app answered {exc.code}") from None
        root = ET.fromstring(body)  # noqa: S314 - the app's own TwiML
        return "\n".join(el.text or "" for el in root.iter("Message"))

    def close(self) -> None:
        if self.media is not None:
            self.media.stop()


class MediaServer:
    """Serves the chosen files under TWILIO_MEDIA_URL_PREFIX, which must be local."""

    def __init__(self, prefix: str) -> None:
        parsed = urllib.parse.urlsplit(prefix)
        if parsed.scheme != "http" or parsed.hostname not in ("127.0.0.1", "localhost"):
            raise ValueError(
                "to send photos, run the app and worker in development (APP_ENV=development) "
                "or with TWILIO_MEDIA_URL_PREFIX=http://127.0.0.1:8765/media/"
            )
        self.prefix = prefix if prefix.endswith("/") else prefix + "/"
        self.files: dict[str, Path] = {}
        handler = self._handler()
        self.server = http.server.ThreadingHTTPServer((parsed.hostname, parsed.port or 80), handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def publish(self, path: Path) -> str:
        token = secrets.token_urlsafe(12)
        self.files[token] = path
        return self.prefix + token

    def _handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        files, base = self.files, urllib.parse.urlsplit(self.prefix).path

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                token = self.path[len(base) :] if self.path.startswith(base) else ""
                path = files.get(token)
                if path is None:
                    self.send_error(404)
                    return
                data = path.read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", mimetypes.guess_type(path.name)[0] or "")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass  # keep the chat readable

        return Handler

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

"""A local stand-in for Twilio's Messages API, for benchmarks and multi-process tests.

A threaded HTTP server on 127.0.0.1 that answers `POST …/Messages.json` like Twilio
(201 with a SID), optionally after a delay, and records every message it accepted; it also
answers the `GET …/Messages.json?To=…` listing the send task uses to recover a row its
worker died with. Point `TWILIO_API_BASE_URL` at `FakeTwilio.base_url`.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class Accepted:
    sid: str
    to: str
    sender: str
    body: str | None
    content_sid: str | None
    at: float  # time.monotonic() when accepted
    created: str  # RFC 2822, as Twilio writes date_created


class FakeTwilio:
    def __init__(self, latency: float = 0.0) -> None:
        self.latency = latency
        self.accepted: list[Accepted] = []
        self.lock = threading.Lock()
        self.server = _QuietServer(("127.0.0.1", 0), _handler(self))
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> FakeTwilio:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def accept(self, form: dict[str, str]) -> dict[str, Any]:
        if self.latency:
            time.sleep(self.latency)
        created = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
        message = Accepted(
            sid=f"SM{uuid.uuid4().hex}",
            to=form.get("To", ""),
            sender=form.get("From", ""),
            body=form.get("Body"),
            content_sid=form.get("ContentSid"),
            at=time.monotonic(),
            created=created,
        )
        with self.lock:
            self.accepted.append(message)
        return _resource(message, "queued")

    def listing(self, to: str) -> dict[str, Any]:
        with self.lock:
            found = [m for m in self.accepted if m.to == to]
        return {
            "messages": [_resource(m, "sent") for m in reversed(found)],
            "next_page_uri": None,
            "page": 0,
            "page_size": 50,
        }


class _QuietServer(ThreadingHTTPServer):
    def handle_error(self, request: object, client_address: object) -> None:
        # A worker killed mid-request resets its connection; that is the point of the test.
        pass


def _resource(message: Accepted, status: str) -> dict[str, Any]:
    return {
        "sid": message.sid,
        "to": message.to,
        "from": message.sender,
        "body": message.body,
        "status": status,
        "date_created": message.created,
    }


def _handler(fake: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if not self.path.endswith("/Messages.json"):
                self._reply(404, {"code": 20404, "message": "not found", "status": 404})
                return
            self._reply(201, fake.accept(form))

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            to = parse_qs(url.query).get("To", [""])[0]
            self._reply(200, fake.listing(to))

        def _reply(self, status: int, payload: dict[str, Any]) -> None:
            body = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler

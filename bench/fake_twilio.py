"""A local stand-in for Twilio's Messages API, for benchmarks and multi-process tests.

A threaded HTTP server on 127.0.0.1 that answers `POST …/Messages.json` like Twilio
(201 with a SID), optionally after a delay, and records every message it accepted (and,
given `log_path`, appends each to a JSON-lines file as it accepts it); it also answers
the `GET …/Messages.json?To=…` listing the send task uses to recover a row its worker
died with (paged as Twilio pages it), and serves inbound media under
`…/Messages/<MM…>/Media/<ME…>`: a small JPEG, or an HTML page for a media id starting
`MEnotimage` (a photo the worker cannot use). Point `TWILIO_API_BASE_URL` at
`FakeTwilio.base_url`.

`hold(mode)` makes the next send wait until `release()`, so a test can kill the worker
that is sending: `before_accept` forgets the held request (it never reached Twilio),
`after_accept` records it first (Twilio took it; the worker dies before hearing so).
"""

from __future__ import annotations

import io
import json
import re
import threading
import time
import uuid
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Literal
from urllib.parse import parse_qs, urlencode, urlsplit

HoldMode = Literal["before_accept", "after_accept"]
# The outbox row id rides on every send's status callback URL: our idempotency key.
_MESSAGE_ID = re.compile(r"[?&]message_id=(\d+)")
NOT_AN_IMAGE = "MEnotimage"


@dataclass(frozen=True)
class Accepted:
    sid: str
    to: str
    sender: str
    body: str | None
    content_sid: str | None
    at: float  # time.monotonic() when accepted
    created: str  # RFC 2822, as Twilio writes date_created
    message_id: int | None = None  # the outbox row, read from the status callback URL


@dataclass
class _Hold:
    mode: HoldMode
    arrived: threading.Event
    released: threading.Event
    client_port: int | None = None


class FakeTwilio:
    def __init__(self, latency: float = 0.0, log_path: Path | None = None) -> None:
        self.latency = latency  # seconds before every answer; may be changed while running
        self.log_path = log_path
        self.accepted: list[Accepted] = []
        self.lock = threading.Lock()
        self._hold: _Hold | None = None
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
        self.release()
        self.server.shutdown()
        self.server.server_close()

    # --- holding a send, for killing the worker that makes it --------------------------

    def hold(self, mode: HoldMode) -> None:
        """Make the next send wait for `release()`."""
        with self.lock:
            self._hold = _Hold(mode, threading.Event(), threading.Event())

    def wait_held(self, timeout: float) -> int:
        """Wait until a send is held; returns the sender's local TCP port."""
        hold = self._hold
        if hold is None or not hold.arrived.wait(timeout):
            raise TimeoutError("no send arrived to be held")
        assert hold.client_port is not None
        return hold.client_port

    def release(self) -> None:
        with self.lock:
            hold, self._hold = self._hold, None
        if hold is not None:
            hold.released.set()

    def _take_hold(self, client_port: int) -> _Hold | None:
        with self.lock:
            hold = self._hold
            if hold is None or hold.arrived.is_set():
                return None
            hold.client_port = client_port
        return hold

    # --- the API -------------------------------------------------------------------------

    def send(self, form: dict[str, str], client_port: int) -> dict[str, Any] | None:
        """Accept one message (None: the held request is dropped, as if never received)."""
        if self.latency:
            time.sleep(self.latency)
        hold = self._take_hold(client_port)
        if hold is None:
            return self.accept(form)
        accepted = self.accept(form) if hold.mode == "after_accept" else None
        hold.arrived.set()
        hold.released.wait(120)
        return accepted

    def accept(self, form: dict[str, str]) -> dict[str, Any]:
        created = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
        found = _MESSAGE_ID.search(form.get("StatusCallback", ""))
        message = Accepted(
            sid=f"SM{uuid.uuid4().hex}",
            to=form.get("To", ""),
            sender=form.get("From", ""),
            body=form.get("Body"),
            content_sid=form.get("ContentSid"),
            at=time.monotonic(),
            created=created,
            message_id=int(found.group(1)) if found else None,
        )
        with self.lock:
            self.accepted.append(message)
            if self.log_path is not None:
                with self.log_path.open("a", encoding="utf-8") as log:
                    log.write(json.dumps(asdict(message), ensure_ascii=False) + "\n")
        return _resource(message, "queued")

    def listing(self, path: str, query: dict[str, list[str]]) -> dict[str, Any]:
        to = query.get("To", [""])[0]
        sender = query.get("From", [""])[0]
        size = int(query.get("PageSize", ["50"])[0])
        page = int(query.get("Page", ["0"])[0])
        with self.lock:
            found = [
                m
                for m in reversed(self.accepted)
                if m.to == to and (not sender or m.sender == sender)
            ]
        chunk = found[page * size : (page + 1) * size]
        more = (page + 1) * size < len(found)
        next_query = urlencode({"To": to, "From": sender, "PageSize": size, "Page": page + 1})
        return {
            "messages": [_resource(m, "sent") for m in chunk],
            "next_page_uri": f"{path}?{next_query}" if more else None,
            "page": page,
            "page_size": size,
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


def tiny_jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 120, 40)).save(out, "JPEG")
    return out.getvalue()


def _handler(fake: FakeTwilio) -> type[BaseHTTPRequestHandler]:
    jpeg = tiny_jpeg()

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            if not self.path.endswith("/Messages.json"):
                self._reply(404, {"code": 20404, "message": "not found", "status": 404})
                return
            answer = fake.send(form, self.client_address[1])
            if answer is None:
                self.close_connection = True  # dropped: the sender hears nothing
                return
            self._reply(201, answer)

        def do_GET(self) -> None:
            url = urlsplit(self.path)
            if "/Media/" in url.path:
                self._media(url.path.rsplit("/", 1)[-1])
                return
            self._reply(200, fake.listing(url.path, parse_qs(url.query)))

        def _media(self, media_id: str) -> None:
            if media_id.startswith(NOT_AN_IMAGE):
                self._raw(200, "text/html", b"<html><body>not a photo</body></html>")
            else:
                self._raw(200, "image/jpeg", jpeg)

        def _reply(self, status: int, payload: dict[str, Any]) -> None:
            self._raw(status, "application/json", json.dumps(payload).encode())

        def _raw(self, status: int, content_type: str, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    return Handler

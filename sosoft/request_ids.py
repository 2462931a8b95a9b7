"""Every request gets an id, the proxy's `X-Request-ID` when it sent a usable one or a
new one: on every log line written while it is handled and on its response.

A WSGI middleware around the Flask app rather than three request hooks: it holds for
every request whatever Flask then does with it (a 404, an error handler's answer),
and it costs a fraction of them (the hooks were about 3 % of a webhook message's
instructions: bench/webhook_instructions.py)."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from core.logging_setup import request_id_var

MAX_INCOMING = 64
HEADER = "X-Request-ID"


class RequestIds:
    def __init__(self, wsgi_app: Callable[..., Iterable[bytes]]) -> None:
        self.wsgi_app = wsgi_app

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        incoming = environ.get("HTTP_X_REQUEST_ID", "")
        ok = 0 < len(incoming) <= MAX_INCOMING and incoming.isprintable()
        request_id = incoming if ok else os.urandom(16).hex()

        def start_with_id(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            headers.append((HEADER, request_id))
            return start_response(status, headers, exc_info)

        # Reset when the app has answered, as Flask's teardown did: a streamed body's
        # lines are written after that, like any other log line outside a request.
        token = request_id_var.set(request_id)
        try:
            return self.wsgi_app(environ, start_with_id)
        finally:
            request_id_var.reset(token)

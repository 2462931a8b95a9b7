"""The request id middleware (sosoft/request_ids.py) on its own."""

from __future__ import annotations

import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Response

from core.logging_setup import request_id_var
from sosoft.request_ids import RequestIds


def test_the_app_sees_the_id_while_it_answers_and_not_after() -> None:
    seen: list[str | None] = []

    def app(environ, start_response):
        seen.append(request_id_var.get())
        return Response("ok")(environ, start_response)

    client = Client(RequestIds(app))
    response = client.get("/", headers={"X-Request-ID": "trace-7"})
    assert response.headers["X-Request-ID"] == "trace-7"
    assert seen == ["trace-7"]
    assert request_id_var.get() is None
    fresh = client.get("/").headers["X-Request-ID"]
    assert len(fresh) == 32 and fresh == seen[-1]


def test_the_id_is_reset_when_the_app_fails() -> None:
    def app(environ, start_response):
        raise RuntimeError("broken")

    client = Client(RequestIds(app))
    with pytest.raises(RuntimeError):
        client.get("/")
    assert request_id_var.get() is None

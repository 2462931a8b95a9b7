"""The app shell: ops endpoints, the error envelope, docs served offline, logging."""

from __future__ import annotations

import logging

import pytest
from flask import Flask

from core.config import Settings

NOWHERE_DB = "postgresql+psycopg://postgres@127.0.0.1:1/nowhere"


@pytest.fixture
def shell_app(settings: Settings, app_factory) -> Flask:
    """An app of its own, with routes that fail on purpose."""
    app = app_factory(settings)

    @app.post("/_test/echo")
    def echo() -> dict[str, int]:
        from flask import request

        return {"size": len(request.get_data())}

    @app.get("/_test/boom")
    def boom() -> None:
        raise RuntimeError("SELECT secret FROM internals")

    app.config["MAX_CONTENT_LENGTH"] = 1024
    return app


def test_healthz(client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json == {"status": "ok"}


def test_readyz_when_everything_answers(client) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json["checks"] == {"database": "ok", "redis": "ok"}


@pytest.mark.parametrize(
    ("change", "failed"),
    [
        ({"DATABASE_URL": NOWHERE_DB}, "database"),
        ({"REDIS_URL": "redis://127.0.0.1:1/0"}, "redis"),
    ],
)
def test_readyz_is_503_naming_what_failed(
    settings: Settings, app_factory, change: dict, failed: str
) -> None:
    app = app_factory(settings.replace(**change))
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    body = response.json
    assert body["code"] == 503
    assert failed in body["message"]
    assert body["errors"][failed].startswith("unavailable")


def test_404_is_json_envelope(client) -> None:
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert response.is_json
    assert response.json["code"] == 404
    assert response.json["status"] == "Not Found"
    assert response.json["message"]


def test_405_is_json_with_allow_header(client) -> None:
    response = client.post("/healthz")
    assert response.status_code == 405
    assert response.json["status"] == "Method Not Allowed"
    assert "GET" in response.headers["Allow"]


def test_413_is_json(shell_app: Flask) -> None:
    response = shell_app.test_client().post("/_test/echo", data=b"x" * 5000)
    assert response.status_code == 413
    assert response.json["code"] == 413


def test_422_names_the_bad_field(client) -> None:
    response = client.get("/dev/messages?limit=abc")
    assert response.status_code == 422
    assert response.json["code"] == 422
    assert "limit" in str(response.json["errors"])


def test_unexpected_error_is_500_without_internals(shell_app: Flask, caplog) -> None:
    with caplog.at_level(logging.ERROR):
        response = shell_app.test_client().get("/_test/boom")
    assert response.status_code == 500
    assert response.json["code"] == 500
    assert "SELECT" not in response.get_data(as_text=True)
    assert "Traceback" not in response.get_data(as_text=True)
    assert any("RuntimeError" in record.getMessage() for record in caplog.records)


def test_every_response_carries_a_request_id(client) -> None:
    assert len(client.get("/healthz").headers["X-Request-ID"]) == 32
    echoed = client.get("/healthz", headers={"X-Request-ID": "abc-123"})
    assert echoed.headers["X-Request-ID"] == "abc-123"
    # Unmatched paths too, and an id the proxy sent that is no id gets a new one.
    for unusable in ("x" * 65, "tab\there"):
        missing = client.get("/no-such-page", headers={"X-Request-ID": unusable})
        assert missing.status_code == 404
        assert len(missing.headers["X-Request-ID"]) == 32
    first, second = (client.get("/healthz").headers["X-Request-ID"] for _ in range(2))
    assert first != second
    assert client.get("/healthz").headers.getlist("X-Request-ID") != []


def test_metrics_are_prometheus_text_per_app(client) -> None:
    client.get("/healthz")
    response = client.get("/metrics")
    assert response.status_code == 200
    assert response.mimetype == "text/plain"
    text = response.get_data(as_text=True)
    assert 'sosoft_http_requests_total{endpoint="ops.healthz",method="GET",status="200"}' in text


def test_metrics_count_every_response_an_error_and_an_unmatched_path_included(
    shell_app: Flask, caplog
) -> None:
    client = shell_app.test_client()
    with caplog.at_level(logging.ERROR):
        assert client.get("/_test/boom").status_code == 500
    assert client.get("/no-such-page").status_code == 404
    client.get("/healthz")
    client.get("/healthz")
    text = client.get("/metrics").get_data(as_text=True)
    assert 'sosoft_http_requests_total{endpoint="boom",method="GET",status="500"} 1.0' in text
    assert 'sosoft_http_requests_total{endpoint="unmatched",method="GET",status="404"} 1.0' in text
    assert (
        'sosoft_http_requests_total{endpoint="ops.healthz",method="GET",status="200"} 2.0' in text
    )
    assert 'sosoft_http_request_seconds_count{endpoint="ops.healthz"} 2.0' in text


def test_two_apps_in_one_process_have_their_own_metrics(settings: Settings, app_factory) -> None:
    first, second = app_factory(settings), app_factory(settings)
    first.test_client().get("/healthz")
    text = second.test_client().get("/metrics").get_data(as_text=True)
    assert 'endpoint="ops.healthz"' not in text


def test_openapi_document(client) -> None:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    spec = response.json
    assert spec["openapi"].startswith("3.")
    assert spec["info"]["title"] == "SoSoft API"
    assert "bearerAuth" in spec["components"]["securitySchemes"]


@pytest.mark.parametrize("page", ["/docs", "/redoc"])
def test_docs_pages_load_their_assets_from_this_server(client, page: str) -> None:
    import re

    html = client.get(page).get_data(as_text=True)
    scripts = re.findall(r'<script src="([^"]+)"', html)
    assert scripts, "the page loads no script"
    styles = re.findall(r'<link href="([^"]+\.css)"', html)
    for src in scripts + styles:
        assert src.startswith("/"), f"{src} is not served by the app itself"
        with client.get(src) as asset:
            assert asset.status_code == 200, src
            assert len(asset.data) > 10_000


def test_the_docs_need_no_django() -> None:
    # Their assets are vendored (web/vendor/VENDORED.md): nothing pinned or required
    # pulls Django (50 MB) into the virtualenv and every production image.
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    for name in ("pyproject.toml", "constraints.txt"):
        text = (root / name).read_text().lower()
        assert "django" not in text and "sidecar" not in text, name


def test_a_value_the_database_refuses_is_422_not_500(shell_app: Flask) -> None:
    from sqlalchemy import text

    from web.request_session import request_session

    @shell_app.get("/_test/nul")
    def nul() -> dict[str, str]:
        request_session().execute(text("SELECT CAST(:v AS text)"), {"v": "a\x00b"})
        return {}

    response = shell_app.test_client().get("/_test/nul")
    assert response.status_code == 422
    assert response.json["code"] == 422


def test_a_value_the_driver_refuses_is_422_not_500(shell_app: Flask) -> None:
    # Statements run on the psycopg connection itself (the webhook's) raise psycopg's
    # DataError, not SQLAlchemy's wrapper of it.
    from bot.store import driver_connection
    from web.request_session import request_session

    @shell_app.get("/_test/driver-nul")
    def driver_nul() -> dict[str, str]:
        driver_connection(request_session()).execute("SELECT %s::text", ("a\x00b",))
        return {}

    response = shell_app.test_client().get("/_test/driver-nul")
    assert response.status_code == 422
    assert response.json["code"] == 422


VIOLATIONS = {
    # What another request's write at the same moment trips: a conflict.
    "unique": ("CREATE TEMP TABLE t (x int UNIQUE); INSERT INTO t VALUES (1), (1)", 409),
    "foreign-key": (
        "CREATE TEMP TABLE p (x int PRIMARY KEY);"
        " CREATE TEMP TABLE c (x int REFERENCES p); INSERT INTO c VALUES (1)",
        409,
    ),
    # A value the caller sent and a CHECK refused.
    "check": ("CREATE TEMP TABLE t (x int CHECK (x > 0)); INSERT INTO t VALUES (0)", 422),
    # A missing value is our bug, not the caller's: still a 500, logged.
    "not-null": ("CREATE TEMP TABLE t (x int NOT NULL); INSERT INTO t VALUES (NULL)", 500),
}


@pytest.mark.parametrize("driver", [False, True], ids=["sqlalchemy", "psycopg"])
@pytest.mark.parametrize("kind", list(VIOLATIONS))
def test_a_constraint_the_database_enforced_is_a_4xx_when_it_is_a_conflict(
    shell_app: Flask, kind: str, driver: bool
) -> None:
    from sqlalchemy import text

    from bot.store import driver_connection
    from web.request_session import request_session

    sql, status = VIOLATIONS[kind]

    @shell_app.post("/_test/violate")
    def violate() -> dict[str, str]:
        session = request_session()
        for statement in sql.split(";"):
            if driver:
                driver_connection(session).execute(statement)
            else:
                session.execute(text(statement))
        return {}

    response = shell_app.test_client().post("/_test/violate")
    assert response.status_code == status
    assert response.json["code"] == status


UNPAIRED = [
    b'{"name": "T \\ud800"}',  # a high surrogate alone, escaped
    b'{"name": "T \\udc00x"}',  # a low surrogate alone
    b'{"name": "T \\ude00\\ud83d"}',  # a pair in the wrong order
    b'{"list": [{"deep": "\xed\xa0\x80"}]}',  # a surrogate's UTF-8 bytes
    b'{"\\ud800": 1}',  # in a key
]


@pytest.mark.parametrize("body", UNPAIRED)
def test_a_json_string_with_an_unpaired_surrogate_is_400(shell_app: Flask, body: bytes) -> None:
    response = shell_app.test_client().post(
        "/_test/echo", data=body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "surrogate" in response.json["message"]


@pytest.mark.parametrize(
    "body",
    [
        b"[" * 100_000 + b"]" * 100_000,  # deeper than the decoder's recursion
        b'{"phone_number": ' + b"9" * 4301 + b"}",  # more digits than int() converts
        b'{"a": ' + b'[{"b": "\\ud800"}, ' * 990 + b"1" + b"]" * 990 + b"}",
    ],
    ids=["deep", "long-number", "deep-with-surrogate"],
)
def test_json_too_deep_or_with_too_long_a_number_is_400(shell_app: Flask, body: bytes) -> None:
    shell_app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    response = shell_app.test_client().post(
        "/_test/echo", data=body, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json["code"] == 400


def test_deep_json_is_400_on_the_open_sign_in_endpoint(client) -> None:
    response = client.post(
        "/api/v1/auth/request-otp", data=b"[" * 3000 + b"]" * 3000, content_type="application/json"
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    "body",
    [
        b'{"name": "T \\ud83d\\ude00"}',  # an emoji as a surrogate pair: text
        b'{"name": "T \\\\ud800"}',  # a backslash, then the letters ud800
        '{"name": "Çağrı 😀"}'.encode(),
        b'{"name": "\\ud800',  # not JSON at all: left to the schema's parser
    ],
)
def test_json_that_is_text_passes(shell_app: Flask, body: bytes) -> None:
    response = shell_app.test_client().post(
        "/_test/echo", data=body, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json["size"] == len(body)


def test_the_api_refuses_an_unpaired_surrogate_and_writes_nothing(
    client, make_user, bearer, db
) -> None:
    from sqlalchemy import func, select

    from core.models import Team

    before = db.scalar(select(func.count()).select_from(Team))
    response = client.post(
        "/api/v1/teams",
        data=b'{"name": "T \\ud800"}',
        content_type="application/json",
        headers=bearer(make_user("manager")),
    )
    assert response.status_code == 400
    assert db.scalar(select(func.count()).select_from(Team)) == before


@pytest.mark.parametrize(("hops", "seen"), [(0, "127.0.0.1"), (1, "203.0.113.7")])
def test_client_address_behind_trusted_proxies(
    settings: Settings, app_factory, hops: int, seen: str
) -> None:
    app = app_factory(settings.replace(TRUSTED_PROXY_COUNT=hops))

    @app.get("/_test/ip")
    def ip() -> dict[str, str]:
        from flask import request

        return {"ip": request.remote_addr or ""}

    response = app.test_client().get(
        "/_test/ip",
        headers={"X-Forwarded-For": "203.0.113.7"},
        environ_base={"REMOTE_ADDR": "127.0.0.1"},
    )
    assert response.json["ip"] == seen


def test_no_cookie_session_is_opened_or_written(app) -> None:
    from flask import session
    from flask.sessions import NullSession

    with app.test_request_context("/", headers={"Cookie": "session=forged"}):
        app.preprocess_request()
        assert isinstance(session._get_current_object(), NullSession)
        with pytest.raises(RuntimeError):
            session["user"] = 1
    response = app.test_client().get("/healthz")
    assert "Set-Cookie" not in response.headers

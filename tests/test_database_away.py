"""A database that is away is a 503 with Retry-After everywhere, never a 500: the API
in its JSON envelope, Open311 in its own error list, the Twilio webhooks with empty
TwiML (Twilio retries a 5xx when the webhook URL asks it to, `#rp=…5xx`).

Two ways of being away, both for real: no server on the port at all, and a server
(a cluster of the test's own, on its own port) that goes away after the pool
connected, so the first statement on a pooled connection is the one that fails."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import pytest
from bot_support import STATUS, Phone, new_sid, reply_of, sign
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import create_engine, func, select, text

from core.config import Settings
from core.models import Message, User
from core.people.tokens import issue_access_token
from core.tickets.seed_data import seed_defaults
from tests.conftest import alembic_config
from tests.open311_support import BASE, JSON_TYPE, XML_TYPE, assert_errors, parse_xml
from tests.scratch_postgres import ScratchCluster, free_port
from web.request_session import database

RETRY_AFTER = "5"


def api_headers(settings: Settings) -> dict[str, str]:
    citizen = User(id=1, phone="+905321234567", role="citizen", locale="tr")
    token, _ = issue_access_token(settings, citizen)
    return {"Authorization": f"Bearer {token}"}


def assert_retry_after(response, exact: bool) -> None:
    """`exact` False: a rate-limited endpoint, whose limiter sets its own Retry-After
    (when the caller's budget renews), the longer wait."""
    if exact:
        assert response.headers["Retry-After"] == RETRY_AFTER
    else:
        assert int(response.headers["Retry-After"]) >= int(RETRY_AFTER)


def assert_api_503(response, exact: bool = True) -> None:
    assert response.status_code == 503, response.data[:300]
    assert_retry_after(response, exact)
    body = response.get_json()
    assert (body["code"], body["status"]) == (503, "Service Unavailable")
    assert "try again" in body["message"]


def assert_open311_503(response, exact: bool = True) -> None:
    assert_retry_after(response, exact)
    assert assert_errors(response, 503)


def assert_twilio_503(response) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"] == RETRY_AFTER
    assert response.mimetype == "text/xml" and reply_of(response) == ""


def signed(client: FlaskClient, settings: Settings, path: str, params: dict[str, str]):
    headers = {"X-Twilio-Signature": sign(settings, path, params)}
    return client.post(path, data=params, headers=headers)


def status_callback(settings: Settings) -> dict[str, str]:
    return {
        "MessageSid": new_sid(),
        "MessageStatus": "delivered",
        "AccountSid": settings.TWILIO_ACCOUNT_SID,
    }


def assert_away_everywhere(client: FlaskClient, settings: Settings, phone: Phone) -> None:
    assert_api_503(client.get("/api/v1/tickets", headers=api_headers(settings)))
    otp = client.post("/api/v1/auth/request-otp", json={"phone_number": "0532 123 45 67"})
    assert_api_503(otp, exact=False)
    json_list = client.get(f"{BASE}/services.json")
    assert_open311_503(json_list)
    assert json_list.content_type == JSON_TYPE
    xml_list = client.get(f"{BASE}/requests.xml")
    assert_open311_503(xml_list)
    assert xml_list.content_type == XML_TYPE and parse_xml(xml_list.data).tag == "errors"
    filing = client.post(f"{BASE}/requests.json", data={"api_key": "sk_x", "service_code": "x"})
    assert_open311_503(filing, exact=False)
    assert_twilio_503(phone.post("merhaba"))
    assert_twilio_503(signed(client, settings, STATUS, status_callback(settings)))
    assert client.get("/readyz").status_code == 503


@pytest.fixture
def no_500s(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """The database being away was seen as such, and nothing was taken for a bug of
    ours (no error logged)."""
    with caplog.at_level(logging.WARNING):
        yield
    records = caplog.get_records("call")
    assert any("database unavailable" in r.getMessage() for r in records)
    assert not [r for r in records if r.levelno >= logging.ERROR], [r.getMessage() for r in records]


def test_no_database_on_the_port_is_a_503_everywhere(
    settings: Settings, app_factory, no_500s
) -> None:
    nowhere = f"postgresql+psycopg://postgres@127.0.0.1:{free_port()}/sosoft"
    away_settings = settings.replace(DATABASE_URL=nowhere)
    client = app_factory(away_settings).test_client()
    assert_away_everywhere(client, away_settings, Phone(client, away_settings))


# --- a cluster that goes away under the pool ------------------------------------------


@pytest.fixture(scope="module")
def cluster() -> Iterator[ScratchCluster]:
    cluster = ScratchCluster()
    cluster.start()
    try:
        from alembic import command

        command.upgrade(alembic_config(cluster.url), "head")
        engine = create_engine(cluster.url)
        with engine.begin() as connection:
            from sqlalchemy.orm import Session

            with Session(bind=connection) as session:
                seed_defaults(session)
                session.flush()
        engine.dispose()
        yield cluster
    finally:
        cluster.destroy()


@pytest.fixture
def cluster_app(cluster: ScratchCluster, settings: Settings, app_factory) -> Iterator[Flask]:
    # No ping within a minute of use: a connection that died meanwhile meets its
    # first statement, which is what fails.
    app = app_factory(
        settings.replace(DATABASE_URL=cluster.url, DATABASE_PING_AFTER_IDLE_SECONDS=60)
    )
    yield app
    if not cluster.running:
        cluster.start()
    engine = create_engine(cluster.url)
    with engine.begin() as connection:
        connection.execute(text("TRUNCATE messages, conversations, users CASCADE"))
    engine.dispose()


def warm_pool(app: Flask, connections: int) -> None:
    """Leave `connections` live connections in the app's pool."""
    sessions = [database().session() for _ in range(connections)]
    for session in sessions:
        session.execute(text("SELECT 1"))
    for session in sessions:
        session.close()


def stored(cluster: ScratchCluster, sid: str) -> int:
    engine = create_engine(cluster.url)
    try:
        with engine.connect() as connection:
            return connection.scalar(
                select(func.count()).select_from(Message).where(Message.twilio_sid == sid)
            )
    finally:
        engine.dispose()


def test_a_database_gone_under_the_pool_is_a_503_everywhere_until_it_is_back(
    cluster: ScratchCluster, cluster_app: Flask, settings: Settings, no_500s
) -> None:
    client = cluster_app.test_client()
    phone = Phone(client, settings)
    assert "KVKK" in phone.send("merhaba")
    assert client.get(f"{BASE}/services.json").status_code == 200

    cluster.stop()
    # The pooled connection's first statement fails (the webhook's own, on the driver
    # connection); every later request cannot connect at all.
    sid = new_sid()
    assert_twilio_503(phone.post("evet", MessageSid=sid))
    assert_away_everywhere(client, settings, phone)

    cluster.start()
    # Twilio's retry of the refused message is handled as if it came first.
    assert "Size nasıl hitap edelim" in phone.send("evet", MessageSid=sid)
    assert stored(cluster, sid) == 1


@pytest.mark.parametrize("first", ["webhook", "api"])
def test_after_a_restart_one_request_per_process_meets_a_dead_connection(
    cluster: ScratchCluster, cluster_app: Flask, settings: Settings, no_500s, first
) -> None:
    """Every pooled connection died with the server; once one statement found out,
    the others are dropped too (SQLAlchemy does it after its own statements, the
    webhook drops the pool after those it runs on the driver connection). The 503
    left nothing half-written for Twilio's retry."""
    client = cluster_app.test_client()
    phone = Phone(client, settings)
    with cluster_app.app_context():
        warm_pool(cluster_app, 3)
    cluster.restart()
    sid = new_sid()
    if first == "webhook":
        assert_twilio_503(phone.post("merhaba", MessageSid=sid))
        assert stored(cluster, sid) == 0
    else:
        assert_api_503(client.get("/api/v1/categories", headers=api_headers(settings)))
    assert "KVKK" in phone.send("merhaba", MessageSid=sid)
    assert stored(cluster, sid) == 1
    assert client.get(f"{BASE}/services.json").status_code == 200
    assert client.get("/readyz").status_code == 200

"""Messages that never leave, made visible: in production start-up warns of every kind
of message with no way out and /readyz names them (still 200); the README says which
template serves which (the development sink's skipped list: tests/test_dev_messages.py)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from core.config import Settings
from core.messaging import outbox
from core.messaging.ways_out import kinds_without_way_out, message_kinds
from core.messaging.whatsapp_window import TEMPLATE_SETTINGS, template_for
from tasks.celery_app import make_celery

README = Path(__file__).resolve().parent.parent / "README.md"


def live(settings: Settings, **changes) -> Settings:
    """Twilio switched on, WhatsApp only unless `changes` say otherwise."""
    return settings.replace(**{"TWILIO_ENABLED": True, "TWILIO_SMS_FROM": "", **changes})


def production(settings: Settings, **changes) -> Settings:
    return live(settings, APP_ENV="production", JWT_SECRET_KEY="p" * 32, **changes)


# --- which kinds have no way out --------------------------------------------------------


def test_with_an_sms_sender_every_kind_can_leave(settings) -> None:
    assert kinds_without_way_out(live(settings, TWILIO_SMS_FROM="SOSOFT")) == {}


def test_whatsapp_only_needs_a_template_for_each_kind(settings) -> None:
    missing = kinds_without_way_out(live(settings, TWILIO_TEMPLATE_STATUS_UPDATE="HX" + "1" * 32))
    assert "report_received" not in missing and "staff_comment" not in missing
    assert set(missing) == {"resolved", "address_lookup", "sla_breached", "sign_in_code"}
    assert "TWILIO_TEMPLATE_FEEDBACK_REQUEST" in missing["resolved"]
    assert "TWILIO_SMS_FROM" in missing["resolved"]


def test_a_per_language_template_counts(settings) -> None:
    missing = kinds_without_way_out(live(settings, TWILIO_TEMPLATE_OTP="tr=HX1,en=HX2"))
    assert "sign_in_code" not in missing


def test_with_twilio_off_nothing_leaves(settings) -> None:
    missing = kinds_without_way_out(settings.replace(TWILIO_ENABLED=False))
    assert set(missing) == set(message_kinds())
    assert all("TWILIO_ENABLED" in why for why in missing.values())


# --- production: start-up and /readyz ---------------------------------------------------


@pytest.fixture(autouse=True)
def _session_outbox(settings) -> Iterator[None]:
    """Building a production app or worker installs its settings for the outbox: put the
    suite's back."""
    yield
    outbox.install(settings)


def test_production_start_up_warns_of_each_kind_with_no_way_out(
    settings, app_factory, caplog
) -> None:
    with caplog.at_level(logging.WARNING, logger="core.messaging.ways_out"):
        app_factory(production(settings))
    warned = {r.getMessage().split(" ")[0] for r in caplog.records if r.levelno == logging.WARNING}
    assert warned == set(message_kinds())
    assert any("TWILIO_TEMPLATE_STATUS_UPDATE" in r.getMessage() for r in caplog.records)


def test_the_production_worker_warns_too(settings, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="core.messaging.ways_out"):
        make_celery(production(settings, TWILIO_TEMPLATE_STATUS_UPDATE="HX" + "1" * 32))
    warned = {r.getMessage().split(" ")[0] for r in caplog.records if r.levelno == logging.WARNING}
    assert warned == {"resolved", "address_lookup", "sla_breached", "sign_in_code"}


def test_production_start_up_is_quiet_when_all_can_leave(settings, app_factory, caplog) -> None:
    with caplog.at_level(logging.WARNING, logger="core.messaging.ways_out"):
        app_factory(production(settings, TWILIO_SMS_FROM="SOSOFT"))
    assert [r for r in caplog.records if r.name == "core.messaging.ways_out"] == []


def test_readyz_names_them_in_production_and_stays_200(settings, app_factory) -> None:
    app = app_factory(production(settings, TWILIO_TEMPLATE_STATUS_UPDATE="HX" + "1" * 32))
    response = app.test_client().get("/readyz")
    assert response.status_code == 200
    assert response.json["status"] == "ready"
    stuck = response.json["messages_without_way_out"]
    assert set(stuck) == {"resolved", "address_lookup", "sla_breached", "sign_in_code"}
    assert "TWILIO_TEMPLATE_FEEDBACK_REQUEST" in stuck["resolved"]


def test_readyz_outside_production_says_nothing_of_messages(client) -> None:
    assert "messages_without_way_out" not in client.get("/readyz").json


# --- the README -------------------------------------------------------------------------


def test_the_readme_says_which_template_serves_which_kind() -> None:
    rows = dict(
        re.findall(r"^\| `([a-z_]+)` \| `(TWILIO_TEMPLATE_[A-Z_]+)` \|", README.read_text(), re.M)
    )
    assert rows == message_kinds()
    assert set(TEMPLATE_SETTINGS.values()) <= set(rows.values())


def test_the_new_template_settings_serve_their_kinds(settings) -> None:
    set_up = settings.replace(
        TWILIO_TEMPLATE_SLA_ALERT="HXsla", TWILIO_TEMPLATE_ADDRESS_LOOKUP="HXa"
    )
    assert template_for(set_up, "sla_breached") == "HXsla"
    assert template_for(set_up, "address_lookup") == "HXa"

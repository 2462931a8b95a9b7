"""Open311 input a fuzzer sent: control characters, far-off dates, numbers too long
for a float. Each is a 400 in Open311 form that names the parameter, and nothing is
written: no ticket, no citizen, no change to the api_key's last use."""

from __future__ import annotations

import logging

import psycopg
import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.exc import DataError, IntegrityError
from werkzeug.datastructures import MultiDict

from admin_api.open311.blueprint import bp
from core.models import ApiKey, Category, Ticket, User
from tests.open311_support import BASE, ISTANBUL, assert_errors, open311_key, pothole_questions

NEW_PHONE = "05321111111"


@pytest.fixture
def key(seeded, settings) -> str:
    seeded.scalar(select(Category).where(Category.code == "other")).questions = pothole_questions(
        [("circle", "Daire")]
    )
    seeded.flush()
    return open311_key(seeded, settings)


def written(db) -> tuple:
    """What a refused request must leave as it was."""
    return (
        db.scalar(select(func.count(Ticket.id))),
        db.scalar(select(func.count(User.id))),
        db.scalar(select(func.max(ApiKey.last_used_at))),
    )


def post(client, **fields):
    return client.post(f"{BASE}/requests.json", data=MultiDict(fields))


def descriptions(response, status: int = 400) -> str:
    return " ".join(e["description"] for e in assert_errors(response, status))


# --- dates at the calendar's edge ----------------------------------------------------


@pytest.mark.parametrize(
    ("name", "value"),
    [("start_date", "9999-12-31T00:00:00Z"), ("end_date", "0001-01-01T00:00:00Z")],
)
@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_a_date_too_near_the_calendars_edge_for_a_90_day_window_is_400(
    client, key, name, value, fmt
) -> None:
    response = client.get(f"{BASE}/requests.{fmt}", query_string={name: value})
    text = descriptions(response)
    assert name in text and "90" in text


def test_far_off_dates_are_fine_when_both_ends_are_sent(client, key) -> None:
    response = client.get(
        f"{BASE}/requests.json",
        query_string={"start_date": "9999-12-31T00:00:00Z", "end_date": "9999-12-31T23:59:59Z"},
    )
    assert response.status_code == 200
    assert response.get_json() == []


# --- control characters --------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/services/%00.json", "service_code"),
        ("/services/a%01b.xml", "service_code"),
        ("/requests/%00.json", "service_request_id"),
        ("/requests.json?service_code=%00", "service_code"),
        ("/requests.json?service_code=lighting,%00", "service_code"),
        ("/requests.json?status=open%00", "status"),
        ("/requests.json?start_date=%00", "start_date"),
        ("/services.json?locale=en%00", "locale"),
        ("/services.json?jurisdiction_id=%00", "jurisdiction_id"),
    ],
)
def test_control_characters_in_a_read_are_400_naming_the_parameter(client, key, path, name) -> None:
    assert name in descriptions(client.get(BASE + path))


VALID = {
    "service_code": "lighting",
    "lat": ISTANBUL[0],
    "long": ISTANBUL[1],
    "description": "Sokak lambası yanmıyor, her yer karanlık.",
}


@pytest.mark.parametrize(
    ("fields", "name"),
    [
        ({"media_url": "http://x.com/a\x00b"}, "media_url"),
        ({"phone": "0532\x00 111 11 11"}, "phone"),
        ({"phone": "0532 111\x1b11 11"}, "phone"),
        ({"phone": NEW_PHONE, "description": "Lamba yanmıyor\x00 gerçekten"}, "description"),
        ({"address_string": "Moda Cd.\x0012"}, "address_string"),
        ({"zipcode": "347\x0010"}, "zipcode"),
        ({"service_code": "light\x00ing"}, "service_code"),
        ({"attribute[pole]": "P\x007"}, "attribute[pole]"),
    ],
    ids=[
        "media-url",
        "phone",
        "phone-escape",
        "description",
        "address",
        "zipcode",
        "service-code",
        "attribute",
    ],
)
def test_control_characters_in_a_filing_are_400_and_write_nothing(
    client, db, key, fields, name
) -> None:
    before = written(db)
    response = post(client, api_key=key, **{**VALID, **fields})
    assert name in descriptions(response)
    assert written(db) == before


@pytest.mark.parametrize("url", ["http://[x", "http://[::1", "https://[zz]/a.jpg"])
def test_a_media_url_that_does_not_parse_is_400_and_writes_nothing(client, db, key, url) -> None:
    before = written(db)
    assert "media_url" in descriptions(post(client, api_key=key, **VALID, media_url=url))
    assert written(db) == before


def test_nul_api_key_is_400_and_writes_nothing(client, db, key) -> None:
    before = written(db)
    assert "api_key" in descriptions(post(client, api_key="\x00", service_code="other"))
    assert written(db) == before


def test_free_text_keeps_its_line_breaks_and_tabs(client, db, key) -> None:
    response = post(
        client,
        api_key=key,
        **{**VALID, "description": "Lamba yanmıyor.\r\n\tDirek eğik.", "address_string": "Moda\n"},
    )
    assert response.status_code == 200, response.data
    number = int(response.get_json()[0]["service_request_id"])
    ticket = db.scalar(select(Ticket).where(Ticket.number == number))
    assert ticket.description == "Lamba yanmıyor.\n\tDirek eğik."


def test_a_contact_phone_is_kept_as_e164_and_makes_no_account(client, db, key) -> None:
    before = db.scalar(select(func.count(User.id)))
    response = post(client, api_key=key, phone=f" {NEW_PHONE}\u00a0", first_name=" Ayşe ", **VALID)
    assert response.status_code == 200, response.data
    number = int(response.get_json()[0]["service_request_id"])
    ticket = db.scalar(select(Ticket).where(Ticket.number == number))
    assert ticket.contact_phone == "+905321111111"
    assert db.scalar(select(func.count(User.id))) == before


# --- numbers --------------------------------------------------------------------------


@pytest.mark.parametrize("depth", ["9" * 400, "9" * 400 + ".5", "-" + "9" * 400])
def test_a_number_too_long_for_a_float_is_400_and_writes_nothing(client, db, key, depth) -> None:
    before = written(db)
    response = post(
        client, api_key=key, **{**VALID, "service_code": "other", "attribute[depth]": depth}
    )
    text = descriptions(response)
    assert "attribute[depth]" in text and "number" in text
    assert written(db) == before


# --- the net under validation ------------------------------------------------------------


@pytest.fixture
def refusing_app(app_factory, settings) -> Flask:
    """An app with a route that fails the way PostgreSQL refuses a value that validation
    let through. The blueprint is already registered, so the route goes straight on the
    app under the blueprint's name (its handlers apply by that prefix)."""
    app = app_factory(settings)
    errors = {
        "sqlalchemy": DataError("INSERT …", {}, psycopg.DataError("NUL")),
        "psycopg": psycopg.errors.NumericValueOutOfRange("out of range"),
        "unique": IntegrityError("INSERT …", {}, psycopg.errors.UniqueViolation("dup")),
        "foreign-key": psycopg.errors.ForeignKeyViolation("gone"),
        "not-null": IntegrityError("INSERT …", {}, psycopg.errors.NotNullViolation("null")),
    }

    def refuse(kind: str, fmt: str):
        raise errors[kind]

    app.add_url_rule(f"{bp.url_prefix}/refuse/<kind>.<fmt>", f"{bp.name}.refuse", refuse)
    return app


@pytest.mark.parametrize(
    ("kind", "status"), [("unique", 409), ("foreign-key", 409), ("not-null", 500)]
)
def test_a_write_another_request_collided_with_is_an_open311_409(
    refusing_app, kind, status
) -> None:
    response = refusing_app.test_client().get(f"{BASE}/refuse/{kind}.json")
    assert_errors(response, status)


@pytest.mark.parametrize("kind", ["sqlalchemy", "psycopg"])
def test_a_value_the_database_refuses_is_an_open311_400_logged_without_it(
    refusing_app, kind, caplog
) -> None:
    client = refusing_app.test_client()
    with caplog.at_level(logging.WARNING, logger="admin_api.open311.errors"):
        response = client.get(f"{BASE}/refuse/{kind}.json")
    assert "not acceptable" in descriptions(response)
    (record,) = [r for r in caplog.records if r.name == "admin_api.open311.errors"]
    assert record.levelno == logging.WARNING
    assert "NUL" not in record.getMessage() and "out of range" not in record.getMessage()

"""Open311 discovery, service list and service definitions over the real categories."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.models import Category
from tests.open311_support import (
    BASE,
    JSON_TYPE,
    XML_TYPE,
    assert_errors,
    parse_xml,
    pothole_questions,
    validate,
    xml_to_data,
)


def category(db, code: str) -> Category:
    return db.scalar(select(Category).where(Category.code == code))


@pytest.fixture
def services(seeded):
    category(seeded, "infrastructure").questions = pothole_questions(
        [("circle", "Daire"), ("square", "Kare")]
    )
    seeded.flush()
    return seeded


def test_discovery_lists_the_endpoint_in_both_formats(client, services) -> None:
    document = client.get(f"{BASE}/discovery.json")
    assert document.content_type == JSON_TYPE
    body = document.get_json()
    assert set(body) == {"changeset", "contact", "key_service", "endpoints"}
    (endpoint,) = body["endpoints"]
    assert endpoint == {
        "specification": "http://wiki.open311.org/GeoReport_v2",
        "url": "http://testserver.local/open311/v2",
        "changeset": body["changeset"],
        "type": "test",
        "formats": ["text/xml", "application/json"],
    }
    xml = client.get(f"{BASE}/discovery.xml")
    assert xml.content_type == XML_TYPE
    assert xml_to_data(parse_xml(xml.data)) == {**body, "endpoints": [endpoint]}


def test_changeset_moves_when_a_definition_changes(client, services) -> None:
    before = client.get(f"{BASE}/discovery.json").get_json()["changeset"]
    later = datetime.now(UTC) + timedelta(minutes=5)
    pothole = category(services, "infrastructure")
    pothole.questions = []
    pothole.updated_at = later
    services.flush()
    after = client.get(f"{BASE}/discovery.json").get_json()["changeset"]
    assert after > before
    assert after == later.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_service_list_has_the_active_categories_in_order(client, services) -> None:
    category(services, "parks").is_active = False
    services.flush()
    response = client.get(f"{BASE}/services.json")
    assert response.content_type == JSON_TYPE
    body = response.get_json()
    validate(body, "services")
    assert [s["service_code"] for s in body] == [
        "infrastructure",
        "traffic",
        "lighting",
        "waste",
        "other",
    ]
    infrastructure = body[0]
    assert infrastructure == {
        "service_code": "infrastructure",
        "service_name": "Altyapı",
        "description": "Yol, kaldırım, çukur, su ve kanalizasyon sorunları",
        "metadata": True,
        "type": "realtime",
        "keywords": "infrastructure,altyapı",
        "group": "Fen İşleri",
    }
    assert body[1]["metadata"] is False
    xml = xml_to_data(parse_xml(client.get(f"{BASE}/services.xml").data))
    assert [s["service_code"] for s in xml] == [s["service_code"] for s in body]
    assert xml[0]["metadata"] == "true" and xml[1]["metadata"] == "false"


@pytest.mark.parametrize(
    ("args", "headers"),
    [
        ({"locale": "en"}, {}),
        ({}, {"Accept-Language": "en-GB,en;q=0.9"}),
        ({"locale": "en_US"}, {}),
    ],
)
def test_english_on_request(client, services, args, headers) -> None:
    body = client.get(f"{BASE}/services.json", query_string=args, headers=headers).get_json()
    assert body[0]["service_name"] == "Infrastructure"
    definition = client.get(
        f"{BASE}/services/infrastructure.json", query_string=args, headers=headers
    )
    depth = definition.get_json()["attributes"][0]
    assert depth["description"] == "depth of pothole, in centimetres"
    assert definition.get_json()["attributes"][1]["values"][1] == {"key": "square", "name": "Kare"}


def test_definition_uses_the_question_texts_and_hints(client, seeded) -> None:
    category(seeded, "lighting").questions = [
        {
            "code": "pole",
            "text_tr": "Direk numarası",
            "text_en": "Pole number",
            "datatype": "string",
            "required": False,
            "order": 1,
        },
        {
            "code": "when",
            "text_tr": "Ne zaman?",
            "text_en": "When?",
            "datatype": "datetime",
            "required": True,
            "order": 2,
        },
    ]
    seeded.flush()
    body = client.get(f"{BASE}/services/lighting.json").get_json()
    validate(body, "service-definition")
    assert body["attributes"] == [
        {
            "variable": True,
            "code": "pole",
            "datatype": "string",
            "required": False,
            "datatype_description": "Tek satır metin",
            "order": 1,
            "description": "Direk numarası",
        },
        {
            "variable": True,
            "code": "when",
            "datatype": "datetime",
            "required": True,
            "datatype_description": "Saat dilimli W3C tarih, ör. 2026-11-24T14:30:00+03:00",
            "order": 2,
            "description": "Ne zaman?",
        },
    ]
    english = client.get(f"{BASE}/services/lighting.xml?locale=en")
    assert english.content_type == XML_TYPE
    attributes = xml_to_data(parse_xml(english.data))["attributes"]
    assert attributes[1]["datatype_description"].startswith("A W3C datetime")


def test_retired_or_unknown_service_definition_is_404(client, services) -> None:
    category(services, "infrastructure").is_active = False
    services.flush()
    errors = assert_errors(client.get(f"{BASE}/services/infrastructure.json"), 404)
    assert "infrastructure" in errors[0]["description"]
    assert_errors(client.get(f"{BASE}/services/nope.xml"), 404)


@pytest.mark.parametrize(
    "path", ["/services", "/services.html", "/requests", "/discovery.yaml", "/nothing/here.json"]
)
def test_unknown_resources_and_formats_are_open311_404s(client, path) -> None:
    assert_errors(client.get(BASE + path), 404)


def test_configured_jurisdiction_refuses_others(
    app, client, services, settings, monkeypatch
) -> None:
    monkeypatch.setitem(
        app.config, "SOSOFT", settings.replace(OPEN311_JURISDICTION_ID="istanbul.bel.tr")
    )
    ok = client.get(f"{BASE}/services.json", query_string={"jurisdiction_id": "istanbul.bel.tr"})
    assert ok.status_code == 200
    assert client.get(f"{BASE}/services.json").status_code == 200
    errors = assert_errors(
        client.get(f"{BASE}/services.xml", query_string={"jurisdiction_id": "ankara.bel.tr"}), 404
    )
    assert "ankara.bel.tr" in errors[0]["description"]
    assert_errors(client.get(f"{BASE}/requests.json?jurisdiction_id=x"), 404)


def test_single_jurisdiction_endpoint_ignores_jurisdiction_id(client, services) -> None:
    response = client.get(f"{BASE}/services.json", query_string={"jurisdiction_id": "example.org"})
    assert response.status_code == 200


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_other_methods_are_405_in_the_asked_format(client, method) -> None:
    response = getattr(client, method)(f"{BASE}/services.json")
    assert response.content_type == JSON_TYPE
    assert_errors(response, 405)
    assert_errors(getattr(client, method)(f"{BASE}/requests/1.xml"), 405)

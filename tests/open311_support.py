"""Helpers for the Open311 tests: the reference fixture services, an API key,
schema validation (the schemas of open311/schema-validation, copied beside this
file) and XML parsing."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

from jsonschema import Draft4Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT4
from sqlalchemy.orm import Session

from core.config import Settings
from core.models import Category, Team
from core.people.api_keys import create_api_key

BASE = "/open311/v2"
JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "text/xml; charset=utf-8"
W3C = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")
ISTANBUL = ("41.0082", "28.9784")

_SCHEMA_DIR = Path(__file__).parent / "open311_schemas"
_SCHEMAS = {
    name: json.loads((_SCHEMA_DIR / f"{name}.json").read_text())
    for name in ("request", "requests", "service", "services", "service-definition")
}
# The schemas $ref each other by bare file name (contract.md C5).
_REGISTRY = Registry().with_resources(
    (f"{name}.json", Resource.from_contents(schema, default_specification=DRAFT4))
    for name, schema in _SCHEMAS.items()
)


def validate(document: Any, schema: str) -> None:
    """Raise jsonschema.ValidationError unless `document` fits `schema`."""
    Draft4Validator(_SCHEMAS[schema], registry=_REGISTRY).validate(document)
    if schema == "requests":
        for record in document:
            for name in ("requested_datetime", "updated_datetime", "expected_datetime"):
                assert record.get(name) is None or W3C.fullmatch(record[name]), record[name]


def parse_xml(body: bytes) -> ET.Element:
    """Parse our own XML output (trusted: produced by the server under test)."""
    text = body.decode("utf-8")
    assert text.startswith('<?xml version="1.0" encoding="utf-8"?>\n'), text[:60]
    return ET.fromstring(body)  # noqa: S314 - our own server's output, not untrusted input


def xml_to_data(element: ET.Element) -> Any:
    """Spark in reverse: containers become lists, records dicts, leaves text."""
    children = list(element)
    if not children:
        return element.text or ""
    tags = [child.tag for child in children]
    if element.tag in {
        "services",
        "service_requests",
        "attributes",
        "values",
        "errors",
        "endpoints",
        "formats",
    }:
        return [xml_to_data(child) for child in children]
    assert len(set(tags)) == len(tags), f"repeated children in <{element.tag}>"
    return {child.tag: xml_to_data(child) for child in children}


def assert_errors(response, status: int) -> list[dict[str, Any]]:
    """An Open311 error document in the response's format; returns the errors."""
    assert response.status_code == status, response.data[:500]
    if response.content_type.startswith("text/xml"):
        assert response.content_type == XML_TYPE
        root = parse_xml(response.data)
        assert root.tag == "errors"
        errors = [
            {"code": int(e.findtext("code")), "description": e.findtext("description")}
            for e in root.findall("error")
        ]
        assert len(errors) == len(list(root))
    else:
        assert response.content_type == JSON_TYPE
        errors = response.get_json()
        assert isinstance(errors, list)
    assert errors
    for error in errors:
        assert set(error) == {"code", "description"}
        assert isinstance(error["code"], int) and error["code"] == status
        assert isinstance(error["description"], str) and error["description"]
    return errors


def open311_key(
    session: Session, settings: Settings, scopes: tuple[str, ...] = ("open311:write",)
) -> str:
    _, secret = create_api_key(
        session, settings, name="311 app", scopes=list(scopes), created_by=None
    )
    return secret


def _attribute(code, text, datatype, required, order, hint, values=None) -> dict[str, Any]:
    question: dict[str, Any] = {
        "code": code,
        "text_tr": text,
        "text_en": text,
        "datatype": datatype,
        "required": required,
        "order": order,
        "description_tr": hint,
        "description_en": hint,
    }
    if values:
        question["values"] = [{"key": k, "name_tr": n, "name_en": n} for k, n in values]
    return question


def pothole_questions(shapes: list[tuple[str, str]]) -> list[dict[str, Any]]:
    return [
        _attribute("depth", "depth of pothole, in centimetres", "number", True, 1, "an integer"),
        _attribute(
            "shape",
            "shape of the pothole",
            "singlevaluelist",
            False,
            2,
            "square | circle | triangle",
            shapes,
        ),
    ]


def reference_services(session: Session) -> dict[str, Category]:
    """POT, SPOT and BIN of the reference's Endpoint1 (vectors.json "fixtures"):
    teams named like the reference groups, one language for both locales."""
    highways, sanitation = Team(name="highways"), Team(name="sanitation")
    session.add_all([highways, sanitation])
    session.flush()
    specs = [
        (
            "POT",
            "Pothole Repairs",
            highways,
            [("circle", "Circle"), ("square", "Square"), ("triangle", "Triangle")],
        ),
        (
            "SPOT",
            "Sorted Pothole Repairs",
            highways,
            [("circle", "Circle"), ("triangle", "Triangle"), ("square", "Square")],
        ),
        ("BIN", "Bin Enforcement", sanitation, None),
    ]
    services = {}
    for order, (code, name, team, shapes) in enumerate(specs, start=1):
        category = Category(
            code=code,
            name_tr=name,
            name_en=name,
            description_tr=f"{name} Service",
            description_en=f"{name} Service",
            default_team_id=team.id,
            sla_hours=72,
            sort_order=order,
            questions=pothole_questions(shapes) if shapes else [],
        )
        session.add(category)
        services[code] = category
    session.flush()
    return services

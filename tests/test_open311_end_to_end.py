"""A client that only knows Open311 follows a report from filing to closing, while a
manager defines the questions and staff work the ticket on SoSoft's side."""

from __future__ import annotations

from sqlalchemy import select

from core.models import Category, Ticket, User
from core.tickets.workflow import apply_transition
from tests.open311_support import BASE, ISTANBUL, open311_key, validate

HOLE_QUESTIONS = [
    {
        "code": "depth",
        "text_tr": "Çukur kaç cm derin?",
        "text_en": "How deep is the hole (cm)?",
        "datatype": "number",
        "required": False,
    },
    {
        "code": "lane",
        "text_tr": "Hangi şerit?",
        "text_en": "Which lane?",
        "datatype": "singlevaluelist",
        "required": True,
        "values": [
            {"key": "left", "name_tr": "Sol", "name_en": "Left"},
            {"key": "right", "name_tr": "Sağ", "name_en": "Right"},
        ],
    },
]


def test_open311_client_files_and_follows_a_request(
    client, seeded, settings, make_user, bearer
) -> None:
    manager = make_user("manager")
    infrastructure = seeded.scalar(select(Category).where(Category.code == "infrastructure"))
    put = client.put(
        f"/api/v1/categories/{infrastructure.id}/questions",
        json={"questions": HOLE_QUESTIONS},
        headers=bearer(manager),
    )
    assert put.status_code == 200, put.get_json()
    key = open311_key(seeded, settings)

    # The client discovers the endpoint and the services.
    discovery = client.get(f"{BASE}/discovery.json").get_json()
    base = discovery["endpoints"][0]["url"].removeprefix("http://testserver.local")
    services = client.get(f"{base}/services.json?locale=en").get_json()
    validate(services, "services")
    pothole = next(s for s in services if s["service_name"] == "Infrastructure")
    assert pothole["metadata"] is True

    # It reads the definition and answers what is asked.
    definition = client.get(f"{base}/services/{pothole['service_code']}.json?locale=en").get_json()
    validate(definition, "service-definition")
    by_code = {a["code"]: a for a in definition["attributes"]}
    assert by_code["lane"]["required"] is True
    assert [v["name"] for v in by_code["lane"]["values"]] == ["Left", "Right"]
    answers = {"attribute[depth]": "25", "attribute[lane]": by_code["lane"]["values"][1]["key"]}

    filed = client.post(
        f"{base}/requests.json",
        data={
            "api_key": key,
            "service_code": pothole["service_code"],
            "lat": ISTANBUL[0],
            "long": ISTANBUL[1],
            "description": "Deep pothole in the right lane near the tram stop",
            "phone": "+905551234567",
            "first_name": "Can",
            **answers,
        },
    )
    assert filed.status_code == 200, filed.get_json()
    request_id = filed.get_json()[0]["service_request_id"]

    def status() -> dict:
        body = client.get(f"{base}/requests/{request_id}.json").get_json()
        validate(body, "requests")
        return body[0]

    first = status()
    assert first["status"] == "open"
    assert first["service_code"] == "infrastructure"
    assert first["description"] == "Deep pothole in the right lane near the tram stop"

    # SoSoft side: the answers are on the ticket, the phone is its contact (never an
    # account: a key holder's word is no proof of whose number it is).
    ticket = seeded.scalar(select(Ticket).where(Ticket.number == int(request_id)))
    assert ticket.attributes == {"depth": 25, "lane": "right"}
    assert ticket.reporter_id is None and ticket.contact_phone == "+905551234567"
    assert seeded.scalar(select(User).where(User.phone == "+905551234567")) is None

    agent = make_user("support")
    apply_transition(seeded, ticket, "in_progress", actor=agent, role="support")
    seeded.flush()
    assert status()["status"] == "open"
    apply_transition(seeded, ticket, "resolved", actor=agent, role="support", note="Filled")
    seeded.flush()
    closed = status()
    assert closed["status"] == "closed"
    assert closed["updated_datetime"] >= first["updated_datetime"]
    listed = client.get(f"{base}/requests.json", query_string={"status": "closed"}).get_json()
    assert [r["service_request_id"] for r in listed] == [request_id]

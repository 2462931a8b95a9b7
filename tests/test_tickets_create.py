"""POST /api/v1/tickets: citizens report, staff file for a citizen; bad input is a
422 naming the field and writes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.models import Category, Message, Ticket, TicketEvent, User

URL = "/api/v1/tickets"
IN_ISTANBUL = {"lat": 41.0082, "lon": 28.9784}


def category_id(db, code: str = "infrastructure") -> int:
    return db.scalar(select(Category.id).where(Category.code == code))


def valid_body(db, **changes):
    body = {
        "category_id": category_id(db),
        "description": "Sokağımızda büyük bir çukur var.",
        "location": IN_ISTANBUL,
        "address": "Moda Cd. 12, Kadıköy",
    }
    body.update(changes)
    return {k: v for k, v in body.items() if v is not None}


def test_citizen_opens_a_ticket(client, seeded, make_user, bearer) -> None:
    citizen = make_user("citizen", name="Ayşe Yılmaz")
    response = client.post(URL, json=valid_body(seeded), headers=bearer(citizen))

    assert response.status_code == 201, response.json
    ticket = response.json
    assert ticket["status"] == "new"
    assert ticket["public_number"] == f"#{ticket['number']}"
    assert ticket["team"]["name"] == "Fen İşleri"
    assert ticket["category"]["name"] == "Altyapı"
    assert ticket["category"]["name_en"] == "Infrastructure"
    assert ticket["location"] == pytest.approx(IN_ISTANBUL)
    assert ticket["reporter"]["name"] == "Ayşe Yılmaz"
    assert "phone" not in ticket["reporter"]
    assert ticket["allowed_transitions"] == []
    row = seeded.get(Ticket, ticket["id"])
    assert row.reporter_id == citizen.id and row.channel == "api"
    assert (row.due_at - row.created_at).total_seconds() == 72 * 3600
    events = seeded.scalars(select(TicketEvent.kind).where(TicketEvent.ticket_id == row.id))
    assert list(events) == ["created"]
    outbox = seeded.scalars(select(Message).where(Message.ticket_id == row.id)).all()
    assert [(m.kind, m.user_id) for m in outbox] == [("report_received", citizen.id)]


def test_english_speaker_gets_english_names(client, seeded, make_user, bearer) -> None:
    citizen = make_user("citizen", locale="en")
    response = client.post(URL, json=valid_body(seeded), headers=bearer(citizen))
    assert response.json["category"]["name"] == "Infrastructure"


def test_control_characters_are_stripped(client, seeded, make_user, bearer) -> None:
    body = valid_body(seeded, description="\x00Lamba\x07 yanmıyor\x1b, lütfen bakın\n")
    response = client.post(URL, json=body, headers=bearer(make_user("citizen")))
    assert response.status_code == 201
    assert response.json["description"] == "Lamba yanmıyor, lütfen bakın"


def test_staff_files_for_a_new_citizen_by_phone(client, seeded, make_user, bearer) -> None:
    support = make_user("support")
    body = valid_body(seeded, reporter_phone="0532 999 88 77", reporter_name="Mehmet Kaya")
    response = client.post(URL, json=body, headers=bearer(support))

    assert response.status_code == 201, response.json
    citizen = seeded.scalar(select(User).where(User.phone == "+905329998877"))
    assert citizen.role == "citizen" and citizen.full_name == "Mehmet Kaya"
    assert response.json["reporter"] == {
        "id": citizen.id, "name": "Mehmet Kaya", "role": "citizen", "phone": "+905329998877",
    }  # fmt: skip
    event = seeded.scalar(select(TicketEvent).where(TicketEvent.ticket_id == response.json["id"]))
    assert event.actor_id == support.id


def test_staff_files_for_an_existing_citizen(client, seeded, make_user, bearer) -> None:
    citizen = make_user("citizen", phone="+905320000001")
    body = valid_body(seeded, reporter_phone="+90 532 000 00 01")
    response = client.post(URL, json=body, headers=bearer(make_user("manager")))
    assert response.status_code == 201
    assert response.json["reporter"]["id"] == citizen.id


def test_citizen_may_not_file_for_someone_else(client, seeded, make_user, bearer) -> None:
    body = valid_body(seeded, reporter_phone="+905329998877")
    response = client.post(URL, json=body, headers=bearer(make_user("citizen")))
    assert response.status_code == 403
    assert seeded.scalar(select(func.count()).select_from(Ticket)) == 0


def test_anonymous_caller_is_401(client, seeded) -> None:
    assert client.post(URL, json=valid_body(seeded)).status_code == 401


BAD_BODIES = [
    ("missing category", {"category_id": None}, "category_id"),
    ("category as text", {"category_id": "altyapı"}, "category_id"),
    ("unknown category", {"category_id": 987654}, "category_id"),
    ("missing description", {"description": None}, "description"),
    ("description too short", {"description": "çukur"}, "description"),
    ("description only control chars", {"description": "\x00\x01" * 10}, "description"),
    ("description too long", {"description": "ç" * 2001}, "description"),
    ("description a number", {"description": 1234567890123}, "description"),
    ("location outside the city", {"location": {"lat": 39.93, "lon": 32.85}}, "location"),
    ("latitude impossible", {"location": {"lat": 91, "lon": 29}}, "location"),
    ("location missing lon", {"location": {"lat": 41.0}}, "location"),
    ("location as text", {"location": "Kadıköy"}, "location"),
    ("no location, no address", {"location": None, "address": None}, "location"),
    ("address too long", {"address": "a" * 501}, "address"),
    ("unknown field", {"priority": "urgent"}, "priority"),
]


@pytest.mark.parametrize(("case", "changes", "field"), BAD_BODIES, ids=[c[0] for c in BAD_BODIES])
def test_bad_body_is_422_naming_the_field(
    client, seeded, make_user, bearer, case, changes, field
) -> None:
    body = valid_body(seeded, **changes)
    response = client.post(URL, json=body, headers=bearer(make_user("citizen")))
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]["json"]
    assert seeded.scalar(select(func.count()).select_from(Ticket)) == 0


def test_staff_without_reporter_phone_is_422(client, seeded, make_user, bearer) -> None:
    response = client.post(URL, json=valid_body(seeded), headers=bearer(make_user("support")))
    assert response.status_code == 422
    assert "reporter_phone" in response.json["errors"]["json"]


@pytest.mark.parametrize("phone", ["12345", "+14155550100", "0212 555 55 55"])
def test_staff_with_bad_phone_is_422(client, seeded, make_user, bearer, phone) -> None:
    body = valid_body(seeded, reporter_phone=phone)
    response = client.post(URL, json=body, headers=bearer(make_user("support")))
    assert response.status_code == 422
    assert "reporter_phone" in response.json["errors"]["json"]
    assert seeded.scalar(select(func.count()).select_from(User).where(User.role == "citizen")) == 0


def test_inactive_category_is_refused_to_citizens(client, seeded, make_user, bearer) -> None:
    category = seeded.get(Category, category_id(seeded, "parks"))
    category.is_active = False
    seeded.flush()
    body = valid_body(seeded, category_id=category.id)
    response = client.post(URL, json=body, headers=bearer(make_user("citizen")))
    assert response.status_code == 422
    assert "category_id" in response.json["errors"]["json"]

"""Categories: citizens see active ones in their language; managers create,
change and retire them; one that has tickets is never deleted."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.models import Category, Team

URL = "/api/v1/categories"


def codes(response) -> list[str]:
    assert response.status_code == 200, response.json
    return [c["code"] for c in response.json["data"]]


def retire(db, code: str) -> Category:
    category = db.scalar(select(Category).where(Category.code == code))
    category.is_active = False
    db.flush()
    return category


def test_citizens_see_active_categories_in_their_language(
    client, seeded, make_user, bearer
) -> None:
    retire(seeded, "parks")
    response = client.get(URL, headers=bearer(make_user("citizen", locale="en")))
    assert codes(response) == ["infrastructure", "traffic", "lighting", "waste", "other"]
    first = response.json["data"][0]
    assert (first["name"], first["name_tr"], first["name_en"]) == (
        "Infrastructure", "Altyapı", "Infrastructure",
    )  # fmt: skip
    assert "sla_hours" not in first and "default_team" not in first


def test_staff_see_all_with_team_and_sla(client, seeded, make_user, bearer) -> None:
    retire(seeded, "parks")
    response = client.get(URL, headers=bearer(make_user("support")))
    assert "parks" in codes(response)
    first = response.json["data"][0]
    assert first["name"] == "Altyapı"
    assert first["sla_hours"] == 72 and first["default_team"]["name"] == "Fen İşleri"


def test_retired_category_is_404_for_citizens(client, seeded, make_user, bearer) -> None:
    parks = retire(seeded, "parks")
    assert client.get(f"{URL}/{parks.id}", headers=bearer(make_user("citizen"))).status_code == 404
    assert client.get(f"{URL}/{parks.id}", headers=bearer(make_user("manager"))).status_code == 200


def test_categories_are_paged(client, seeded, make_user, bearer) -> None:
    headers = bearer(make_user("citizen"))
    first = client.get(f"{URL}?limit=4", headers=headers).json
    rest = client.get(f"{URL}?limit=4&cursor={first['next_cursor']}", headers=headers)
    assert [c["code"] for c in first["data"]] + codes(rest) == [
        "infrastructure", "traffic", "lighting", "waste", "parks", "other",
    ]  # fmt: skip


def test_manager_creates_a_category_with_questions(client, seeded, make_user, bearer) -> None:
    team = seeded.scalar(select(Team).where(Team.name == "Fen İşleri"))
    body = {
        "code": "graffiti", "name_tr": "Duvar Yazısı", "name_en": "Graffiti",
        "default_team_id": team.id, "sla_hours": 96, "sort_order": 7,
        "questions": [{"code": "surface", "text_tr": "Nerede?", "text_en": "Where?",
                       "datatype": "string"}],
    }  # fmt: skip
    response = client.post(URL, json=body, headers=bearer(make_user("manager")))
    assert response.status_code == 201, response.json
    assert response.json["default_team"]["id"] == team.id
    assert response.json["questions"][0]["code"] == "surface"
    again = client.post(URL, json=body, headers=bearer(make_user("manager")))
    assert again.status_code == 409


BAD = [
    ({"code": "Bad Code", "name_tr": "a", "name_en": "a"}, "code"),
    ({"code": "ok_code", "name_en": "a"}, "name_tr"),
    ({"code": "ok_code", "name_tr": "", "name_en": "a"}, "name_tr"),
    ({"code": "ok_code", "name_tr": "a" * 81, "name_en": "a"}, "name_tr"),
    ({"code": "ok_code", "name_tr": "a", "name_en": "a", "sla_hours": 0}, "sla_hours"),
    ({"code": "ok_code", "name_tr": "a", "name_en": "a", "sla_hours": "24"}, "sla_hours"),
    ({"code": "ok_code", "name_tr": "a", "name_en": "a", "default_team_id": 987654}, "default_team_id"),
    ({"code": "ok_code", "name_tr": "a", "name_en": "a", "questions": [{"code": "x"}]}, "questions"),
]  # fmt: skip


@pytest.mark.parametrize(("body", "field"), BAD)
def test_bad_category_is_422(client, seeded, make_user, bearer, body, field) -> None:
    response = client.post(URL, json=body, headers=bearer(make_user("manager")))
    assert response.status_code == 422, response.json
    assert field in response.json["errors"]["json"]
    assert seeded.scalar(select(Category).where(Category.code == "ok_code")) is None


def test_patch_deactivates_and_changes_sla(client, seeded, make_user, bearer) -> None:
    parks = seeded.scalar(select(Category).where(Category.code == "parks"))
    response = client.patch(
        f"{URL}/{parks.id}", json={"is_active": False, "sla_hours": 240},
        headers=bearer(make_user("manager")),
    )  # fmt: skip
    assert response.status_code == 200
    assert response.json["is_active"] is False and response.json["sla_hours"] == 240


def test_a_used_category_is_never_deleted(client, make_user, make_ticket, bearer, seeded):
    ticket = make_ticket(category="parks")
    manager = bearer(make_user("manager"))
    response = client.delete(f"{URL}/{ticket.category_id}", headers=manager)
    assert response.status_code == 409
    unused = Category(code="unused", name_tr="Boş", name_en="Empty")
    seeded.add(unused)
    seeded.flush()
    assert client.delete(f"{URL}/{unused.id}", headers=manager).status_code == 204
    assert seeded.scalar(select(Category).where(Category.code == "unused")) is None

"""`/api/v1/teams`: staff read teams, managers add, change and delete them."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Category, Team, Ticket

TEAMS = "/api/v1/teams"


@pytest.fixture
def roads(db: Session) -> Team:
    team = Team(name="Roads", description="Potholes and pavements")
    db.add(team)
    db.flush()
    return team


def ticket_for(db: Session, team: Team, status: str) -> Ticket:
    category = Category(code=f"c{team.id}{status}", name_tr="Yol", name_en="Road")
    db.add(category)
    db.flush()
    ticket = Ticket(
        category_id=category.id, description="Çukur", channel="sms", team_id=team.id, status=status
    )
    db.add(ticket)
    db.flush()
    return ticket


def test_support_lists_teams_by_name(client, make_user, bearer, roads, db) -> None:
    db.add_all([Team(name="Lighting"), Team(name="Parks")])
    db.flush()

    response = client.get(TEAMS, headers=bearer(make_user("support")))

    assert response.status_code == 200
    body = response.get_json()
    assert [t["name"] for t in body["data"]] == ["Lighting", "Parks", "Roads"]
    assert body["next_cursor"] is None
    assert body["data"][2]["description"] == "Potholes and pavements"


def test_pages(client, make_user, bearer, db) -> None:
    db.add_all([Team(name=name) for name in ("A", "B", "C")])
    db.flush()
    headers = bearer(make_user("manager"))

    first = client.get(f"{TEAMS}?limit=2", headers=headers).get_json()
    second = client.get(f"{TEAMS}?limit=2&cursor={first['next_cursor']}", headers=headers)

    assert [t["name"] for t in first["data"]] == ["A", "B"]
    assert [t["name"] for t in second.get_json()["data"]] == ["C"]


def test_get_one(client, make_user, bearer, roads) -> None:
    headers = bearer(make_user("support"))
    assert client.get(f"{TEAMS}/{roads.id}", headers=headers).get_json()["name"] == "Roads"
    assert client.get(f"{TEAMS}/999999", headers=headers).status_code == 404


def test_manager_creates_a_team(client, make_user, bearer, db) -> None:
    response = client.post(
        TEAMS,
        json={"name": "  Snow  ", "description": "Winter"},
        headers=bearer(make_user("manager")),
    )

    assert response.status_code == 201
    assert response.get_json()["name"] == "Snow"
    assert response.get_json()["is_active"] is True
    assert db.scalar(select(Team).where(Team.name == "Snow")) is not None


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({}, 422),
        ({"name": ""}, 422),
        ({"name": "   "}, 422),
        ({"name": "x" * 81}, 422),
        ({"name": "roads"}, 409),  # the same name, whatever the case
        ({"name": "New", "id": 5}, 422),
    ],
)
def test_bad_new_teams(client, make_user, bearer, roads, payload, status) -> None:
    response = client.post(TEAMS, json=payload, headers=bearer(make_user("manager")))
    assert response.status_code == status
    assert response.get_json()["code"] == status


def test_manager_renames_and_deactivates(client, make_user, bearer, roads) -> None:
    response = client.patch(
        f"{TEAMS}/{roads.id}",
        json={"name": "Roads & Bridges", "is_active": False},
        headers=bearer(make_user("manager")),
    )

    assert response.status_code == 200
    assert response.get_json()["name"] == "Roads & Bridges"
    assert response.get_json()["is_active"] is False


def test_renaming_to_a_taken_name_is_409(client, make_user, bearer, roads, db) -> None:
    db.add(Team(name="Parks"))
    db.flush()
    headers = bearer(make_user("manager"))

    assert (
        client.patch(f"{TEAMS}/{roads.id}", json={"name": "PARKS"}, headers=headers).status_code
        == 409
    )
    assert (
        client.patch(f"{TEAMS}/{roads.id}", json={"name": "Roads"}, headers=headers).status_code
        == 200
    )


def test_delete_a_team_without_open_tickets(client, make_user, bearer, roads, db) -> None:
    member = make_user("support", team=roads)
    closed = ticket_for(db, roads, "closed")

    response = client.delete(f"{TEAMS}/{roads.id}", headers=bearer(make_user("manager")))

    assert response.status_code == 204
    assert db.scalar(select(Team.id).where(Team.id == roads.id)) is None
    db.refresh(member)
    db.refresh(closed)
    assert member.teams == [] and closed.team_id is None


@pytest.mark.parametrize("status", ["new", "in_progress", "escalated"])
def test_delete_a_team_with_open_tickets_is_409(
    client, make_user, bearer, roads, db, status
) -> None:
    ticket_for(db, roads, status)

    response = client.delete(f"{TEAMS}/{roads.id}", headers=bearer(make_user("manager")))

    assert response.status_code == 409
    assert "open tickets" in response.get_json()["message"]
    assert db.scalar(select(Team.id).where(Team.id == roads.id)) == roads.id


def test_delete_unknown_team_is_404(client, make_user, bearer) -> None:
    assert client.delete(f"{TEAMS}/999999", headers=bearer(make_user("manager"))).status_code == 404


def test_support_cannot_change_teams(client: FlaskClient, make_user, bearer, roads) -> None:
    headers = bearer(make_user("support"))
    assert client.post(TEAMS, json={"name": "X"}, headers=headers).status_code == 403
    assert (
        client.patch(f"{TEAMS}/{roads.id}", json={"name": "X"}, headers=headers).status_code == 403
    )
    assert client.delete(f"{TEAMS}/{roads.id}", headers=headers).status_code == 403

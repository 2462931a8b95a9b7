"""`/api/v1/users`: your own profile; staff management by managers; support's directory."""

from __future__ import annotations

import threading

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import Conflict
from core.models import Team, User
from core.people.users import update_user
from tests.auth_helpers import ME, REFRESH, sign_in

USERS = "/api/v1/users"


@pytest.fixture
def team(db: Session) -> Team:
    team = Team(name="Roads")
    db.add(team)
    db.flush()
    return team


# --- PATCH /users/me ------------------------------------------------------------------------


def test_change_own_name_and_language(client: FlaskClient, make_user, bearer) -> None:
    user = make_user("citizen", locale="tr")

    response = client.patch(
        f"{USERS}/me", json={"full_name": "  Elif Şahin ", "locale": "en"}, headers=bearer(user)
    )

    assert response.status_code == 200
    assert response.get_json()["full_name"] == "Elif Şahin"
    assert response.get_json()["locale"] == "en"
    assert client.get(ME, headers=bearer(user)).get_json()["locale"] == "en"


def test_staff_switch_sla_alerts(client: FlaskClient, make_user, bearer) -> None:
    user = make_user("support")

    response = client.patch(f"{USERS}/me", json={"sla_alerts": True}, headers=bearer(user))

    assert response.status_code == 200
    assert response.get_json()["sla_alerts"] is True


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"full_name": ""}, "full_name"),
        ({"full_name": "   "}, "full_name"),
        ({"full_name": "x" * 121}, "full_name"),
        ({"locale": "de"}, "locale"),
        ({"role": "manager"}, "role"),
        ({"is_active": False}, "is_active"),
        ({"sla_alerts": True}, "sla_alerts"),  # citizens get no SLA alerts
    ],
)
def test_bad_profile_changes_are_422(client, make_user, bearer, db, payload, field) -> None:
    user = make_user("citizen", name="Ali Veli")

    response = client.patch(f"{USERS}/me", json=payload, headers=bearer(user))

    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]
    db.refresh(user)
    assert (user.full_name, user.role, user.is_active) == ("Ali Veli", "citizen", True)


# --- listing --------------------------------------------------------------------------------


def test_manager_lists_with_filters(client, make_user, bearer, team: Team) -> None:
    manager = make_user("manager", name="Ayşe Yılmaz")
    roads = make_user("support", name="Mehmet Demir", team=team)
    idle = make_user("support", name="Fatma Kaya", is_active=False)
    citizen = make_user("citizen", name="Ahmet Öz", phone="+905551112233")
    headers = bearer(manager)

    def ids(query: str) -> list[int]:
        response = client.get(f"{USERS}?{query}", headers=headers)
        assert response.status_code == 200, response.get_json()
        return [u["id"] for u in response.get_json()["data"]]

    assert ids("") == [manager.id, roads.id, idle.id, citizen.id]
    assert ids("role=support") == [roads.id, idle.id]
    assert ids(f"team_id={team.id}") == [roads.id]
    assert ids("is_active=false") == [idle.id]
    assert ids("q=demir") == [roads.id]
    assert ids("q=0555 111") == [citizen.id]
    assert ids("q=5551112233") == [citizen.id]
    assert ids("q=%25") == []  # a LIKE wildcard is just a character


def test_keyset_pages(client: FlaskClient, make_user, bearer) -> None:
    manager = make_user("manager")
    for _ in range(4):
        make_user("support")
    headers = bearer(manager)

    first = client.get(f"{USERS}?limit=2", headers=headers).get_json()
    second = client.get(f"{USERS}?limit=2&cursor={first['next_cursor']}", headers=headers)
    third = client.get(
        f"{USERS}?limit=2&cursor={second.get_json()['next_cursor']}", headers=headers
    ).get_json()

    seen = [u["id"] for page in (first, second.get_json(), third) for u in page["data"]]
    assert len(seen) == 5 == len(set(seen))
    assert seen == sorted(seen)
    assert third["next_cursor"] is None


@pytest.mark.parametrize(
    "query", ["limit=0", "limit=201", "cursor=nonsense!", "role=admin", "is_active=maybe"]
)
def test_bad_list_queries_are_422(client, make_user, bearer, query: str) -> None:
    response = client.get(f"{USERS}?{query}", headers=bearer(make_user("manager")))
    assert response.status_code == 422


def test_support_sees_staff_only(client: FlaskClient, make_user, bearer) -> None:
    support = make_user("support")
    manager = make_user("manager")
    citizen = make_user("citizen")
    headers = bearer(support)

    listed = client.get(USERS, headers=headers).get_json()["data"]

    assert {u["id"] for u in listed} == {support.id, manager.id}
    assert client.get(f"{USERS}/{manager.id}", headers=headers).status_code == 200
    assert client.get(f"{USERS}/{citizen.id}", headers=headers).status_code == 404


def test_unknown_user_is_404(client: FlaskClient, make_user, bearer) -> None:
    response = client.get(f"{USERS}/999999", headers=bearer(make_user("manager")))
    assert response.status_code == 404


# --- adding staff ---------------------------------------------------------------------------


def test_manager_adds_support_by_phone(client, make_user, bearer, team, db) -> None:
    manager = make_user("manager")

    response = client.post(
        USERS,
        json={"phone_number": "0532 555 44 33", "full_name": "Deniz Ak", "team_ids": [team.id]},
        headers=bearer(manager),
    )

    assert response.status_code == 201
    body = response.get_json()
    assert body["phone"] == "+905325554433"
    assert (body["role"], body["team_ids"], body["locale"]) == ("support", [team.id], "tr")
    assert db.scalar(select(User).where(User.phone == "+905325554433")).role == "support"


@pytest.mark.parametrize(
    ("payload", "status", "field"),
    [
        ({"phone_number": "02121234567", "full_name": "X"}, 422, "phone_number"),
        ({"phone_number": "hello", "full_name": "X"}, 422, "phone_number"),
        ({"phone_number": "05325554433"}, 422, "full_name"),
        ({"phone_number": "05325554433", "full_name": " "}, 422, "full_name"),
        ({"phone_number": "05325554433", "full_name": "X", "role": "citizen"}, 422, "role"),
        ({"phone_number": "05325554433", "full_name": "X", "team_ids": [999999]}, 422, "team_ids"),
        ({"phone_number": "05325554433", "full_name": "X", "team_ids": 3}, 422, "team_ids"),
        ({"phone_number": "05325554433", "full_name": "X", "team_id": 3}, 422, "team_id"),
        ({"phone_number": "05325554433", "full_name": "X", "locale": "fr"}, 422, "locale"),
        ({"phone_number": "+90 532 000 00 01", "full_name": "X"}, 409, "phone_number"),
    ],
)
def test_bad_staff_additions(client, make_user, bearer, db, payload, status, field) -> None:
    manager = make_user("manager")  # +905320000001
    before = db.scalar(select(User.id).order_by(User.id.desc()))

    response = client.post(USERS, json=payload, headers=bearer(manager))

    assert response.status_code == status
    assert field in response.get_json()["errors"]["json"]
    assert db.scalar(select(User.id).order_by(User.id.desc())) == before


# --- changing users -------------------------------------------------------------------------


def test_adding_an_existing_number_points_to_the_user(client, make_user, bearer) -> None:
    manager = make_user("manager")
    citizen = make_user("citizen", phone="+905325554433")

    response = client.post(
        USERS, json={"phone_number": "05325554433", "full_name": "X"}, headers=bearer(manager)
    )

    assert response.status_code == 409
    assert f"user #{citizen.id}" in response.get_json()["message"]


def test_manager_promotes_and_moves_a_user(client, make_user, bearer, team) -> None:
    manager = make_user("manager")
    support = make_user("support")

    response = client.patch(
        f"{USERS}/{support.id}",
        json={"role": "manager", "team_ids": [team.id], "full_name": "Selin Ay"},
        headers=bearer(manager),
    )

    assert response.status_code == 200
    body = response.get_json()
    assert (body["role"], body["team_ids"], body["full_name"]) == ("manager", [team.id], "Selin Ay")


def test_staff_work_for_several_teams(client, db, make_user, bearer, team) -> None:
    manager = make_user("manager")
    parks = Team(name="Parklar")
    db.add(parks)
    db.flush()
    support = make_user("support", team=team)
    headers = bearer(manager)

    def change(team_ids):
        response = client.patch(
            f"{USERS}/{support.id}", json={"team_ids": team_ids}, headers=headers
        )
        assert response.status_code == 200, response.get_json()
        return response.get_json()["team_ids"]

    def members(of: Team) -> list[int]:
        response = client.get(f"{USERS}?team_id={of.id}", headers=headers)
        return [u["id"] for u in response.get_json()["data"]]

    assert change([parks.id, team.id, parks.id]) == sorted([team.id, parks.id])
    assert members(team) == members(parks) == [support.id]
    assert client.get(f"{USERS}/{support.id}", headers=headers).get_json()["team_ids"] == sorted(
        [team.id, parks.id]
    )
    assert change([parks.id]) == [parks.id]
    assert members(team) == []
    assert client.patch(
        f"{USERS}/{support.id}", json={"role": "manager"}, headers=headers
    ).get_json()["team_ids"] == [parks.id]  # a change of role keeps the teams
    assert change([]) == []
    assert members(parks) == []


def test_demoting_to_citizen_drops_the_team(client, make_user, bearer, team) -> None:
    manager = make_user("manager")
    support = make_user("support", team=team, sla_alerts=True)

    body = client.patch(
        f"{USERS}/{support.id}", json={"role": "citizen"}, headers=bearer(manager)
    ).get_json()

    assert (body["role"], body["team_ids"], body["sla_alerts"]) == ("citizen", [], False)


def test_deactivation_ends_sessions_at_once(client, make_user, bearer) -> None:
    manager = make_user("manager")
    support = make_user("support", phone="+905321234567")
    tokens = sign_in(client, "+905321234567")

    response = client.patch(
        f"{USERS}/{support.id}", json={"is_active": False}, headers=bearer(manager)
    )

    assert response.status_code == 200
    auth = {"Authorization": f"Bearer {tokens['access_token']}"}
    assert client.get(ME, headers=auth).status_code == 401
    assert client.post(REFRESH, json={"refresh_token": tokens["refresh_token"]}).status_code == 401


@pytest.mark.parametrize("change", [{"role": "support"}, {"is_active": False}])
def test_last_active_manager_cannot_leave(client, make_user, bearer, db, change) -> None:
    manager = make_user("manager")
    make_user("manager", is_active=False)

    response = client.patch(f"{USERS}/{manager.id}", json=change, headers=bearer(manager))

    assert response.status_code == 409
    assert "at least one active manager" in response.get_json()["message"]
    db.refresh(manager)
    assert (manager.role, manager.is_active) == ("manager", True)


def test_a_manager_may_step_down_when_another_remains(client, make_user, bearer) -> None:
    leaving = make_user("manager")
    make_user("manager")

    response = client.patch(
        f"{USERS}/{leaving.id}", json={"role": "support"}, headers=bearer(leaving)
    )

    assert response.status_code == 200
    assert client.get(USERS, headers=bearer(leaving)).status_code == 200  # support now
    assert client.post(USERS, json={}, headers=bearer(leaving)).status_code == 403


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"role": "admin"}, "role"),
        ({"team_ids": [999999]}, "team_ids"),
        ({"team_ids": [0]}, "team_ids"),
        ({"team_ids": None}, "team_ids"),
        ({"team_ids": list(range(1, 60))}, "team_ids"),
        ({"full_name": ""}, "full_name"),
        ({"is_active": "maybe"}, "is_active"),
        ({"phone": "+905329999999"}, "phone"),
    ],
)
def test_bad_user_changes_are_422(client, make_user, bearer, payload, field) -> None:
    manager = make_user("manager")
    support = make_user("support")

    response = client.patch(f"{USERS}/{support.id}", json=payload, headers=bearer(manager))

    assert response.status_code == 422
    assert field in response.get_json()["errors"]["json"]


def test_citizen_cannot_join_a_team(client, make_user, bearer, team) -> None:
    manager = make_user("manager")
    citizen = make_user("citizen")

    response = client.patch(
        f"{USERS}/{citizen.id}", json={"team_ids": [team.id]}, headers=bearer(manager)
    )

    assert response.status_code == 422
    assert "team_ids" in response.get_json()["errors"]["json"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("GET", f"{USERS}/{2**63}"),
        ("PATCH", f"{USERS}/{2**70}"),
    ],
)
def test_ids_beyond_bigint_are_404(client, make_user, bearer, method, path) -> None:
    response = client.open(path, method=method, json={}, headers=bearer(make_user("manager")))
    assert response.status_code == 404


@pytest.mark.parametrize("query", ["q=%00", f"team_id={2**63}", "team_id=-1", "q=" + "x" * 121])
def test_hostile_list_queries_are_422(client, make_user, bearer, query: str) -> None:
    response = client.get(f"{USERS}?{query}", headers=bearer(make_user("manager")))
    assert response.status_code == 422


def test_control_characters_are_dropped_from_names(client, make_user, bearer) -> None:
    user = make_user("support")

    response = client.patch(
        f"{USERS}/me", json={"full_name": "Ay\x00şe\x07 Kaya"}, headers=bearer(user)
    )

    assert response.status_code == 200
    assert response.get_json()["full_name"] == "Ayşe Kaya"


def test_team_id_must_be_a_number(client, make_user, bearer, team) -> None:
    manager = make_user("manager")
    support = make_user("support")

    response = client.patch(
        f"{USERS}/{support.id}", json={"team_ids": [str(team.id)]}, headers=bearer(manager)
    )

    assert response.status_code == 422


def test_two_managers_demoting_each_other_at_once_leave_one(committed_db) -> None:
    with committed_db.transaction() as session:
        first = User(phone="+905321110001", full_name="A", role="manager")
        second = User(phone="+905321110002", full_name="B", role="manager")
        session.add_all([first, second])
        session.flush()
        first_id, second_id = first.id, second.id

    holder = committed_db.session()
    update_user(holder, holder.get(User, second_id), {"role": "support"})  # locks managers
    outcome: list[str] = []

    def demote_the_other() -> None:
        with committed_db.session() as session:
            try:
                update_user(session, session.get(User, first_id), {"role": "support"})
                session.commit()
                outcome.append("demoted")
            except Conflict:
                outcome.append("refused")

    thread = threading.Thread(target=demote_the_other)
    thread.start()
    thread.join(0.5)
    assert thread.is_alive(), "the second demotion should wait for the first"
    holder.commit()
    holder.close()
    thread.join(10)

    assert outcome == ["refused"]
    with committed_db.session() as session:
        managers = session.scalars(select(User.id).where(User.role == "manager")).all()
    assert managers == [first_id]


def test_a_change_waiting_for_another_is_checked_against_its_result(
    app, committed_db, bearer
) -> None:
    # One manager makes a support member a citizen while another moves them to a
    # team: the move must be judged against the citizen they have become.
    with committed_db.transaction() as session:
        first, second = Team(name="Yollar"), Team(name="Parklar")
        manager = User(phone="+905320000001", role="manager")
        member = User(phone="+905320000002", role="support", teams=[first])
        session.add_all([first, second, manager, member])
    headers = bearer(manager)

    demoting = committed_db.session()
    locked = demoting.scalar(select(User).where(User.id == member.id).with_for_update())
    update_user(demoting, locked, {"role": "citizen"})
    demoting.flush()
    answers: list[int] = []
    moving = threading.Thread(
        target=lambda: answers.append(
            app.test_client()
            .patch(f"{USERS}/{member.id}", json={"team_ids": [second.id]}, headers=headers)
            .status_code
        )
    )
    moving.start()
    moving.join(0.5)
    demoting.commit()
    demoting.close()
    moving.join(10)

    assert answers == [422]  # citizens do not belong to a team
    with committed_db.transaction() as session:
        final = session.get(User, member.id)
        assert (final.role, final.team_ids) == ("citizen", [])

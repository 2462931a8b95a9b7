"""Who gets what: citizen A, citizen B, support, manager and an API key (and nobody)
against every endpoint of sign-in, users, teams and API keys, with the exact status.

`{name}` in a path is filled from the world built for each case; a body may be a
function of that world, so each call works on fresh data.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy.orm import Session

from core.config import Settings
from core.models import Team, User
from core.people.api_keys import create_api_key

ROLES = ("nobody", "citizen_a", "citizen_b", "support", "manager", "api_key")
_phones = itertools.count(1)


@dataclass
class World:
    users: dict[str, User]
    team: Team
    spare_team: Team
    api_key_id: int
    api_key_secret: str

    def ids(self) -> dict[str, int]:
        return {
            **{name: user.id for name, user in self.users.items()},
            "team": self.team.id,
            "spare_team": self.spare_team.id,
            "api_key": self.api_key_id,
        }


@dataclass(frozen=True)
class Case:
    method: str
    path: str
    statuses: tuple[int, int, int, int, int, int]  # in the order of ROLES
    body: Callable[[], dict[str, Any]] | None = None


def new_staff() -> dict[str, Any]:
    return {"phone_number": f"+90533{next(_phones):07d}", "full_name": "New Staff"}


def new_team() -> dict[str, Any]:
    return {"name": f"Team {next(_phones)}"}


def new_key() -> dict[str, Any]:
    return {"name": "BI", "scopes": ["analytics:read"]}


CASES = [
    Case("GET", "/api/v1/auth/me", (401, 200, 200, 200, 200, 403)),
    Case("POST", "/api/v1/auth/refresh", (401,) * 6, lambda: {"refresh_token": "made-up"}),
    Case("POST", "/api/v1/auth/logout", (204,) * 6, lambda: {"refresh_token": "made-up"}),
    Case("PATCH", "/api/v1/users/me", (401, 200, 200, 200, 200, 403), lambda: {"locale": "en"}),
    Case("GET", "/api/v1/users", (401, 403, 403, 200, 200, 403)),
    Case("POST", "/api/v1/users", (401, 403, 403, 403, 201, 403), new_staff),
    Case("GET", "/api/v1/users/{citizen_a}", (401, 403, 403, 404, 200, 403)),
    Case("GET", "/api/v1/users/{support}", (401, 403, 403, 200, 200, 403)),
    Case(
        "PATCH",
        "/api/v1/users/{citizen_b}",
        (401, 403, 403, 403, 200, 403),
        lambda: {"full_name": "Renamed"},
    ),
    Case("GET", "/api/v1/teams", (401, 403, 403, 200, 200, 403)),
    Case("POST", "/api/v1/teams", (401, 403, 403, 403, 201, 403), new_team),
    Case("GET", "/api/v1/teams/{team}", (401, 403, 403, 200, 200, 403)),
    Case("PATCH", "/api/v1/teams/{team}", (401, 403, 403, 403, 200, 403), new_team),
    Case("DELETE", "/api/v1/teams/{spare_team}", (401, 403, 403, 403, 204, 403)),
    Case("GET", "/api/v1/api-keys", (401, 403, 403, 403, 200, 403)),
    Case("POST", "/api/v1/api-keys", (401, 403, 403, 403, 201, 403), new_key),
    Case("DELETE", "/api/v1/api-keys/{api_key}", (401, 403, 403, 403, 204, 403)),
]


@pytest.fixture
def world(db: Session, settings: Settings, make_user) -> World:
    users = {
        "citizen_a": make_user("citizen"),
        "citizen_b": make_user("citizen"),
        "support": make_user("support"),
        "manager": make_user("manager"),
    }
    team, spare = Team(name="Roads"), Team(name="Spare")
    db.add_all([team, spare])
    key, secret = create_api_key(
        db, settings, name="BI", scopes=["analytics:read"], created_by=users["manager"]
    )
    db.flush()
    return World(users, team, spare, key.id, secret)


def headers_for(role: str, world: World, bearer) -> dict[str, str]:
    if role == "nobody":
        return {}
    if role == "api_key":
        return {"Authorization": f"Bearer {world.api_key_secret}"}
    return bearer(world.users[role])


@pytest.mark.parametrize(
    ("case", "role"),
    [(case, role) for case in CASES for role in ROLES],
    ids=[f"{case.method} {case.path} as {role}" for case in CASES for role in ROLES],
)
def test_matrix(client: FlaskClient, world: World, bearer, case: Case, role: str) -> None:
    expected = case.statuses[ROLES.index(role)]

    response = client.open(
        case.path.format(**world.ids()),
        method=case.method,
        json=case.body() if case.body else None,
        headers=headers_for(role, world, bearer),
    )

    assert response.status_code == expected, response.get_json()
    if expected >= 400:
        body = response.get_json()
        assert body["code"] == expected and body["message"]


def test_citizens_never_see_each_other(client, world: World, bearer) -> None:
    a, b = world.users["citizen_a"], world.users["citizen_b"]
    for path in (f"/api/v1/users/{b.id}", f"/api/v1/users?q={b.full_name}"):
        assert client.get(path, headers=bearer(a)).status_code == 403


# --- the OpenAPI document -----------------------------------------------------------------

PUBLIC = {
    ("POST", "/api/v1/auth/request-otp"),
    ("POST", "/api/v1/auth/verify-otp"),
    ("POST", "/api/v1/auth/register"),
    ("POST", "/api/v1/auth/refresh"),
    ("POST", "/api/v1/auth/logout"),
}
MINE = ("/api/v1/auth", "/api/v1/users", "/api/v1/teams", "/api/v1/api-keys")


def operations(client: FlaskClient) -> dict[tuple[str, str], dict[str, Any]]:
    spec = client.get("/api/v1/openapi.json").get_json()
    return {
        (method.upper(), path): operation
        for path, item in spec["paths"].items()
        if path.startswith(MINE)
        for method, operation in item.items()
        if method != "parameters"
    }


def _template(path: str) -> str:
    for name in ("citizen_a", "citizen_b", "support"):
        path = path.replace("{" + name + "}", "{user_id}")
    for name in ("team", "spare_team"):
        path = path.replace("{" + name + "}", "{team_id}")
    return path.replace("{api_key}", "{key_id}")


def test_the_matrix_covers_every_endpoint(client: FlaskClient) -> None:
    documented = set(operations(client))
    covered = {(case.method, _template(case.path)) for case in CASES}

    assert covered <= documented
    # Sign-in itself has its own tests (test_auth_otp.py): it needs a code, not a role.
    assert documented - covered <= PUBLIC


def test_every_endpoint_documents_schemas_and_security(client: FlaskClient) -> None:
    for (method, path), operation in operations(client).items():
        where = f"{method} {path}"
        assert operation.get("summary"), where
        if (method, path) in PUBLIC:
            assert "security" not in operation, where
        else:
            assert operation["security"] == [{"bearerAuth": []}], where
            assert "401" in operation["responses"], where
        if method in ("POST", "PATCH"):
            assert "requestBody" in operation, where
        success = [code for code in operation["responses"] if code.startswith("2")]
        assert success, where
        if success[0] != "204":
            assert "content" in operation["responses"][success[0]], where

"""`/api/v1/api-keys`: created by managers, shown once, stored hashed, scoped, revocable."""

from __future__ import annotations

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import ApiKey

KEYS = "/api/v1/api-keys"


def create(client: FlaskClient, headers: dict, **payload) -> dict:
    payload.setdefault("name", "Power BI")
    payload.setdefault("scopes", ["analytics:read"])
    response = client.post(KEYS, json=payload, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_key_is_shown_once_and_stored_hashed(client, make_user, bearer, db: Session) -> None:
    manager = make_user("manager")
    headers = bearer(manager)

    created = create(client, headers)

    assert created["key"].startswith("sk_") and len(created["key"]) > 40
    assert created["prefix"] == created["key"][:11]
    assert created["scopes"] == ["analytics:read"]
    assert created["created_by_id"] == manager.id
    row = db.scalar(select(ApiKey).where(ApiKey.id == created["id"]))
    assert created["key"] not in row.key_hash
    listed = client.get(KEYS, headers=headers).get_json()
    assert [k["id"] for k in listed["data"]] == [created["id"]]
    assert "key" not in listed["data"][0] and "key_hash" not in listed["data"][0]


def test_key_authenticates_within_its_scopes(client, make_user, bearer) -> None:
    key = create(client, bearer(make_user("manager")))["key"]
    headers = {"Authorization": f"Bearer {key}"}

    # No scope manages users, teams or keys, and a key has no profile.
    assert client.get("/api/v1/users", headers=headers).status_code == 403
    assert client.get(KEYS, headers=headers).status_code == 403
    assert client.get("/api/v1/auth/me", headers=headers).status_code == 403


def test_last_used_is_recorded(client, make_user, bearer, db: Session) -> None:
    created = create(client, bearer(make_user("manager")))
    client.get("/api/v1/teams", headers={"Authorization": f"Bearer {created['key']}"})

    row = db.get(ApiKey, created["id"])
    db.refresh(row)
    assert row.last_used_at is not None


def test_revoked_key_stops_working(client, make_user, bearer) -> None:
    headers = bearer(make_user("manager"))
    created = create(client, headers)
    key_headers = {"Authorization": f"Bearer {created['key']}"}

    assert client.delete(f"{KEYS}/{created['id']}", headers=headers).status_code == 204

    response = client.get("/api/v1/teams", headers=key_headers)
    assert response.status_code == 401
    assert "revoked" in response.get_json()["message"]
    listed = client.get(KEYS, headers=headers).get_json()["data"]
    assert listed[0]["revoked_at"] is not None
    assert client.delete(f"{KEYS}/{created['id']}", headers=headers).status_code == 204


@pytest.mark.parametrize(
    "key",
    ["sk_", "sk_notarealkey", "sk_" + "A" * 43],
)
def test_unknown_keys_are_401(client: FlaskClient, key: str) -> None:
    response = client.get("/api/v1/teams", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 401


def test_a_key_with_a_known_prefix_but_wrong_secret_is_401(client, make_user, bearer) -> None:
    key = create(client, bearer(make_user("manager")))["key"]
    forged = key[:11] + ("A" if key[11] != "A" else "B") + key[12:]

    response = client.get("/api/v1/teams", headers={"Authorization": f"Bearer {forged}"})

    assert response.status_code == 401


@pytest.mark.parametrize(
    "payload",
    [
        {"name": "x"},
        {"name": "x", "scopes": []},
        {"name": "x", "scopes": ["admin"]},
        {"name": "x", "scopes": ["user.manage"]},
        {"name": "x", "scopes": "analytics:read"},
        {"name": "", "scopes": ["analytics:read"]},
        {"name": "   ", "scopes": ["analytics:read"]},
        {"scopes": ["analytics:read"]},
    ],
)
def test_bad_new_keys_are_422(client, make_user, bearer, db: Session, payload) -> None:
    response = client.post(KEYS, json=payload, headers=bearer(make_user("manager")))

    assert response.status_code == 422
    assert response.get_json()["errors"]
    assert db.scalar(select(ApiKey)) is None


def test_duplicate_scopes_are_kept_once(client, make_user, bearer) -> None:
    created = create(
        client,
        bearer(make_user("manager")),
        scopes=["analytics:read", "open311:write", "analytics:read"],
    )
    assert created["scopes"] == ["analytics:read", "open311:write"]


def test_revoke_unknown_key_is_404(client, make_user, bearer) -> None:
    assert client.delete(f"{KEYS}/999999", headers=bearer(make_user("manager"))).status_code == 404

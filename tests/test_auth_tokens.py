"""Access tokens (every way a bad one is refused) and refresh-token rotation."""

from __future__ import annotations

import uuid
import warnings
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from flask.testing import FlaskClient
from jwt.warnings import InsecureKeyLengthWarning
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Settings
from core.models import RefreshToken, User
from core.people.tokens import issue_access_token
from tests.auth_helpers import LOGOUT, ME, REFRESH, sign_in

PHONE = "+905321234567"


def claims(settings: Settings, user: User, **changes: Any) -> dict[str, Any]:
    now = datetime.now(UTC)
    values = {
        "sub": str(user.id),
        "role": user.role,
        "iss": settings.JWT_ISSUER,
        "aud": settings.JWT_AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(minutes=15)).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    values.update(changes)
    return {k: v for k, v in values.items() if v is not None}


def hs256(settings: Settings, user: User, **changes: Any) -> str:
    return jwt.encode(claims(settings, user, **changes), settings.JWT_SECRET_KEY, "HS256")


RSA_KEY = rsa.generate_private_key(public_exponent=65537, key_size=2048)
PAST = int((datetime.now(UTC) - timedelta(hours=1)).timestamp())

BAD_TOKENS: dict[str, Callable[[Settings, User], str]] = {
    "not a jwt": lambda s, u: "not-a-token",
    "three dots": lambda s, u: "a.b.c",
    "alg none": lambda s, u: jwt.encode(claims(s, u), None, algorithm="none"),
    "HS512 with the right secret": lambda s, u: _hs512(s, u),
    "RS256": lambda s, u: jwt.encode(claims(s, u), RSA_KEY, algorithm="RS256"),
    "wrong secret": lambda s, u: jwt.encode(claims(s, u), "another-secret-" * 3, "HS256"),
    "expired": lambda s, u: hs256(s, u, iat=PAST - 900, exp=PAST),
    "wrong audience": lambda s, u: hs256(s, u, aud="someone-else"),
    "wrong issuer": lambda s, u: hs256(s, u, iss="evil"),
    "no jti": lambda s, u: hs256(s, u, jti=None),
    "no exp": lambda s, u: hs256(s, u, exp=None),
    "subject not a number": lambda s, u: hs256(s, u, sub="admin"),
    "unknown user": lambda s, u: hs256(s, u, sub="999999999"),
    "tampered payload": lambda s, u: _tampered(s, u),
}


def _hs512(settings: Settings, user: User) -> str:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", InsecureKeyLengthWarning)  # the dev secret is short
        return jwt.encode(claims(settings, user), settings.JWT_SECRET_KEY, algorithm="HS512")


def _tampered(settings: Settings, user: User) -> str:
    header, _, signature = hs256(settings, user).split(".")
    forged = jwt.encode(claims(settings, user, role="manager"), "x" * 40, "HS256").split(".")[1]
    return f"{header}.{forged}.{signature}"


@pytest.mark.parametrize("kind", sorted(BAD_TOKENS))
def test_bad_access_tokens_are_401(client, settings, make_user, kind: str) -> None:
    user = make_user("citizen")
    token = BAD_TOKENS[kind](settings, user)

    response = client.get(ME, headers={"Authorization": f"Bearer {token}"})

    assert response.status_code == 401
    body = response.get_json()
    assert body["code"] == 401 and body["status"] == "Unauthorized" and body["message"]
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(
    "header", [None, "", "Bearer", "Bearer   ", "Basic dXNlcjpwYXNz", "Token abc", "bearer"]
)
def test_missing_or_malformed_header_is_401(client: FlaskClient, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}

    response = client.get(ME, headers=headers)

    assert response.status_code == 401
    assert response.get_json()["code"] == 401


def test_good_token_shows_me(client: FlaskClient, make_user, bearer) -> None:
    user = make_user("support", name="Zeynep Kaya")

    response = client.get(ME, headers=bearer(user))

    assert response.status_code == 200
    assert response.get_json()["full_name"] == "Zeynep Kaya"
    assert response.get_json()["role"] == "support"


def test_token_claims(settings: Settings, make_user) -> None:
    user = make_user("manager")
    token, lifetime = issue_access_token(settings, user)

    header = jwt.get_unverified_header(token)
    payload = jwt.decode(token, options={"verify_signature": False})
    assert header["alg"] == "HS256"
    assert lifetime == 15 * 60
    assert {"sub", "role", "iss", "aud", "iat", "exp", "jti"} <= payload.keys()
    assert payload["exp"] - payload["iat"] == lifetime


@pytest.mark.parametrize("change", [{"is_active": False}, {"erased_at": datetime.now(UTC)}])
def test_tokens_stop_working_once_the_user_is_deactivated(
    client: FlaskClient, make_user, bearer, db: Session, change: dict
) -> None:
    user = make_user("support")
    headers = bearer(user)
    assert client.get(ME, headers=headers).status_code == 200

    for name, value in change.items():
        setattr(user, name, value)
    db.flush()

    response = client.get(ME, headers=headers)
    assert response.status_code == 401
    assert "not active" in response.get_json()["message"]


def test_role_comes_from_the_database_not_the_token(client, make_user, bearer, db) -> None:
    user = make_user("manager")
    headers = bearer(user)
    user.role = "citizen"
    db.flush()

    assert client.get("/api/v1/users", headers=headers).status_code == 403


# --- refresh tokens ---------------------------------------------------------------------


def refresh(client: FlaskClient, token: str):
    return client.post(REFRESH, json={"refresh_token": token})


def test_refresh_rotates(client: FlaskClient, make_user) -> None:
    make_user(phone=PHONE)
    first = sign_in(client, PHONE)

    response = refresh(client, first["refresh_token"])

    assert response.status_code == 200
    second = response.get_json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["token_type"] == "bearer"
    me = client.get(ME, headers={"Authorization": f"Bearer {second['access_token']}"})
    assert me.status_code == 200


def _age_uses(db: Session, seconds: float) -> None:
    """Move every refresh token's first use `seconds` into the past."""
    for row in db.scalars(select(RefreshToken).where(RefreshToken.used_at.is_not(None))):
        row.used_at -= timedelta(seconds=seconds)
    db.flush()


def test_reusing_a_refresh_token_revokes_its_family(
    client, make_user, redis_client, settings, db: Session
) -> None:
    make_user(phone=PHONE)
    stolen = sign_in(client, PHONE)["refresh_token"]
    redis_client.flushdb()  # past the 30-second limit on codes
    other_device = sign_in(client, PHONE)["refresh_token"]
    rotated = refresh(client, stolen).get_json()["refresh_token"]
    _age_uses(db, settings.REFRESH_REUSE_GRACE_SECONDS + 1)

    reuse = refresh(client, stolen)

    assert reuse.status_code == 401
    assert "already used" in reuse.get_json()["message"]
    # The legitimate holder of the rotated token is signed out too …
    assert refresh(client, rotated).status_code == 401
    # … but another sign-in (another family) is untouched.
    assert refresh(client, other_device).status_code == 200


def test_two_tabs_refreshing_at_once_both_stay_signed_in(
    client, make_user, settings, db: Session
) -> None:
    make_user(phone=PHONE)
    shared = sign_in(client, PHONE)["refresh_token"]
    first = refresh(client, shared)
    second = refresh(client, shared)  # the other tab, a moment later
    assert first.status_code == second.status_code == 200
    tokens = {first.get_json()["refresh_token"], second.get_json()["refresh_token"]}
    assert len(tokens) == 2
    for token in tokens:
        assert refresh(client, token).status_code == 200
    # The grace counts from the first use: a third try long after is theft.
    _age_uses(db, settings.REFRESH_REUSE_GRACE_SECONDS + 1)
    assert refresh(client, shared).status_code == 401


def test_no_grace_when_it_is_set_to_zero(db: Session, settings, make_user) -> None:
    from dataclasses import replace

    from core.people.refresh_tokens import RefreshRejected, issue_refresh_token, rotate

    strict = replace(settings, REFRESH_REUSE_GRACE_SECONDS=0)
    token = issue_refresh_token(db, strict, make_user(phone=PHONE))
    rotate(db, strict, token)
    with pytest.raises(RefreshRejected, match="already used"):
        rotate(db, strict, token)


def test_a_logout_during_a_refresh_also_ends_the_token_it_issued(committed_db, settings) -> None:
    import threading

    from core.people.refresh_tokens import RefreshRejected, issue_refresh_token, revoke, rotate

    with committed_db.transaction() as session:
        user = User(phone=PHONE, role="citizen")
        session.add(user)
        session.flush()
        token = issue_refresh_token(session, settings, user)

    refreshing = committed_db.session()
    _, issued, _ = rotate(refreshing, settings, token)  # not committed yet
    logged_out = threading.Event()

    def logout() -> None:
        with committed_db.transaction() as session:
            revoke(session, settings, token)
        logged_out.set()

    thread = threading.Thread(target=logout)
    thread.start()
    assert not logged_out.wait(0.5), "the logout waits for the refresh in flight"
    refreshing.commit()
    refreshing.close()
    thread.join(10)

    with committed_db.transaction() as session, pytest.raises(RefreshRejected):
        rotate(session, settings, issued)


def test_expired_refresh_token_is_401(client, make_user, db: Session) -> None:
    make_user(phone=PHONE)
    token = sign_in(client, PHONE)["refresh_token"]
    for row in db.scalars(select(RefreshToken)):
        row.expires_at = datetime.now(UTC) - timedelta(seconds=1)
    db.flush()

    response = refresh(client, token)

    assert response.status_code == 401
    assert "expired" in response.get_json()["message"]


def test_refresh_of_a_deactivated_user_is_401(client, make_user, db: Session) -> None:
    user = make_user(phone=PHONE)
    token = sign_in(client, PHONE)["refresh_token"]
    user.is_active = False
    db.flush()

    assert refresh(client, token).status_code == 401


@pytest.mark.parametrize("payload", [{}, {"refresh_token": ""}, {"refresh_token": 5}])
def test_refresh_needs_a_token(client: FlaskClient, payload: dict) -> None:
    assert client.post(REFRESH, json=payload).status_code == 422


def test_unknown_refresh_token_is_401(client: FlaskClient) -> None:
    assert refresh(client, "made-up").status_code == 401


def test_logout_revokes_the_refresh_token(client: FlaskClient, make_user) -> None:
    make_user(phone=PHONE)
    token = sign_in(client, PHONE)["refresh_token"]

    response = client.post(LOGOUT, json={"refresh_token": token})

    assert response.status_code == 204
    after = refresh(client, token)
    assert after.status_code == 401
    assert "revoked" in after.get_json()["message"]


def test_logout_with_an_unknown_token_is_still_204(client: FlaskClient) -> None:
    assert client.post(LOGOUT, json={"refresh_token": "made-up"}).status_code == 204


def test_refresh_tokens_are_stored_hashed(client, make_user, db: Session) -> None:
    make_user(phone=PHONE)
    token = sign_in(client, PHONE)["refresh_token"]

    hashes = db.scalars(select(RefreshToken.token_hash)).all()
    assert hashes and token not in hashes


def test_logout_ends_the_access_tokens_of_that_sign_in(
    client, make_user, redis_client, settings, db: Session
) -> None:
    make_user(phone=PHONE)
    desk = sign_in(client, PHONE)  # a shared computer at the service desk
    redis_client.flushdb()  # past the 30-second limit on codes
    phone = sign_in(client, PHONE)
    desk_headers = {"Authorization": f"Bearer {desk['access_token']}"}
    assert client.get(ME, headers=desk_headers).status_code == 200

    assert client.post(LOGOUT, json={"refresh_token": desk["refresh_token"]}).status_code == 204

    signed_out = client.get(ME, headers=desk_headers)
    assert signed_out.status_code == 401 and "signed out" in signed_out.get_json()["message"]
    # The other sign-in (another family) goes on.
    phone_headers = {"Authorization": f"Bearer {phone['access_token']}"}
    assert client.get(ME, headers=phone_headers).status_code == 200


def test_a_stolen_refresh_token_ends_the_access_tokens_too(
    client, make_user, settings, db: Session
) -> None:
    make_user(phone=PHONE)
    first = sign_in(client, PHONE)
    rotated = refresh(client, first["refresh_token"]).get_json()
    _age_uses(db, settings.REFRESH_REUSE_GRACE_SECONDS + 1)
    assert refresh(client, first["refresh_token"]).status_code == 401  # theft detected
    for bundle in (first, rotated):
        headers = {"Authorization": f"Bearer {bundle['access_token']}"}
        assert client.get(ME, headers=headers).status_code == 401


@pytest.mark.parametrize("sid", ["not-a-uuid", 42, ["a"], {"id": 1}, None])
def test_a_forged_sign_in_id_is_refused(client, make_user, settings, sid) -> None:
    import jwt

    user = make_user(phone=PHONE)
    token, _ = issue_access_token(settings, user)
    claims = jwt.decode(token, options={"verify_signature": False})
    claims["sid"] = sid
    forged = jwt.encode(claims, settings.JWT_SECRET_KEY, algorithm="HS256")
    assert client.get(ME, headers={"Authorization": f"Bearer {forged}"}).status_code == 401

"""API keys for scripts and BI tools: `sk_` + random, shown once, stored hashed.

The first characters (`prefix`) are kept in clear to find the row; the whole key
is compared by keyed hash, in constant time.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Settings
from core.errors import Refused
from core.models import ApiKey, User
from core.people.permissions import SCOPE_PERMISSIONS
from core.people.tokens import keyed_hash, same_hash

API_KEY_PREFIX = "sk_"
PREFIX_LENGTH = len(API_KEY_PREFIX) + 8


def _hash(settings: Settings, key: str) -> str:
    return keyed_hash(settings, "api-key", key)


def check_scopes(scopes: list[str]) -> list[str]:
    """The scopes, deduplicated in order; raises Refused on an unknown one."""
    if not scopes:
        raise Refused("give at least one scope", field="scopes", code="scope_missing")
    unknown = [s for s in scopes if s not in SCOPE_PERMISSIONS]
    if unknown:
        known = ", ".join(sorted(SCOPE_PERMISSIONS))
        raise Refused(
            f"unknown scope {unknown[0]!r}; use: {known}", field="scopes",
            code="unknown_scope", params={"scope": unknown[0], "known": known},
        )  # fmt: skip
    return list(dict.fromkeys(scopes))


def create_api_key(
    session: Session, settings: Settings, *, name: str, scopes: list[str], created_by: User | None
) -> tuple[ApiKey, str]:
    """A new key and its secret (the only time the secret exists in clear)."""
    clean_name = name.strip()
    if not clean_name:
        raise Refused("name is empty", field="name", code="name_empty")
    secret = API_KEY_PREFIX + secrets.token_urlsafe(32)
    key = ApiKey(
        name=clean_name,
        prefix=secret[:PREFIX_LENGTH],
        key_hash=_hash(settings, secret),
        scopes=check_scopes(scopes),
        created_by_id=created_by.id if created_by else None,
    )
    session.add(key)
    session.flush()
    return key, secret


def find_api_key(session: Session, settings: Settings, secret: str) -> ApiKey | None:
    """The key whose secret is `secret` (revoked ones included), else None."""
    key = session.scalar(select(ApiKey).where(ApiKey.prefix == secret[:PREFIX_LENGTH]))
    if key is None or not same_hash(key.key_hash, _hash(settings, secret)):
        return None
    return key


def key_as_support(key: ApiKey, locale: str) -> User:
    """The support user a key with a `tickets:*` scope acts as on tickets: named after
    the key and never stored (it has no id), so it owns nothing, follows nothing and
    can be nobody's assignee; every event it causes records the key
    (core.tickets.events). What it may do is still its scopes' business."""
    stand_in = User(role="support", full_name=key.name, locale=locale, is_active=True)
    stand_in.acting_api_key_id = key.id
    return stand_in


def revoke_api_key(key: ApiKey, now: datetime | None = None) -> None:
    if key.revoked_at is None:
        key.revoked_at = now or datetime.now(UTC)

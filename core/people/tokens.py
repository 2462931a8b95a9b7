"""Access tokens (JWT, HS256 pinned) and the hashing of stored secrets."""

from __future__ import annotations

import hashlib
import hmac
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import jwt

from core.config import Settings
from core.models import User

ALGORITHM = "HS256"


class InvalidToken(Exception):
    """The token cannot be used; the message says why (safe to show)."""


def issue_access_token(
    settings: Settings, user: User, now: datetime | None = None, sign_in: uuid.UUID | None = None
) -> tuple[str, int]:
    """A signed access token for `user` and its lifetime in seconds. `sign_in` (the
    refresh-token family it came with) lets a logout end the access token too."""
    now = now or datetime.now(UTC)
    lifetime = settings.ACCESS_TOKEN_MINUTES * 60
    claims = {
        "sub": str(user.id),
        "role": user.role,
        "iss": settings.JWT_ISSUER,
        "aud": settings.JWT_AUDIENCE,
        "iat": int(now.timestamp()),
        "exp": int((now + timedelta(seconds=lifetime)).timestamp()),
        "jti": uuid.uuid4().hex,
    }
    if sign_in is not None:
        claims["sid"] = str(sign_in)
    return jwt.encode(claims, settings.JWT_SECRET_KEY, algorithm=ALGORITHM), lifetime


def decode_access_token(settings: Settings, token: str) -> dict[str, Any]:
    """Verify signature, algorithm, expiry, issuer and audience; raise InvalidToken."""
    try:
        return jwt.decode(
            token,
            settings.JWT_SECRET_KEY,
            # Pinned: the algorithm is never taken from the token's header.
            algorithms=[ALGORITHM],
            audience=settings.JWT_AUDIENCE,
            issuer=settings.JWT_ISSUER,
            options={"require": ["sub", "exp", "iat", "iss", "aud", "jti"]},
        )
    except jwt.ExpiredSignatureError:
        raise InvalidToken("token expired") from None
    except jwt.InvalidTokenError as exc:
        raise InvalidToken(f"invalid token ({type(exc).__name__})") from None


def keyed_hash(settings: Settings, purpose: str, secret: str) -> str:
    """HMAC-SHA256 of `secret`, keyed by the app secret and a purpose label.

    Used for one-time codes, refresh tokens and API keys: a database leak alone
    reveals none of them.
    """
    key = f"{purpose}:{settings.JWT_SECRET_KEY}".encode()
    return hmac.new(key, secret.encode(), hashlib.sha256).hexdigest()


def same_hash(a: str, b: str) -> bool:
    return hmac.compare_digest(a.encode(), b.encode())

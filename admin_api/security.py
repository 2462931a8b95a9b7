"""Who is calling: bearer access tokens and API keys, checked on every request.

`@require("permission")` authenticates the caller (401 otherwise), checks the
permission table in `core.people.permissions` (403 otherwise) and documents the bearer
security requirement in the OpenAPI document.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

from flask import current_app, g, request
from flask_smorest import abort

from core.models import ApiKey, User
from core.people.api_keys import API_KEY_PREFIX, find_api_key, key_as_support
from core.people.permissions import role_can, scopes_can, works_tickets
from core.people.refresh_tokens import sign_in_ended
from core.people.tokens import InvalidToken, decode_access_token
from web.request_session import request_session

F = TypeVar("F", bound=Callable[..., Any])
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass
class Principal:
    """The authenticated caller: a user (with a role) or an API key (with scopes)."""

    user: User | None = None
    api_key: ApiKey | None = None
    scopes: tuple[str, ...] = field(default_factory=tuple)
    _stand_in: User | None = field(default=None, repr=False)

    @property
    def role(self) -> str:
        return self.user.role if self.user else "api_key"

    @property
    def is_staff(self) -> bool:
        return self.user is not None and self.user.is_staff

    def can(self, permission: str) -> bool:
        if self.user is not None:
            return role_can(self.user.role, permission)
        return scopes_can(self.scopes, permission)

    def acting_user(self) -> User | None:
        """Whom the ticket endpoints serve: the signed-in user, or for a key with a
        `tickets:*` scope the support user it acts as (one per request); else None."""
        if self.user is not None:
            return self.user
        if self.api_key is None or not works_tickets(self.scopes):
            return None
        if self._stand_in is None:
            locale = current_app.config["SOSOFT"].DEFAULT_LOCALE
            self._stand_in = key_as_support(self.api_key, locale)
        return self._stand_in


def _unauthorized(message: str) -> None:
    abort(401, message=message, headers={"WWW-Authenticate": 'Bearer realm="sosoft"'})


def _bearer_token() -> str:
    header = request.headers.get("Authorization", "")
    scheme, _, token = header.partition(" ")
    if not header:
        _unauthorized("authentication required: send Authorization: Bearer <token>")
    if scheme.lower() != "bearer" or not token.strip():
        _unauthorized("malformed Authorization header; expected 'Bearer <token>'")
    return token.strip()


def _principal_from_api_key(token: str) -> Principal:
    key = find_api_key(request_session(), current_app.config["SOSOFT"], token)
    if key is None:
        _unauthorized("invalid API key")
    if key.revoked_at is not None:
        _unauthorized("API key revoked")
    now = datetime.now(UTC)
    # Written (and committed before the view runs) at most once a minute: a BI tool
    # paging through an export should not turn every read into a write.
    if key.last_used_at is None or now - key.last_used_at > LAST_USED_RESOLUTION:
        key.last_used_at = now
        request_session().commit()
    return Principal(api_key=key, scopes=tuple(key.scopes or ()))


def _principal_from_jwt(token: str) -> Principal:
    settings = current_app.config["SOSOFT"]
    try:
        claims = decode_access_token(settings, token)
    except InvalidToken as exc:
        _unauthorized(str(exc))
    try:
        user_id = int(claims["sub"])
    except (TypeError, ValueError):
        _unauthorized("invalid token subject")
    user = request_session().get(User, user_id)
    # Checked on every request: a deactivated user's tokens stop working at once, and so
    # do the access tokens of a sign-in that logged out or was found stolen.
    if user is None or not user.is_active or user.erased_at is not None:
        _unauthorized("user is not active")
    if "sid" in claims and sign_in_ended(request_session(), claims["sid"]):
        _unauthorized("signed out; sign in again")
    return Principal(user=user)


def authenticate() -> Principal:
    """The caller of this request (cached on `g`); aborts 401 when there is none."""
    if "principal" in g:
        return g.principal
    token = _bearer_token()
    if token.startswith(API_KEY_PREFIX):
        principal = _principal_from_api_key(token)
    else:
        principal = _principal_from_jwt(token)
    g.principal = principal
    return principal


def current_principal() -> Principal:
    return authenticate()


def _document_security(func: Callable[..., Any], permission: str | None) -> None:
    apidoc = getattr(func, "_apidoc", {})
    manual = apidoc.setdefault("manual_doc", {})
    manual["security"] = [{"bearerAuth": []}]
    # The error envelopes `require` can answer with (flask-smorest's response components).
    responses = apidoc.setdefault("response", {}).setdefault("responses", {})
    for status, name in ((401, "UNAUTHORIZED"), (403, "FORBIDDEN")):
        if (status == 401 or permission) and status not in responses:
            responses[status] = [name]
    func._apidoc = apidoc  # type: ignore[attr-defined]


def require(permission: str | None = None) -> Callable[[F], F]:
    """Authenticate, then check `permission` (None: any authenticated caller)."""

    def decorator(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            principal = authenticate()
            if permission is not None and not principal.can(permission):
                abort(403, message=f"your role may not do this ({permission})")
            return func(*args, **kwargs)

        _document_security(wrapper, permission)
        return wrapper  # type: ignore[return-value]

    return decorator

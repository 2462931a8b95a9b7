"""The console's browser session: a random token in an HttpOnly, SameSite=Lax
cookie (Secure in production), looked up in `console_sessions` on every request."""

from __future__ import annotations

import secrets

from flask import Response, current_app, g, request

from core.config import Settings
from core.models import User
from core.people.console_sessions import find_session, start_session
from web.request_session import request_session

COOKIE = "sosoft_console"
PRE_COOKIE = "sosoft_console_pre"
COOKIE_PATH = "/console/"


def session_cookie_token() -> str:
    return request.cookies.get(COOKIE, "")


def load_session() -> None:
    token = session_cookie_token()
    g.console_user = None
    if token:
        found = find_session(request_session(), current_app.config["SOSOFT"], token)
        if found is not None:
            g.console_user = found.user
            request_session().commit()  # last_seen_at, when it moved


def current_user() -> User | None:
    return g.get("console_user")


def signed_in_user() -> User:
    user = current_user()
    assert user is not None, "the blueprint's before_request lets no one else through"
    return user


def pre_sign_in_token() -> str:
    """The sign-in pages' CSRF seed: the browser's pre-sign-in cookie, set on first sight."""
    token = request.cookies.get(PRE_COOKIE, "") or g.get("console_pre_token", "")
    if not token:
        token = secrets.token_urlsafe(24)
        g.console_pre_token = token
        g.console_new_pre = True
    return token


def sign_in_browser(response: Response, user: User) -> None:
    settings = current_app.config["SOSOFT"]
    set_session_cookie(response, start_session(request_session(), settings, user), settings)
    response.delete_cookie(PRE_COOKIE, path=COOKIE_PATH)


def set_session_cookie(response: Response, token: str, settings: Settings) -> None:
    response.set_cookie(
        COOKIE,
        token,
        max_age=settings.CONSOLE_SESSION_HOURS * 3600,
        httponly=True,
        samesite="Lax",
        secure=settings.is_production,
        path=COOKIE_PATH,
    )


def forget_browser(response: Response) -> None:
    response.delete_cookie(COOKIE, path=COOKIE_PATH)

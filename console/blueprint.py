"""The console's blueprint and what every console request goes through: the
session from the cookie, the CSRF check on every POST, the security headers."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    g,
    redirect,
    request,
    send_from_directory,
    url_for,
)

from console import i18n
from console.session import current_user, load_session, pre_sign_in_token, session_cookie_token
from core.config import Settings
from core.people.console_sessions import csrf_token
from core.people.tokens import same_hash
from web.docs import ASSETS

bp = Blueprint(
    "console",
    __name__,
    url_prefix="/console",
    template_folder="templates",
    static_folder="static",
    static_url_path="/static",
)

LEAFLET = Path(ASSETS) / "leaflet"
# Reachable without a session: the sign-in pages and the static files they use.
PUBLIC_ENDPOINTS = frozenset(
    {
        "console.sign_in_form",
        "console.request_code",
        "console.verify_code",
        "console.static",
        "console.vendor",
    }
)

# Asked by the pages' script, not by a person: no redirect to the sign-in page.
POLL_ENDPOINTS = frozenset({"console.inbox_poll", "console.thread_since"})


def settings() -> Settings:
    return current_app.config["SOSOFT"]


@bp.before_request
def _signed_in_and_same_site() -> Any:
    load_session()
    i18n.choose_locale(current_user())
    if request.method == "POST" and not _csrf_ok():
        return i18n.error_page(403, "error.csrf")
    if request.endpoint in PUBLIC_ENDPOINTS or current_user() is not None:
        return None
    if request.endpoint in POLL_ENDPOINTS:
        # A page's script asks: it reloads the page on a 401, which then signs in.
        return i18n.error_page(401, "error.signed_out")
    return redirect(
        url_for("console.sign_in_form", next=request.full_path if request.method == "GET" else None)
    )


def form_token() -> str:
    """The CSRF token for the forms of this page: tied to the session cookie, or
    before sign-in to the sign-in cookie."""
    token = session_cookie_token() or pre_sign_in_token()
    return csrf_token(settings(), token)


def _csrf_ok() -> bool:
    sent = request.form.get("csrf_token", "")
    token = session_cookie_token() or request.cookies.get("sosoft_console_pre", "")
    return bool(sent and token) and same_hash(sent, csrf_token(settings(), token))


def _origin(url: str) -> str:
    parts = urlsplit(url.replace("{s}", "a"))
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def content_security_policy(config: Settings) -> str:
    """No inline script, no other site's script or frame; images and tiles only from
    where the console's photos and map tiles live."""
    images = ["'self'", "data:"]
    for url in (
        config.CONSOLE_TILE_URL,
        config.S3_ENDPOINT_URL if config.STORAGE_BACKEND == "s3" else "",
    ):
        origin = _origin(url)
        if origin:
            images.append(origin)
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            f"img-src {' '.join(images)}",
            "connect-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )


@bp.after_request
def page_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = content_security_policy(settings())
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    if request.endpoint not in ("console.static", "console.vendor"):
        # Pages show citizens' data: never kept in a shared cache or the back button's.
        response.headers["Cache-Control"] = "no-store"
    if g.pop("console_new_pre", False):
        _set_pre_cookie(response)
    return response


def _set_pre_cookie(response: Response) -> None:
    response.set_cookie(
        "sosoft_console_pre",
        g.console_pre_token,
        httponly=True,
        samesite="Lax",
        secure=settings().is_production,
        path="/console/",
    )


@bp.get("/vendor/leaflet/<path:filename>")
def vendor(filename: str) -> Response:
    """Leaflet, vendored in web/vendor/leaflet (version and licence in VENDORED.md)."""
    return send_from_directory(LEAFLET, filename, max_age=86400)


@bp.app_template_global()
def csrf_field() -> str:
    return form_token()

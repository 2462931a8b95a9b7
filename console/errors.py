"""Refusals on console pages are pages, not JSON: a use case's DomainError, a form
that does not parse, an exceeded sign-in limit, an address that is no console page or
does not take the request's method."""

from __future__ import annotations

from flask import Response, make_response, render_template, request
from flask_limiter.errors import RateLimitExceeded
from werkzeug.exceptions import HTTPException

from console.blueprint import bp, page_headers
from console.i18n import choose_locale, error_page, t
from console.session import COOKIE_PATH, current_user, load_session
from console.template_helpers import page_globals
from core.errors import DomainError
from web.errors import HTTP_STATUS, handle_http_exception
from web.sign_in_limits import retry_after_seconds


@bp.errorhandler(DomainError)
def _refused(exc: DomainError) -> tuple[str, int]:
    status = HTTP_STATUS[exc.kind]
    where = f"{exc.field}: " if exc.field else ""
    return render_template("error.html", status=status, message=where + exc.message), status


@bp.errorhandler(RateLimitExceeded)
def _too_many(_exc: RateLimitExceeded) -> tuple[str, int, dict[str, str]]:
    seconds = retry_after_seconds()
    body, status = error_page(429, "error.too_many", seconds=seconds)
    return body, status, {"Retry-After": str(seconds)}


@bp.errorhandler(404)
def not_found_page(_exc: Exception | None = None) -> tuple[str, int]:
    return error_page(404, "error.not_found")


@bp.app_errorhandler(404)
@bp.app_errorhandler(405)
def _routing_error(exc: HTTPException) -> Response:
    """An unknown address or a wrong method is found before any blueprint is chosen,
    so only an app-wide handler sees it: under /console/ a browser gets a page in the
    user's language, everywhere else the API's JSON as before."""
    if not request.path.startswith(COOKIE_PATH):
        return handle_http_exception(exc)
    load_session()
    choose_locale(current_user())
    key = "error.wrong_method" if exc.code == 405 else "error.not_found"
    status = exc.code or 404
    # No blueprint was chosen, so its context processor did not run: its names, given.
    page = render_template("error.html", status=status, message=t(key), **page_globals())
    response = make_response(page, status)
    for name, value in exc.get_headers():
        if name.lower() == "allow":
            response.headers[name] = value
    return page_headers(response)


def bad_input(key: str = "error.bad_input", **params: object) -> tuple[str, int]:
    return render_template("error.html", status=422, message=t(key, **params)), 422

"""Refusals on console pages are pages, not JSON: a use case's DomainError, a form
that does not parse, an exceeded sign-in limit."""

from __future__ import annotations

from flask import render_template
from flask_limiter.errors import RateLimitExceeded

from console.blueprint import bp
from console.i18n import error_page, t
from core.errors import DomainError
from web.errors import HTTP_STATUS
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


def bad_input(key: str = "error.bad_input", **params: object) -> tuple[str, int]:
    return render_template("error.html", status=422, message=t(key, **params)), 422

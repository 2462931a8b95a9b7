"""Open311 errors: a list of `{code, description}` in the request's format.

404 for a resource or service code that does not exist, 403 for a missing or bad
`api_key`, 400 for anything else a client got wrong (and 429 when a key is over its
rate limit). Every error of this blueprint, expected or not, uses this shape.
"""

from __future__ import annotations

import logging

import psycopg
import sqlalchemy.exc
from flask import Response, request
from werkzeug.exceptions import HTTPException

from admin_api.open311.blueprint import bp
from admin_api.open311.formats import render
from core.db import driver_error
from core.errors import DomainError, Kind
from web.errors import DATABASE_AWAY_HEADERS, conflict_code, database_away

log = logging.getLogger(__name__)


class Open311Error(Exception):
    def __init__(self, status: int, *descriptions: str) -> None:
        super().__init__("; ".join(descriptions))
        self.status = status
        self.descriptions = descriptions or ("error",)


def not_found(description: str) -> Open311Error:
    return Open311Error(404, description)


def bad_request(*descriptions: str) -> Open311Error:
    return Open311Error(400, *descriptions)


def request_format() -> str:
    """The format asked for in the URL; XML (the spec's required one) when unclear."""
    fmt = (request.view_args or {}).get("fmt") or request.path.rsplit(".", 1)[-1]
    return "json" if fmt == "json" else "xml"


def error_response(status: int, descriptions: tuple[str, ...] | list[str]) -> Response:
    errors = [{"code": status, "description": text} for text in descriptions]
    return render(errors, "errors", request_format(), status=status)


@bp.errorhandler(Open311Error)
def _open311_error(exc: Open311Error) -> Response:
    return error_response(exc.status, exc.descriptions)


# A use case's refusal in Open311's terms: the spec knows 400, 403 and 404.
OPEN311_STATUS: dict[Kind, int] = {
    "refused": 400,
    "conflict": 400,
    "not_found": 404,
    "forbidden": 403,
}


@bp.errorhandler(DomainError)
def _domain_error(exc: DomainError) -> Response:
    return error_response(OPEN311_STATUS[exc.kind], [exc.message])


@bp.errorhandler(HTTPException)
def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    response = error_response(status, [exc.description or exc.name])
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


@bp.errorhandler(sqlalchemy.exc.DataError)
@bp.errorhandler(psycopg.DataError)
def _refused_value(exc: Exception) -> Response:
    """PostgreSQL refused a value that validation let through (a NUL, a number out of
    range): the caller's input, so a 400. The app-wide DataError handler never sees it,
    because Flask tries this blueprint's `Exception` handler first."""
    # The type only: the refused value is the caller's data and stays out of the logs.
    log.warning("open311: database refused a value: %s", type(driver_error(exc)).__name__)
    return error_response(
        400, ["a value is not acceptable (for example a control character or a huge number)"]
    )


@bp.errorhandler(sqlalchemy.exc.IntegrityError)
@bp.errorhandler(psycopg.IntegrityError)
def _conflict(exc: Exception) -> Response:
    """A constraint another request's write tripped at the same moment: the app-wide
    rule (web.errors.conflict_code) in Open311's format."""
    code = conflict_code(exc)  # type: ignore[arg-type]
    if code is None:
        return _unexpected(exc)
    log.warning("open311: database refused a write: %s", type(exc).__name__)
    return error_response(code, ["this conflicts with a change made at the same moment; try again"])


@bp.errorhandler(sqlalchemy.exc.OperationalError)
@bp.errorhandler(sqlalchemy.exc.InterfaceError)
@bp.errorhandler(psycopg.OperationalError)
def _database_error(exc: Exception) -> Response:
    """The database is away: the app-wide 503 and Retry-After, in Open311's format."""
    if not database_away(exc):
        return _unexpected(exc)
    response = error_response(503, ["the service is briefly unavailable; try again shortly"])
    response.headers.update(DATABASE_AWAY_HEADERS)
    return response


@bp.errorhandler(Exception)
def _unexpected(exc: Exception) -> Response:
    log.exception("open311: unhandled error: %s", type(exc).__name__)
    return error_response(500, ["something went wrong on our side; the error has been logged"])

"""One JSON error envelope for every error: `{code, status, message, errors}`.

Never HTML, never a stack trace or SQL outside debug.
"""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

import psycopg
from flask import Flask, Response, jsonify
from sqlalchemy.exc import DataError, IntegrityError, InterfaceError, OperationalError
from werkzeug.exceptions import HTTPException

from core.db import database_unavailable, driver_error
from core.errors import DomainError, Kind
from web.request_session import database, discard_session

log = logging.getLogger(__name__)


def envelope(code: int, message: str | None = None, errors: Any = None) -> dict[str, Any]:
    status = HTTPStatus(code)
    body: dict[str, Any] = {
        "code": code,
        "status": status.phrase,
        "message": message or status.description or status.phrase,
    }
    if errors:
        body["errors"] = errors
    return body


def error_response(
    code: int, message: str | None = None, errors: Any = None, headers: Any = None
) -> Response:
    response = jsonify(envelope(code, message, errors))
    response.status_code = code
    if headers:
        response.headers.extend(headers)
    return response


def handle_http_exception(exc: HTTPException) -> Response:
    code = exc.code or 500
    data = getattr(exc, "data", None) or {}
    message = data.get("message") or exc.description
    # webargs (flask-smorest's argument parsing) puts field errors under "messages".
    errors = data.get("errors") or data.get("messages")
    headers = data.get("headers")
    response = error_response(code, message, errors, headers)
    # Keep what Werkzeug decided for headers such as Allow (405) or Retry-After (429).
    for name, value in exc.get_headers():
        if name.lower() != "content-type":
            response.headers[name] = value
    return response


HTTP_STATUS: dict[Kind, int] = {"refused": 422, "conflict": 409, "not_found": 404, "forbidden": 403}


def domain_error_body(exc: DomainError) -> tuple[int, str, dict[str, Any]]:
    """Status, message and `errors` of a use case's refusal: a refused field is named
    the way schema validation names one (`errors.json.<field>`)."""
    errors = dict(exc.details)
    message = exc.message
    if exc.field:
        errors[exc.location] = {exc.field: [exc.message]}
        message = f"{exc.field}: {exc.message}"
    return HTTP_STATUS[exc.kind], message, errors


def handle_domain_error(exc: DomainError) -> Response:
    return error_response(*domain_error_body(exc))


def handle_unexpected(exc: Exception) -> Response:
    log.exception("unhandled error: %s", type(exc).__name__)
    return error_response(500, "Something went wrong on our side; the error has been logged.")


# How soon a caller may try again when the database is away: a restart takes seconds.
DATABASE_RETRY_AFTER_SECONDS = 5
DATABASE_AWAY_HEADERS = {"Retry-After": str(DATABASE_RETRY_AFTER_SECONDS)}


def database_away(exc: BaseException) -> bool:
    """Whether `exc` means the database is away (core.db decides); if so it is logged,
    and the request's session and the pooled connections that died with the server
    are let go."""
    if not database_unavailable(exc):
        return False
    log.warning("database unavailable: %s", type(driver_error(exc)).__name__)
    discard_session()
    database().lost(exc)
    return True


def handle_database_error(exc: OperationalError | InterfaceError | psycopg.Error) -> Response:
    """A database that is away (down, restarting, refusing connections) is a 503 to
    retry after a moment, not a 500: nothing is wrong with the request or with us."""
    if not database_away(exc):
        return handle_unexpected(exc)
    return error_response(
        503,
        "The database is not reachable at the moment; try again shortly.",
        headers=DATABASE_AWAY_HEADERS,
    )


def handle_bad_value(exc: DataError | psycopg.DataError) -> Response:
    """PostgreSQL refused a value (a NUL character, a number out of range): the
    caller's input, not our fault. Validation should catch these first; this is the
    net under it, so such input is a 422 and never a 500. (psycopg's own error
    arrives unwrapped from the statements run on the driver connection directly.)"""
    log.warning("database refused a value: %s", type(driver_error(exc)).__name__)
    return error_response(
        422, "A value is not acceptable (for example a NUL character or a number out of range)."
    )


def conflict_code(exc: IntegrityError | psycopg.IntegrityError) -> int | None:
    """The status for a constraint PostgreSQL enforced, or None for a bug of ours.

    The views check uniqueness and references first; a violation that still reaches
    the database means another request changed the same thing at the same moment (two
    teams of one name created at once, a team deleted while a ticket moves to it):
    a conflict, 409, for the caller to look again and retry. A CHECK refused a value,
    which is the caller's input: 422."""
    cause = driver_error(exc)
    if isinstance(cause, psycopg.errors.UniqueViolation | psycopg.errors.ForeignKeyViolation):
        return 409
    if isinstance(cause, psycopg.errors.CheckViolation):
        return 422
    return None


def handle_conflict(exc: IntegrityError | psycopg.IntegrityError) -> Response:
    code = conflict_code(exc)
    if code is None:
        return handle_unexpected(exc)
    cause = driver_error(exc)
    # The constraint's name says what collided; the values stay out of the log.
    log.warning("database refused a write: %s on %s", type(cause).__name__, _constraint(cause))
    if code == 409:
        return error_response(
            409, "This conflicts with a change made at the same moment; reload and try again."
        )
    return error_response(422, "A value is not acceptable.")


def _constraint(cause: BaseException | None) -> str:
    diag = getattr(cause, "diag", None)
    return getattr(diag, "constraint_name", None) or "?"


def register_error_handlers(app: Flask) -> None:
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(DomainError, handle_domain_error)
    app.register_error_handler(DataError, handle_bad_value)
    app.register_error_handler(psycopg.DataError, handle_bad_value)
    app.register_error_handler(IntegrityError, handle_conflict)
    app.register_error_handler(psycopg.IntegrityError, handle_conflict)
    for database_error in (OperationalError, InterfaceError, psycopg.OperationalError):
        app.register_error_handler(database_error, handle_database_error)
    app.register_error_handler(Exception, handle_unexpected)

"""Domain refusals as API errors, in the same shape as schema validation errors."""

from __future__ import annotations

from typing import NoReturn

from flask_smorest import abort

from core.tickets.workflow import TransitionError


def field_error(field: str, message: str, location: str = "json") -> NoReturn:
    """422 naming the field, like marshmallow's own errors: `errors.json.<field>`."""
    abort(422, message=f"{field}: {message}", errors={location: {field: [message]}})


def transition_error(exc: TransitionError, allowed: list[str] | None = None) -> NoReturn:
    """409 illegal move, 403 not for this role, 422 resolution missing; with the
    moves that are allowed from here (`allowed` overrides the exception's list)."""
    abort(
        exc.status_code,
        message=str(exc),
        errors={"allowed": exc.allowed if allowed is None else allowed},
    )

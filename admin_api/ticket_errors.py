"""Refusals an API view makes itself (input shapes the schema cannot check), in the
same shape as schema validation errors and as the use cases' refusals."""

from __future__ import annotations

from typing import NoReturn

from flask_smorest import abort


def field_error(field: str, message: str, location: str = "json") -> NoReturn:
    """422 naming the field, like marshmallow's own errors: `errors.json.<field>`."""
    abort(422, message=f"{field}: {message}", errors={location: {field: [message]}})

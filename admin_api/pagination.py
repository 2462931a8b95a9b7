"""Keyset pagination shared by every list endpoint.

A cursor is the sort key of the last row of a page, JSON-encoded and base64'd so
clients treat it as opaque. Keyset (not OFFSET) pages stay stable under inserts
and cost the same deep in the list as on page one.

    args = PaginationArgs  # ?limit=&cursor=
    after = decode_cursor(args["cursor"])          # () on the first page
    rows = query.where(tuple_(Ticket.created_at, Ticket.id) < after).limit(limit + 1)
    return page(rows, limit, key=lambda t: (t.created_at, t.id))
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any, NoReturn, TypeVar

from flask_smorest import abort
from marshmallow import Schema, fields, validate

from core.json_values import of_type

DEFAULT_LIMIT = 50
MAX_LIMIT = 200
T = TypeVar("T")
_DATETIME_TAG = "$dt"


class PaginationArgs(Schema):
    """`?limit=` (1..200, default 50) and the opaque `cursor` from the previous page."""

    limit = fields.Int(load_default=DEFAULT_LIMIT, validate=validate.Range(min=1, max=MAX_LIMIT))
    cursor = fields.Str(load_default=None, validate=validate.Length(max=1000))


class PageSchema(Schema):
    """The envelope of every list: subclasses declare `data = fields.List(...)`."""

    next_cursor = fields.Str(allow_none=True)


def _encode_value(value: Any) -> Any:
    if isinstance(value, datetime):
        return {_DATETIME_TAG: value.isoformat()}
    return value


def _decode_value(value: Any) -> Any:
    if isinstance(value, dict) and set(value) == {_DATETIME_TAG}:
        return datetime.fromisoformat(value[_DATETIME_TAG])
    if isinstance(value, dict | list):
        raise ValueError("nested values are not cursor keys")
    return value


def encode_cursor(values: Sequence[Any]) -> str:
    """An opaque cursor for a sort key (str, int, float, bool, None or datetime)."""
    raw = json.dumps([_encode_value(v) for v in values], separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None, size: int | None = None) -> tuple[Any, ...]:
    """The sort key inside `cursor` (() for None); aborts 422 on anything else.

    `size`, when given, is the number of values the endpoint's sort key has, so a
    cursor from a list sorted differently is refused rather than misread.
    """
    if not cursor:
        return ()
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        values = json.loads(base64.urlsafe_b64decode(padded.encode()))
        if not isinstance(values, list):
            raise ValueError("not a list")
        decoded = tuple(_decode_value(v) for v in values)
    except (binascii.Error, UnicodeDecodeError, ValueError, TypeError):
        invalid_cursor()
    if size is not None and len(decoded) != size:
        invalid_cursor()
    return decoded


def typed_cursor(cursor: str | None, *types: type) -> tuple[Any, ...]:
    """`decode_cursor` for a sort key whose columns have these Python types, in order:
    a value of another type (a string where an id belongs, a null) is a cursor this
    list cannot use, refused with the 422 rather than compared in SQL (a 500)."""
    values = decode_cursor(cursor, size=len(types))
    if values and not all(map(of_type, values, types)):
        invalid_cursor()
    return values


def after_id(cursor: str | None) -> int | None:
    """For lists ordered by id alone: the last id of the previous page (None: first page)."""
    values = typed_cursor(cursor, int)
    return values[0] if values else None


def invalid_cursor() -> NoReturn:
    """The 422 for a cursor this list cannot use."""
    abort(
        422,
        message="invalid cursor",
        errors={"query": {"cursor": ["not a cursor from this list; start again without one"]}},
    )


def page(rows: Sequence[T], limit: int, key: Callable[[T], Sequence[Any]]) -> dict[str, Any]:
    """`{"data", "next_cursor"}` from rows fetched with `limit + 1` (the extra one
    only tells whether another page exists)."""
    data = list(rows[:limit])
    next_cursor = encode_cursor(key(data[-1])) if len(rows) > limit and data else None
    return {"data": data, "next_cursor": next_cursor}

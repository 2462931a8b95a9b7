"""A category named in a query, as every list takes it: its id (`3`) or its code
(`lighting`), so the analytics, the ticket list and the exports accept the same thing."""

from __future__ import annotations

from typing import Any

from flask_smorest import abort
from marshmallow import fields, validate
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Category


class CategoryIdOrCode(fields.Str):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("metadata", {"description": "Category id or code"})
        super().__init__(validate=validate.Length(min=1, max=40), **kwargs)


def category_id(session: Session, value: str | None) -> int | None:
    """The id of the category `value` names; a 422 naming `category` when none does."""
    if value is None:
        return None
    if value.isdecimal():
        found = session.get(Category, int(value)) if len(value) < 19 else None
    else:
        found = session.scalar(select(Category).where(Category.code == value))
    if found is None:
        message = f"no category {value!r}"
        abort(422, message=message, errors={"query": {"category": [message]}})
    return found.id

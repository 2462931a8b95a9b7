"""Categories as Open311 services, and their questions as service definitions."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from admin_api.open311.params import w3c
from core.models import Category
from core.tickets.questions import (
    question_description,
    question_text,
    sorted_questions,
    value_name,
)

_DATATYPE_HINTS = {
    "tr": {
        "string": "Tek satır metin",
        "number": "Bir sayı",
        "datetime": "Saat dilimli W3C tarih, ör. 2026-11-24T14:30:00+03:00",
        "text": "Metin; birden çok satır olabilir",
        "singlevaluelist": "values içinden bir key",
        "multivaluelist": "values içinden bir veya daha çok key: attribute[code][]=key",
    },
    "en": {
        "string": "A single line of text",
        "number": "A number",
        "datetime": "A W3C datetime with a time zone, e.g. 2026-11-24T14:30:00+03:00",
        "text": "Text; line breaks allowed",
        "singlevaluelist": "One key from values",
        "multivaluelist": "One or more keys from values: attribute[code][]=key",
    },
}


def active_categories(session: Session) -> list[Category]:
    query = (
        select(Category)
        .where(Category.is_active.is_(True))
        .options(joinedload(Category.default_team))
        .order_by(Category.sort_order, Category.id)
    )
    return list(session.scalars(query))


def find_service(session: Session, service_code: str) -> Category | None:
    """The active category whose code is `service_code`."""
    return session.scalar(
        select(Category).where(Category.code == service_code, Category.is_active.is_(True))
    )


def changeset(session: Session) -> str:
    """When a service or a service definition last changed (sortable W3C time)."""
    latest = session.scalar(select(func.max(Category.updated_at)))
    return w3c(latest) or "1970-01-01T00:00:00Z"


def service_record(category: Category, locale: str) -> dict[str, Any]:
    description = category.description_en if locale == "en" else category.description_tr
    keywords = dict.fromkeys([category.code, category.name_tr.lower(), category.name_en.lower()])
    return {
        "service_code": category.code,
        "service_name": category.name(locale),
        "description": description,
        "metadata": bool(category.questions),
        "type": "realtime",
        "keywords": ",".join(keywords),
        # Services are grouped by the team that works them.
        "group": category.default_team.name if category.default_team else None,
    }


def definition_record(category: Category, locale: str) -> dict[str, Any]:
    return {
        "service_code": category.code,
        "attributes": [
            _attribute(question, locale) for question in sorted_questions(category.questions)
        ],
    }


def _attribute(question: dict[str, Any], locale: str) -> dict[str, Any]:
    hints = _DATATYPE_HINTS["en" if locale == "en" else "tr"]
    attribute: dict[str, Any] = {
        "variable": True,
        "code": question["code"],
        "datatype": question["datatype"],
        "required": bool(question.get("required")),
        "datatype_description": question_description(question, locale)
        or hints[question["datatype"]],
        "order": question["order"],
        "description": question_text(question, locale),
    }
    if question.get("values"):
        attribute["values"] = [
            {"key": value["key"], "name": value_name(value, locale)} for value in question["values"]
        ]
    return attribute

"""A category's extra questions (Open311 calls them a service definition's attributes).

A manager defines them; the bot asks them one per message after the description
(how it asks and reads the answers is the chat's: bot/questions.py); Open311
clients and the API send the answers as `attribute[code]` values. What every
channel needs is here (definitions, validating attribute values, reading answers
back), so a question means the same thing everywhere.

A question, as stored in `Category.questions`:

    {"code": "depth", "text_tr": "Çukur kaç cm derin?", "text_en": "How deep is it (cm)?",
     "datatype": "number", "required": false, "order": 1,
     "values": [{"key": "circle", "name_tr": "Daire", "name_en": "Circle"}],   # lists only
     "description_tr": "...", "description_en": "..."}                          # optional

Answers are stored on `Ticket.attributes` by code: str for string/text, int or float
for number, an ISO 8601 string with a zone for datetime, the key for a single-value
list and a list of keys for a multi-value list.
"""

from __future__ import annotations

import math
import re
from datetime import datetime
from typing import Any

DATATYPES = ("string", "number", "datetime", "text", "singlevaluelist", "multivaluelist")
LIST_DATATYPES = frozenset({"singlevaluelist", "multivaluelist"})

MAX_QUESTIONS = 20
MAX_VALUES = 30
MAX_QUESTION_TEXT = 300
MAX_DESCRIPTION = 500
MAX_NAME = 100
MAX_STRING_ANSWER = 200
MAX_TEXT_ANSWER = 2000
# Codes travel as `attribute[code]` in Open311 form posts: no brackets, no spaces.
_CODE_RE = re.compile(r"[a-z][a-z0-9_]{0,39}")
_KEY_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,59}")
_QUESTION_FIELDS = frozenset(
    {
        "code",
        "text_tr",
        "text_en",
        "datatype",
        "required",
        "order",
        "values",
        "description_tr",
        "description_en",
    }
)
_VALUE_FIELDS = frozenset({"key", "name_tr", "name_en"})
_NUMBER_RE = re.compile(r"[+-]?\d+(?:[.,]\d+)?")


class InvalidQuestions(ValueError):
    """Bad question definitions; `errors` maps a question's index (or `_schema`) to
    `{field: [messages]}`, the way the API's validation errors look."""

    def __init__(self, errors: dict[Any, Any]) -> None:
        super().__init__("invalid question definitions")
        self.errors = errors


class InvalidAttributes(ValueError):
    """Attribute values (API / Open311) that do not fit; `errors` maps code -> message."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"attribute[{code}]: {msg}" for code, msg in errors.items()))
        self.errors = errors


# --- definitions ---------------------------------------------------------------------


def validate_definitions(raw: Any) -> list[dict[str, Any]]:
    """Check and normalise a manager's question list; sorted by `order`.

    Raises InvalidQuestions naming every problem at once.
    """
    if not isinstance(raw, list):
        raise InvalidQuestions({"_schema": ["questions must be a list"]})
    if len(raw) > MAX_QUESTIONS:
        raise InvalidQuestions({"_schema": [f"at most {MAX_QUESTIONS} questions per category"]})
    errors: dict[Any, Any] = {}
    cleaned: list[tuple[int, dict[str, Any]]] = []
    for index, item in enumerate(raw):
        question, problems = _clean_question(item, default_order=index + 1)
        if problems:
            errors[index] = problems
        else:
            cleaned.append((index, question))
    for field in ("code", "order"):
        _check_unique(cleaned, field, errors)
    if errors:
        raise InvalidQuestions(errors)
    return sorted((question for _, question in cleaned), key=lambda q: q["order"])


def _check_unique(
    questions: list[tuple[int, dict[str, Any]]], field: str, errors: dict[Any, Any]
) -> None:
    seen: set[Any] = set()
    for index, question in questions:
        value = question[field]
        if value in seen:
            errors.setdefault(index, {}).setdefault(field, []).append(
                f"{value!r} is already used by another question"
            )
        seen.add(value)


def _clean_question(item: Any, default_order: int) -> tuple[dict[str, Any], dict[str, list[str]]]:
    problems: dict[str, list[str]] = {}

    def problem(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    if not isinstance(item, dict):
        return {}, {"_schema": ["each question must be an object"]}
    for unknown in sorted(set(item) - _QUESTION_FIELDS):
        problem(unknown, "unknown field")

    code = item.get("code")
    if not isinstance(code, str) or not _CODE_RE.fullmatch(code):
        problem("code", "1-40 lowercase letters, digits or _, starting with a letter")
    datatype = item.get("datatype")
    if datatype not in DATATYPES:
        problem("datatype", f"one of: {', '.join(DATATYPES)}")
    texts = {}
    for field in ("text_tr", "text_en"):
        texts[field] = _required_text(item.get(field), MAX_QUESTION_TEXT, field, problem)
    descriptions = {}
    for field in ("description_tr", "description_en"):
        value = item.get(field)
        if value is not None and value != "":
            descriptions[field] = _required_text(value, MAX_DESCRIPTION, field, problem)
    required = item.get("required", False)
    if not isinstance(required, bool):
        problem("required", "true or false")
    order = item.get("order", default_order)
    if isinstance(order, bool) or not isinstance(order, int) or not 1 <= order <= 1000:
        problem("order", "a whole number from 1 to 1000")
    values = _clean_values(item.get("values"), datatype, problem)

    question: dict[str, Any] = {
        "code": code,
        **texts,
        "datatype": datatype,
        "required": required,
        "order": order,
    }
    if datatype in LIST_DATATYPES:
        question["values"] = values
    question.update({k: v for k, v in descriptions.items() if v})
    return question, problems


def _required_text(value: Any, limit: int, field: str, problem: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        problem(field, "required text")
        return ""
    text = value.strip()
    if len(text) > limit:
        problem(field, f"at most {limit} characters")
    return text


def _clean_values(raw: Any, datatype: Any, problem: Any) -> list[dict[str, str]]:
    if datatype not in LIST_DATATYPES:
        if raw not in (None, []):
            problem("values", "only list datatypes (singlevaluelist, multivaluelist) have values")
        return []
    if not isinstance(raw, list) or not raw:
        problem("values", "a list datatype needs at least one value")
        return []
    if len(raw) > MAX_VALUES:
        problem("values", f"at most {MAX_VALUES} values")
        return []
    values: list[dict[str, str]] = []
    keys: set[str] = set()
    for position, value in enumerate(raw, start=1):
        where = f"value {position}"
        if not isinstance(value, dict) or set(value) - _VALUE_FIELDS:
            problem("values", f"{where}: an object with key, name_tr and name_en only")
            continue
        key = value.get("key")
        if not isinstance(key, str) or not _KEY_RE.fullmatch(key):
            problem("values", f"{where}: key is 1-60 letters, digits, '_', '.' or '-'")
            continue
        if key in keys:
            problem("values", f"{where}: key {key!r} is used twice")
        keys.add(key)
        names = {}
        for field in ("name_tr", "name_en"):
            name = value.get(field)
            if not isinstance(name, str) or not name.strip() or len(name.strip()) > MAX_NAME:
                problem("values", f"{where}: {field} is required text of at most {MAX_NAME}")
            else:
                names[field] = name.strip()
        values.append({"key": key, **names})
    return values


# --- reading a question in a locale --------------------------------------------------


def question_text(question: dict[str, Any], locale: str) -> str:
    return question["text_en"] if locale == "en" else question["text_tr"]


def question_description(question: dict[str, Any], locale: str) -> str | None:
    return question.get("description_en" if locale == "en" else "description_tr")


def value_name(value: dict[str, str], locale: str) -> str:
    return value["name_en"] if locale == "en" else value["name_tr"]


def sorted_questions(questions: list[dict[str, Any]] | None) -> list[dict[str, Any]]:
    return sorted(questions or [], key=lambda q: q.get("order", 0))


def to_number(text: str) -> int | float:
    """A number written with a dot or a comma ("12,5"), an int when it has neither.

    Raises ValueError for digits too many for a float: they would read as infinity,
    which JSON (and so PostgreSQL's jsonb) cannot hold."""
    value = float(text.replace(",", "."))
    if not math.isfinite(value):
        raise ValueError("a number expected")
    return int(value) if value.is_integer() and "." not in text and "," not in text else value


# --- answers sent by the API and Open311 clients -------------------------------------

# W3C datetime (the Open311 subset of ISO 8601): seconds and a zone are required.
W3C_DATETIME_RE = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?(?:Z|[+-]\d{2}:\d{2})")


def validate_attributes(questions: list[dict[str, Any]], attributes: dict[str, Any]) -> dict:
    """The stored form of `attributes` (code -> value) for a category's `questions`.

    Values may be strings (as Open311 form posts send them) or JSON values. Required
    questions must be answered, types must fit, list values must be known keys; an
    empty value for an optional question means "not answered". Codes that are not
    questions of the category are dropped. Raises InvalidAttributes naming each one.
    """
    cleaned: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for question in sorted_questions(questions):
        code = question["code"]
        raw = attributes.get(code)
        if _is_empty(raw):
            if question.get("required"):
                errors[code] = "required"
            continue
        try:
            cleaned[code] = _attribute_value(question, raw)
        except ValueError as exc:
            errors[code] = str(exc)
    if errors:
        raise InvalidAttributes(errors)
    return cleaned


def _is_empty(raw: Any) -> bool:
    if raw is None:
        return True
    if isinstance(raw, str):
        return not raw.strip()
    if isinstance(raw, list | tuple):
        return all(_is_empty(item) for item in raw)
    return False


def _attribute_value(question: dict[str, Any], raw: Any) -> Any:
    datatype = question["datatype"]
    if datatype == "multivaluelist":
        items = raw if isinstance(raw, list | tuple) else str(raw).split(",")
        keys = [_single(item) for item in items if not _is_empty(item)]
        allowed = [value["key"] for value in question["values"]]
        unknown = [key for key in keys if key not in allowed]
        if unknown:
            raise ValueError(f"unknown value {unknown[0]!r}; allowed: {', '.join(allowed)}")
        return list(dict.fromkeys(keys))
    value = _single(raw)
    if datatype == "number":
        return _number_value(value)
    if datatype == "datetime":
        if not isinstance(value, str) or not W3C_DATETIME_RE.fullmatch(value.strip()):
            raise ValueError("a W3C datetime with a zone, e.g. 2026-11-24T14:30:00+03:00")
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00")).isoformat()
    if datatype == "singlevaluelist":
        allowed = [item["key"] for item in question["values"]]
        if str(value) not in allowed:
            raise ValueError(f"unknown value {value!r}; allowed: {', '.join(allowed)}")
        return str(value)
    if not isinstance(value, str):
        raise ValueError("text expected")
    if datatype == "string":
        value = " ".join(value.split())
        limit = MAX_STRING_ANSWER
    else:
        value = value.strip()
        limit = MAX_TEXT_ANSWER
    if len(value) > limit:
        raise ValueError(f"at most {limit} characters")
    return value


def _single(raw: Any) -> Any:
    if isinstance(raw, list | tuple):
        present = [item for item in raw if not _is_empty(item)]
        if len(present) != 1:
            raise ValueError("one value expected")
        return present[0]
    return raw


def _number_value(value: Any) -> int | float:
    if isinstance(value, bool):
        raise ValueError("a number expected")
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("a number expected")
        return int(value) if value.is_integer() else value
    if not isinstance(value, str) or not _NUMBER_RE.fullmatch(value.strip()):
        raise ValueError("a number expected")
    return to_number(value.strip())


def format_answer(question: dict[str, Any], value: Any, locale: str) -> str:
    """An answer as a person reads it (list keys become their names), for summaries,
    ticket details and exports."""
    names = {item["key"]: value_name(item, locale) for item in question.get("values") or []}
    if isinstance(value, list):
        return ", ".join(names.get(key, str(key)) for key in value)
    return names.get(value, str(value)) if isinstance(value, str) else str(value)


def describe_answers(
    questions: list[dict[str, Any]], attributes: dict[str, Any], locale: str
) -> list[tuple[str, str]]:
    """(question text, answer) pairs for the answered questions, in question order."""
    return [
        (question_text(q, locale), format_answer(q, attributes[q["code"]], locale))
        for q in sorted_questions(questions)
        if q["code"] in (attributes or {})
    ]

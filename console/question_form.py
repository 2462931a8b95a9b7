"""A category question as the console's form sends it -> the dict core validates.

The form only gathers the fields; whether they make a question is decided by
core.tickets.questions.validate_definitions, the same check as the API's
`PUT /categories/{id}/questions`, so a question the console saves is one the API
would have taken, and the other way round.

The choices of a list question are typed one a line as `key | Türkçe | English`.
"""

from __future__ import annotations

from typing import Any

from flask import request

from core.errors import Refused
from core.tickets.questions import LIST_DATATYPES, InvalidQuestions

CHOICE_PARTS = 3


def _choices(raw: str) -> list[dict[str, str]]:
    choices = []
    for number, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        parts = [part.strip() for part in line.split("|")]
        if len(parts) != CHOICE_PARTS:
            raise Refused(f"line {number}: key | Türkçe | English", field="values")
        key, name_tr, name_en = parts
        choices.append({"key": key, "name_tr": name_tr, "name_en": name_en})
    return choices


def question_from_form(code: str) -> dict[str, Any]:
    """The question the form describes (its order is the caller's: the list's)."""
    datatype = request.form.get("datatype", "")
    question: dict[str, Any] = {
        "code": code,
        "text_tr": request.form.get("text_tr", ""),
        "text_en": request.form.get("text_en", ""),
        "datatype": datatype,
        "required": request.form.get("required") == "on",
    }
    choices = _choices(request.form.get("values", ""))
    # Left empty on a list question, core says it needs choices; filled on any
    # other, core says only lists have them: either way the manager reads why.
    if choices or datatype in LIST_DATATYPES:
        question["values"] = choices
    for field in ("description_tr", "description_en"):
        if request.form.get(field, "").strip():
            question[field] = request.form[field]
    return question


def choices_text(question: dict[str, Any]) -> str:
    """A question's choices as the form shows them, one a line."""
    return "\n".join(
        f"{value['key']} | {value['name_tr']} | {value['name_en']}"
        for value in question.get("values") or []
    )


def refusal(exc: InvalidQuestions, questions: list[dict[str, Any]]) -> Refused:
    """Core's first complaint as one Refused naming the question and its field."""
    where, problems = next(iter(exc.errors.items()))
    if not isinstance(problems, dict):
        return Refused("; ".join(problems), field="questions")
    field, messages = next(iter(problems.items()))
    code = questions[where].get("code") if isinstance(where, int) else None
    return Refused("; ".join(messages), field=f"{code}.{field}" if code else field)

"""A category's questions in the chat: asking one as a message, and reading the answer.

The definitions, the API's attribute values and reading answers back stay in
core/tickets/questions.py, which every channel shares; this is how the chat asks
and what it accepts: a choice by its number or name (also inside a sentence: "çok
büyük"), several choices ("1 ve 3", "hepsi"), a number with its unit and an
"about" ("yaklaşık 30 cm"), a date in the city's time zone, and the skip words
(bot/answers.py) for an optional question. In a question with a list of choices the
choices win over skip words: "Hayır" is an answer where it is a choice.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.answers import is_skip, is_unknown
from bot.keywords import fold
from bot.texts import numbered, t
from core.tickets.questions import (
    LIST_DATATYPES,
    MAX_STRING_ANSWER,
    MAX_TEXT_ANSWER,
    question_description,
    question_text,
    to_number,
    value_name,
)

# A number answer may carry its unit ("30 cm"); the unit is dropped.
_NUMBER_WITH_UNIT_RE = re.compile(r"([+-]?\d+(?:[.,]\d+)?)\s*[^\W\d_]{0,10}\.?")
# Words around a number that do not change it: "yaklaşık 30", "20 cm kadar", "about 10".
_ABOUT = frozenset(
    {"yaklasik", "tahminen", "asagi", "yukari", "civari", "civarinda", "kadar", "falan",
     "about", "around", "approximately", "approx", "roughly", "maybe", "belki"}
)  # fmt: skip
_ALL = frozenset({"hepsi", "hepsini", "tumu", "tamami", "hepsi de", "all", "all of them", "both"})
_DATE_FORMATS = (
    "%d.%m.%Y %H:%M",
    "%d.%m.%Y %H.%M",
    "%d.%m.%Y",
    "%d/%m/%Y %H:%M",
    "%d/%m/%Y",
    "%Y-%m-%d %H:%M",
    "%Y-%m-%d",
)


class InvalidAnswer(ValueError):
    """An answer that does not fit its question; `reprompt` is what to tell the citizen."""

    def __init__(self, reprompt: str) -> None:
        super().__init__(reprompt)
        self.reprompt = reprompt


def example_choices(question: dict[str, Any]) -> str:
    """An example of several choices that exist in the list: "1,3", or "1,2" for two."""
    return "1,3" if len(question.get("values") or []) >= 3 else "1,2"


def render_question(question: dict[str, Any], locale: str) -> str:
    """The question as one chat message: the text, numbered choices for lists, a hint
    for the expected format, and how to skip it when it is optional."""
    lines = [question_text(question, locale)]
    description = question_description(question, locale)
    if description:
        lines.append(description)
    values = question.get("values") or []
    if values:
        lines.append(numbered([value_name(value, locale) for value in values]))
    datatype = question["datatype"]
    if datatype in ("number", "datetime"):
        lines.append(t(f"hint_{datatype}", locale))
    if datatype == "multivaluelist":
        lines.append(t("hint_several", locale, example=example_choices(question)))
    if not question.get("required"):
        lines.append(t("skip_hint", locale))
    return "\n".join(lines)


def _reprompt(question: dict[str, Any], locale: str, kind: str, **params: Any) -> InvalidAnswer:
    text = t(f"answer_{kind}", locale, **params)
    return InvalidAnswer(f"{text}\n\n{render_question(question, locale)}")


def parse_answer(question: dict[str, Any], text: str, locale: str, *, zone: str) -> Any:
    """The value of a chat answer, or None when an optional question is skipped.

    Raises InvalidAnswer with a re-prompt (in `locale`) that repeats the question.
    A date without a zone is read in `zone` (the city's, CITY_TIMEZONE).
    """
    answer = (text or "").strip()
    if not answer:
        raise _reprompt(question, locale, "empty")
    datatype = question["datatype"]
    chosen = _chosen(question, answer) if datatype in LIST_DATATYPES else None
    if chosen is not None:
        return chosen
    if is_skip(answer) or is_unknown(answer):
        if question.get("required"):
            raise _reprompt(question, locale, "required")
        return None
    if datatype == "number":
        try:
            return _chat_number(answer)
        except ValueError:
            raise _reprompt(question, locale, "number") from None
    if datatype == "datetime":
        try:
            return parse_datetime(answer, zone)
        except ValueError:
            raise _reprompt(question, locale, "datetime") from None
    if datatype == "singlevaluelist":
        raise _reprompt(question, locale, "choice", first=1, last=len(question["values"]))
    if datatype == "multivaluelist":
        raise _reprompt(question, locale, "choices", example=example_choices(question))
    limit = MAX_TEXT_ANSWER if datatype == "text" else MAX_STRING_ANSWER
    if len(answer) > limit:
        raise _reprompt(question, locale, "too_long", limit=limit)
    return answer if datatype == "text" else " ".join(answer.split())


def _chosen(question: dict[str, Any], answer: str) -> Any:
    values = question["values"]
    if question["datatype"] == "singlevaluelist":
        return _choose(values, answer)
    return _choose_many(values, answer)


def _chat_number(answer: str) -> int | float:
    """A number typed in the chat, its unit ("30 cm") and an "about" dropped; ValueError if none."""
    kept = [word for word in answer.replace("~", " ").split() if fold(word) not in _ABOUT]
    match = _NUMBER_WITH_UNIT_RE.fullmatch(" ".join(kept))
    if match is None:
        raise ValueError("a number expected")
    return to_number(match.group(1))


def parse_datetime(text: str, zone: str) -> str:
    """ISO 8601 with a zone for an ISO or Turkish-style date (`24.11.2026 14:30`), read
    in `zone` when it has none. Raises ValueError when the text is no date."""
    value = text.strip()
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        moment = None
        for layout in _DATE_FORMATS:
            try:
                moment = datetime.strptime(value, layout)
                break
            except ValueError:
                continue
        if moment is None:
            raise ValueError(f"not a date: {value!r}") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return moment.isoformat(timespec="seconds")


def _choose(values: list[dict[str, str]], answer: str) -> str | None:
    """The key picked by a choice's number, key or name (either language), or by the
    one name that stands in the answer ("çok büyük", "Evet, tehlikeli")."""
    token = answer.strip().rstrip(".)")
    if token.isdecimal():
        position = int(token)
        return values[position - 1]["key"] if 1 <= position <= len(values) else None
    wanted = fold(answer)
    for value in values:
        if wanted in _names(value):
            return value["key"]
    words = f" {wanted} "
    inside = {v["key"] for v in values if any(f" {name} " in words for name in _names(v))}
    return inside.pop() if len(inside) == 1 else None


def _names(value: dict[str, str]) -> set[str]:
    return {fold(value["key"]), fold(value["name_tr"]), fold(value["name_en"])} - {""}


def _choose_many(values: list[dict[str, str]], answer: str) -> list[str] | None:
    if fold(answer) in _ALL:
        return [value["key"] for value in values]
    parts = [part for part in re.split(r"[,;\n]|\s+(?:ve|and|ile)\s+", answer) if part.strip()]
    # "1 3" means two choices; "Kırık direk" is one name with a space in it.
    if len(parts) == 1 and all(word.rstrip(".").isdecimal() for word in parts[0].split()):
        parts = parts[0].split()
    keys: list[str] = []
    for part in parts:
        key = _choose(values, part)
        if key is None:
            return None
        if key not in keys:
            keys.append(key)
    return keys or None

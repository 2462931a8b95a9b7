"""Reading the administration forms: ids, numbers, word lists. A value that does
not parse is a Refused naming its field (the console's 422 page), never a 500."""

from __future__ import annotations

from flask import request

from core.errors import Refused

MAX_ID = 2**63 - 1


def form_id(field: str) -> int | None:
    raw = request.form.get(field, "").strip()
    if not raw:
        return None
    if not raw.isdigit() or not 0 < int(raw) <= MAX_ID:
        raise Refused("choose one from the list", field=field, code="choose_from_list")
    return int(raw)


def form_ids(field: str) -> list[int]:
    ids = []
    for raw in request.form.getlist(field):
        if not raw.isdigit() or not 0 < int(raw) <= MAX_ID:
            raise Refused("choose from the list", field=field, code="choose_from_list")
        ids.append(int(raw))
    return ids


def form_int(field: str, *, low: int, high: int) -> int:
    raw = request.form.get(field, "").strip()
    if not raw.isdigit() or not low <= int(raw) <= high:
        raise Refused(
            f"a whole number from {low} to {high}", field=field,
            code="whole_number_between", params={"low": low, "high": high},
        )  # fmt: skip
    return int(raw)


def form_text(field: str, *, longest: int, required: bool = True) -> str:
    value = " ".join(request.form.get(field, "").split())
    if required and not value:
        raise Refused("must not be empty", field=field, code="text_empty")
    if len(value) > longest:
        raise Refused(
            f"at most {longest} characters", field=field,
            code="text_too_long", params={"limit": longest},
        )  # fmt: skip
    return value


def form_words(field: str) -> list[str]:
    """Everyday words typed one a line or separated by commas."""
    raw = request.form.get(field, "").replace("\n", ",")
    return [word.strip() for word in raw.split(",") if word.strip()]

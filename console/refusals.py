"""A use case's refusal in the page's language.

Core says no in English (the API sends that sentence as it is) and names the rule by
a stable `code`; the console words `refusal.<code>` from its catalogue with the rule's
values, and the field in the user's words where it has one. A code the catalogue does
not know yet falls back to core's English sentence rather than to a key.
"""

from __future__ import annotations

from typing import Any

from console.i18n import t, t_or
from core.errors import DomainError

# Values that are themselves words the console has (a status, a role): said in the page's
# language, not as the API's identifiers.
_WORDED = {
    "status": "status",
    "to": "status",
    "role": "role",
    "priority": "priority",
    "decision": "esc.status",
}


def refusal_text(exc: DomainError) -> str:
    text = _rule_text(exc)
    if not exc.field:
        return text
    return f"{t_or(f'field.{exc.field}', exc.field)}: {text}"


def _rule_text(exc: DomainError) -> str:
    if exc.code is None:
        return exc.message
    template = t_or(f"refusal.{exc.code}", "")
    if not template:
        return exc.message
    try:
        return template.format(**_worded(exc.params))
    except (KeyError, IndexError):
        # The words ask for a value this refusal does not carry: core's sentence has it.
        return exc.message


def _worded(params: dict[str, Any]) -> dict[str, str]:
    worded = {}
    for name, value in params.items():
        if name == "allowed":
            names = [t_or(f"status.{status}", status) for status in value]
            worded[name] = ", ".join(names) or t("refusal.no_moves")
        elif name in _WORDED:
            worded[name] = t_or(f"{_WORDED[name]}.{value}", str(value))
        else:
            worded[name] = str(value)
    return worded

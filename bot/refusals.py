"""A use case's refusal as a chat reply: the one place the bot says no.

Core rules carry a stable `code`; the catalogue says each known one in the citizen's
language, and anything else by its kind, so a refusal never reaches a citizen as an
English developer's sentence or as the error reply.
"""

from __future__ import annotations

from bot.texts import TEXTS, t
from core.errors import DomainError


def refusal_reply(exc: DomainError, locale: str, *, number: int | str = "?") -> str:
    if exc.kind in ("not_found", "forbidden"):
        # To a citizen, a ticket they may not touch is one they do not have.
        return t("not_found", locale, number=number)
    key = f"refused_{exc.code}"
    if key not in TEXTS:
        key = f"refused_{exc.kind}"
    return t(key, locale, number=number)

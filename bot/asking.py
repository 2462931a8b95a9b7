"""Building a handler's outcome: move to a step and ask its question, ask it again
after a reply it could not use, or ask for the first piece still missing."""

from __future__ import annotations

from typing import Any

from bot.outcomes import Outcome, Snapshot
from bot.prompts import missing_step, prompt
from bot.texts import t
from core.conversations.draft import CONTEXT_KEY, Draft


def ask(s: Snapshot, state: str, context: dict[str, Any], *before: str, **kwargs: Any) -> Outcome:
    """Move to `state` and ask its question (after any notes in `before`)."""
    replies = [*before, prompt(s, state, context)]
    return Outcome(replies=[r for r in replies if r], next_state=state, context=context, **kwargs)


def miss(s: Snapshot, state: str, context: dict[str, Any], note: str | None = None) -> Outcome:
    """The input did not fit: say so and ask the same question again."""
    return ask(s, state, context, note or t("miss", s.locale), miss=True)


def with_draft(context: dict[str, Any], draft: Draft | None) -> dict[str, Any]:
    """`context` holding `draft` (None: without one)."""
    if draft is not None:
        return draft.into(context)
    return {k: v for k, v in context.items() if k != CONTEXT_KEY}


def advance(s: Snapshot, draft: Draft, *notes: str, **kwargs: Any) -> Outcome:
    """Keep `draft` and ask for its first piece still missing (or show the summary)."""
    return ask(s, missing_step(s, draft), with_draft(s.context, draft), *notes, **kwargs)

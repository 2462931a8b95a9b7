"""The conversation engine: `handle(snapshot, inbound) -> Outcome`, pure.

Before the current state's handler (bot/states.py) come the rules that hold in
every state: numbers from countries the city does not serve, opt-out, an expired
draft, `#1234` references to the citizen's tickets, the keywords, and feedback on a
resolved ticket. After it: three misses in a row bring the help text.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from bot import keywords as kw
from bot.inbound import Inbound
from bot.outcomes import (
    AddComment,
    AttachMediaToTicket,
    GiveFeedback,
    Outcome,
    SetLocale,
    SetOptOut,
    ShowStatus,
    Snapshot,
)
from bot.states import STATES, ask, prompt, with_draft
from bot.texts import MAX_REPLY, shorten, t

ONBOARDING = ("start", "consent", "name")
MAX_MISSES = 3
_TICKET_REFERENCE = re.compile(r"^#(\d{1,9})(?![\d])[\s:,.-]*(.*)$", re.DOTALL)


def handle(s: Snapshot, m: Inbound) -> Outcome:
    s = replace(s, state=_effective_state(s))
    outcome = _route(s, m)
    return _count_misses(s, outcome)


def _effective_state(s: Snapshot) -> str:
    if s.registered and s.state in ONBOARDING:
        return "menu"
    if not s.registered and s.state not in (*ONBOARDING, "erase_confirm"):
        return "start"
    return s.state


def _route(s: Snapshot, m: Inbound) -> Outcome:
    if not s.country_allowed:
        countries = ", ".join(s.allowed_countries)
        return Outcome([t("refused_country", s.locale, countries=countries)], "start", {})
    command = kw.command_of(m.text)
    if s.opted_out:
        return _while_opted_out(s, m, command)
    if s.registered and (s.draft_expired or s.context.get("expired")):
        context = {k: v for k, v in with_draft(s.context, None).items() if k != "expired"}
        return ask(s, "menu", context, t("expired", s.locale, minutes=s.timeout_minutes))
    if s.registered:
        referenced = _ticket_reference(s, m)
        if referenced is not None:
            return referenced
    if command is not None:
        handled = COMMANDS[command.name](s, m, command.argument)
        if handled is not None:
            return handled
    if s.registered:
        feedback = _feedback(s, m)
        if feedback is not None:
            return feedback
    return STATES[s.state](s, m)


def _ask_again(s: Snapshot, context: dict, *notes: str, **kwargs: Any) -> Outcome:
    """Repeat the open question after `notes`; before first contact that is the welcome."""
    if s.state == "start":
        welcome = prompt(s, "start", context)
        return Outcome([*notes, welcome], "consent", context, **kwargs)
    return ask(s, s.state, context, *notes, **kwargs)


def _while_opted_out(s: Snapshot, m: Inbound, command: kw.Command | None) -> Outcome:
    """Nothing is said to an opted-out citizen except the answer to START and DELETE."""
    if command is not None and command.name == "start":
        context = {k: v for k, v in s.context.items() if k != "opted_out"}
        return _ask_again(s, context, t("started", s.locale), effects=[SetOptOut(False)])
    if command is not None and command.name == "delete":
        return _delete(s, m, None)
    if s.state == "erase_confirm":
        return STATES["erase_confirm"](s, m)
    return Outcome([], s.state, s.context)


def _ticket_reference(s: Snapshot, m: Inbound) -> Outcome | None:
    """`#1234 text` comments on the citizen's ticket; a photo captioned `#1234` joins it."""
    match = _TICKET_REFERENCE.match(m.text.strip())
    if match is None:
        return None
    number, text = int(match.group(1)), match.group(2).strip()
    effects: list = []
    if m.media:
        effects.append(AttachMediaToTicket(number))
    if text:
        effects.append(AddComment(number, text))
    if not effects:
        effects.append(ShowStatus(number))
    return Outcome([], s.state, s.context, effects=effects)


def _feedback(s: Snapshot, m: Inbound) -> Outcome | None:
    """A rating (1–5, in the menu) or "fixed"/"not fixed" for the latest resolved ticket."""
    rating = kw.choice_number(m.text)
    if s.feedback_due is not None and s.state == "menu" and rating in range(1, 6):
        effect = GiveFeedback(s.feedback_due, rating=rating)
        return Outcome([], "menu", s.context, effects=[effect])
    fixed = kw.fixed_answer(m.text)
    if fixed is not None and s.reopenable is not None:
        effect = GiveFeedback(s.reopenable, fixed=fixed)
        return Outcome([], s.state, s.context, effects=[effect])
    return None


# --- keywords ---------------------------------------------------------------------------

Command = Callable[[Snapshot, Inbound, "str | None"], "Outcome | None"]


def _help(s: Snapshot, m: Inbound, _arg: str | None) -> Outcome:
    return _ask_again(s, s.context, t("help", s.locale))


def _cancel(s: Snapshot, m: Inbound, _arg: str | None) -> Outcome | None:
    if not s.registered:
        return None
    note = t("cancelled", s.locale) if "draft" in s.context else t("nothing_to_cancel", s.locale)
    return ask(s, "menu", with_draft(s.context, None), note)


def _menu(s: Snapshot, m: Inbound, _arg: str | None) -> Outcome | None:
    if not s.registered:
        return None
    note = t("cancelled", s.locale) if "draft" in s.context else ""
    return ask(s, "menu", with_draft(s.context, None), note)


def _status(s: Snapshot, m: Inbound, arg: str | None) -> Outcome:
    if not s.registered:
        return _ask_again(s, s.context, t("status_none", s.locale))
    return Outcome([], s.state, s.context, effects=[ShowStatus(int(arg) if arg else None)])


def _language(s: Snapshot, m: Inbound, arg: str | None) -> Outcome:
    locale = arg or s.locale
    changed = replace(s, locale=locale)
    return _ask_again(
        changed, s.context, t("lang_set", locale), effects=[SetLocale(locale)], locale=locale
    )


def _stop(s: Snapshot, m: Inbound, _arg: str | None) -> Outcome:
    context = {**s.context, "opted_out": True}
    return Outcome([t("stopped", s.locale)], s.state, context, effects=[SetOptOut(True)])


def _start(s: Snapshot, m: Inbound, _arg: str | None) -> Outcome:
    return _ask_again(s, s.context)


def _delete(s: Snapshot, m: Inbound, _arg: str | None) -> Outcome:
    return ask(s, "erase_confirm", s.context)


COMMANDS: dict[str, Command] = {
    "help": _help,
    "cancel": _cancel,
    "menu": _menu,
    "status": _status,
    "lang": _language,
    "stop": _stop,
    "start": _start,
    "delete": _delete,
}


# --- never a dead end -------------------------------------------------------------------


def _count_misses(s: Snapshot, outcome: Outcome) -> Outcome:
    if not outcome.miss:
        outcome.misses = 0
        return outcome
    misses = s.misses + 1
    if misses >= MAX_MISSES:
        question = prompt(s, outcome.next_state, outcome.context)
        with_question = f"{t('help', s.locale)}\n\n{question}"
        outcome.replies = [
            with_question if len(with_question) <= MAX_REPLY else t("help", s.locale)
        ]
        misses = 0
    outcome.misses = misses
    return outcome


def reply_text(replies: list[str]) -> str:
    """The replies as one message under MAX_REPLY characters: notes are dropped
    before the question when both do not fit."""
    parts = [r for r in replies if r]
    while len(parts) > 1 and len("\n\n".join(parts)) > MAX_REPLY:
        parts.pop(0)
    return shorten_keep_lines("\n\n".join(parts), MAX_REPLY)


def shorten_keep_lines(text: str, limit: int) -> str:
    return text if len(text) <= limit else shorten(text, limit)

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

from bot import answers
from bot import keywords as kw
from bot.asking import ask, with_draft
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
from bot.prompts import prompt
from bot.report_steps import REPORT_STEPS
from bot.states import STATES, pause_for_stop, stop
from bot.texts import cut_to_fit, fits, t
from core.conversations.draft import PAUSED_STATE_KEY

ONBOARDING = ("start", "consent", "name")
MAX_MISSES = 3
_TICKET_REFERENCE = re.compile(r"^#(\d{1,9})(?![\d])[\s:,.-]*(.*)$", re.DOTALL)


def handle(s: Snapshot, m: Inbound) -> Outcome:
    s = replace(s, state=_effective_state(s), channel=m.channel)
    outcome = _route(s, m)
    return _count_misses(s, outcome, m.channel)


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
        context = {k: v for k, v in _without_report(s.context).items() if k != "expired"}
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
    """A rating (1–5, in the menu) or "fixed"/"not fixed" for the latest resolved ticket.

    At the menu, where the resolved ticket was just asked about, "hâlâ yanmıyor" says
    "not fixed" too; in the middle of a report only the words themselves do."""
    rating = answers.rating_of(m.text)
    if s.feedback_due is not None and s.state == "menu" and rating is not None:
        effect = GiveFeedback(s.feedback_due, rating=rating)
        return Outcome([], "menu", s.context, effects=[effect])
    fixed = answers.fixed_answer(m.text, loose=s.state == "menu")
    if fixed is not None and s.reopenable is not None:
        effect = GiveFeedback(s.reopenable, fixed=fixed)
        return Outcome([], s.state, s.context, effects=[effect])
    return None


# --- keywords ---------------------------------------------------------------------------

Command = Callable[[Snapshot, Inbound, "str | None"], "Outcome | None"]


def _help(s: Snapshot, m: Inbound, _arg: str | None) -> Outcome:
    return _ask_again(s, s.context, t("help", s.locale, s.channel))


def _cancel(s: Snapshot, m: Inbound, _arg: str | None) -> Outcome | None:
    if not s.registered or s.state == "erase_confirm":
        return None  # the step's own no
    note = t("cancelled", s.locale) if s.has_draft else t("nothing_to_cancel", s.locale)
    return ask(s, "menu", _without_report(s.context), note)


def _menu(s: Snapshot, m: Inbound, _arg: str | None) -> Outcome | None:
    if not s.registered:
        return None
    note = t("cancelled", s.locale) if s.has_draft else ""
    return ask(s, "menu", _without_report(s.context), note)


def _without_report(context: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in with_draft(context, None).items() if k != PAUSED_STATE_KEY}


def _status(s: Snapshot, m: Inbound, arg: str | None) -> Outcome:
    if not s.registered:
        return _ask_again(s, s.context, t("status_none", s.locale))
    effect = ShowStatus(int(arg) if arg else None)
    # In the middle of a report, the question it waits for comes after the status.
    pending = [prompt(s, s.state, s.context)] if s.state in REPORT_STEPS else []
    return Outcome([], s.state, s.context, effects=[effect], closing=pending)


def _language(s: Snapshot, m: Inbound, arg: str | None) -> Outcome:
    locale = arg or s.locale
    changed = replace(s, locale=locale)
    return _ask_again(
        changed, s.context, t("lang_set", locale), effects=[SetLocale(locale)], locale=locale
    )


def _stop(s: Snapshot, m: Inbound, _arg: str | None) -> Outcome:
    """Immediate on SMS (the carrier has already blocked the number) and outside a
    report; in the middle of one on WhatsApp, DUR may mean "wait": asked first."""
    if m.channel == "whatsapp" and s.registered and s.state in REPORT_STEPS:
        return pause_for_stop(s)
    return stop(s)


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


def _count_misses(s: Snapshot, outcome: Outcome, channel: str) -> Outcome:
    if not outcome.miss:
        outcome.misses = 0
        return outcome
    misses = s.misses + 1
    if misses >= MAX_MISSES:
        question = prompt(s, outcome.next_state, outcome.context)
        help_text = t("help", s.locale, channel)
        with_question = f"{help_text}\n\n{question}"
        outcome.replies = [with_question if fits(with_question, channel) else help_text]
        outcome.closing = []
        misses = 0
    outcome.misses = misses
    return outcome


def reply_text(replies: list[str], channel: str = "whatsapp") -> str:
    """The replies as one message that fits (MAX_REPLY characters; on SMS three
    segments): notes are dropped before the question when both do not fit."""
    parts = [r for r in replies if r]
    while len(parts) > 1 and not fits("\n\n".join(parts), channel):
        parts.pop(0)
    return cut_to_fit("\n\n".join(parts), channel)

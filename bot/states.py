"""The conversation's steps: one pure handler per state, and the table mapping them.

First contact, consent and the name; the menu; confirming an erase or a stop. The
steps of a report are in bot/report_steps.py.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import replace

from bot import answers
from bot.asking import ask, miss
from bot.inbound import Inbound
from bot.keywords import choice_number
from bot.outcomes import Erase, Outcome, Register, SetOptOut, ShowStatus, Snapshot
from bot.prompts import prompt
from bot.report_steps import REPORT_STEPS, looks_like_complaint, report_from_text, start_report
from bot.texts import shorten, t
from core.conversations.draft import PAUSED_STATE_KEY

MAX_NAME = 120
ERASE_YES = frozenset({"sil", "eminim", "delete", "sure", "onayliyorum"})
# "Adım Mehmet", "benim adım Zeynep", "ben Hasan", "my name is John", "I'm John".
_NAME_INTRO = re.compile(
    r"^\s*(?:(?:benim\s+)?(?:ad[ıiIİ]m|[iıİI]smim)|ben|my\s+name\s+is|i\s*['’]?\s*a?m|call\s+me)"
    r"\s+(?=\S)",
    re.IGNORECASE,
)

Handler = Callable[[Snapshot, Inbound], Outcome]


def on_start(s: Snapshot, m: Inbound) -> Outcome:
    context = {k: v for k, v in s.context.items() if k == "opted_out"}
    return Outcome([prompt(s, "start", context)], "consent", context)


def on_consent(s: Snapshot, m: Inbound) -> Outcome:
    answer = answers.yes_no(m.text)
    if answer is True:
        context = dict(s.context)
        if m.profile_name:
            context["profile_name"] = m.profile_name
        return ask(s, "name", context)
    if answer is False:
        return Outcome([t("consent_declined", s.locale)], "start", {})
    return miss(s, "consent", s.context)


def name_in(text: str) -> str:
    """The name in "adım Mehmet", "my name is John", or the text as typed."""
    name = _NAME_INTRO.sub("", text, count=1)
    return " ".join(name.strip(" .!").split())[:MAX_NAME]


def on_name(s: Snapshot, m: Inbound) -> Outcome:
    profile = s.context.get("profile_name")
    choice = choice_number(m.text)
    if profile and (choice == 1 or answers.yes_no(m.text) is True):
        name = profile
    elif choice == 2 or answers.declines(m.text):
        name = None
    elif m.text and choice is None and any(ch.isalpha() for ch in m.text):
        name = name_in(m.text)
    else:
        return miss(s, "name", s.context)
    context = {k: v for k, v in s.context.items() if k != "profile_name"}
    greeting = t("registered", s.locale, name=f" {shorten(name, 40)}" if name else "")
    return ask(s, "menu", context, greeting, effects=[Register(full_name=name)])


def on_menu(s: Snapshot, m: Inbound) -> Outcome:
    if m.location is not None or (m.media and m.message_id is not None):
        return start_report(s, m)
    choice = choice_number(m.text)
    intent = {1: "new", 2: "mine", 3: "help"}.get(choice or 0) or answers.menu_intent(m.text)
    if intent == "new":
        return start_report(s, m)
    if intent == "mine":
        return Outcome([], "menu", s.context, effects=[ShowStatus()])
    if intent == "help":
        return ask(s, "menu", s.context, t("help", s.locale, s.channel))
    if answers.is_thanks(m.text):
        return ask(s, "menu", s.context, t("welcome_reply", s.locale))
    if answers.is_greeting(m.text):
        return ask(s, "menu", s.context)
    if choice is None and looks_like_complaint(s, m.text):
        return report_from_text(s, m)
    if s.feedback_due is not None:
        # The rating asked for is the open question, not the menu.
        note = t("miss", s.locale)
        again = t("rate_again", s.locale, number=s.feedback_due)
        return Outcome([note, again], "menu", s.context, miss=True)
    return miss(s, "menu", s.context)


def on_erase_confirm(s: Snapshot, m: Inbound) -> Outcome:
    if answers.yes_no(m.text, yes=ERASE_YES) is True:
        return Outcome([t("erased", s.locale)], "start", {}, effects=[Erase()])
    if not s.registered:
        return Outcome([t("erase_kept", s.locale)], "start", s.context)
    return ask(s, "menu", s.context, t("erase_kept", s.locale))


def pause_for_stop(s: Snapshot) -> Outcome:
    """DUR/STOP in the middle of a report on WhatsApp: it may mean "wait", so ask."""
    return ask(s, "stop_confirm", {**s.context, PAUSED_STATE_KEY: s.state})


def stop(s: Snapshot) -> Outcome:
    """No more messages (the report, if any, stays where it was)."""
    context = {k: v for k, v in s.context.items() if k != PAUSED_STATE_KEY}
    state = s.context.get(PAUSED_STATE_KEY, s.state) if s.state == "stop_confirm" else s.state
    return Outcome(
        [t("stopped", s.locale)],
        state,
        {**context, "opted_out": True},
        effects=[SetOptOut(True)],
    )


def on_stop_confirm(s: Snapshot, m: Inbound) -> Outcome:
    paused = s.context.get(PAUSED_STATE_KEY)
    context = {k: v for k, v in s.context.items() if k != PAUSED_STATE_KEY}
    if paused not in REPORT_STEPS:
        return ask(s, "menu", context)
    answer = answers.yes_no(m.text)
    if answer is True:
        return stop(s)
    resumed = replace(s, state=paused, context=context)
    if answer is False or not (m.text or m.media or m.location):
        return ask(resumed, paused, context)
    return REPORT_STEPS[paused](resumed, m)


STATES: dict[str, Handler] = {
    "start": on_start,
    "consent": on_consent,
    "name": on_name,
    "menu": on_menu,
    **REPORT_STEPS,
    "erase_confirm": on_erase_confirm,
    "stop_confirm": on_stop_confirm,
}

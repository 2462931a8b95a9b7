"""What each step asks: the question of a state, as asked on entering it or again
after a reply it could not use.

A step asks for the first piece of the report still missing (`missing_step`), so a
pin or a photo sent before it was asked for is kept and its step skipped.
"""

from __future__ import annotations

from typing import Any

from bot.outcomes import CategoryChoice, Snapshot
from bot.questions import render_question
from bot.texts import numbered, shorten, sms_budget, t
from core.conversations import draft as pieces
from core.conversations.address_lookup import lookup_text
from core.conversations.draft import PHOTO_LIMIT, Draft
from core.tickets.questions import describe_answers, sorted_questions


def prompt(s: Snapshot, state: str, context: dict[str, Any]) -> str:
    """The question of `state`, as asked when entering it or after a miss."""
    draft = Draft.of(context) or Draft()
    asks = PROMPTS.get(state)
    return asks(s, draft, context) if asks else t("menu", s.locale)


def questions_of(s: Snapshot, draft: Draft) -> list[dict[str, Any]]:
    category = s.category(draft.category_id)
    return sorted_questions(list(category.questions)) if category else []


def current_question(s: Snapshot, draft: Draft) -> dict[str, Any] | None:
    """The question the draft is at; None when staff removed it (or its category)
    after it was asked."""
    questions = questions_of(s, draft)
    return questions[draft.question_index] if draft.question_index < len(questions) else None


def missing_step(s: Snapshot, draft: Draft) -> str:
    """The step that asks for the first piece of `draft` still missing."""
    piece = draft.missing(
        len(questions_of(s, draft)), category_known=s.category(draft.category_id) is not None
    )
    if piece == pieces.CATEGORY:
        if s.category(draft.category_guess) is not None:
            return "category_confirm"
        return "category_choice" if _choices(s, draft) else "category"
    if piece == pieces.LOCATION:
        return "address_lookup" if draft.lookup is not None else "location"
    return {
        pieces.DESCRIPTION: "description",
        pieces.QUESTIONS: "question",
        pieces.PHOTOS: "photo",
        None: "confirm",
    }[piece]


def _choices(s: Snapshot, draft: Draft) -> list[CategoryChoice]:
    chosen = [s.category(category_id) for category_id in draft.category_choices]
    return [c for c in chosen if c is not None]


def _category_list(s: Snapshot) -> str:
    return numbered([c.name(s.locale) for c in s.categories])


def _start(s: Snapshot, draft: Draft, context: dict[str, Any]) -> str:
    return t("welcome", s.locale, s.channel, days=s.retention_days)


def _consent(s: Snapshot, draft: Draft, context: dict[str, Any]) -> str:
    return t("consent_reprompt", s.locale)


def _name(s: Snapshot, draft: Draft, context: dict[str, Any]) -> str:
    profile = context.get("profile_name")
    if profile:
        return t("ask_name_profile", s.locale, profile=profile)
    return t("ask_name", s.locale)


def _category(s: Snapshot, draft: Draft, context: dict[str, Any]) -> str:
    if not s.categories:
        return t("no_categories", s.locale)
    return t("choose_category", s.locale, choices=_category_list(s))


def _category_confirm(s: Snapshot, draft: Draft, context: dict[str, Any]) -> str:
    guess = s.category(draft.category_guess)
    if guess is None:
        return _category(s, draft, context)
    return t("confirm_category", s.locale, category=guess.name(s.locale), choices=_category_list(s))


def _category_choice(s: Snapshot, draft: Draft, context: dict[str, Any]) -> str:
    choices = _choices(s, draft)
    if not choices:
        return _category(s, draft, context)
    return t("which_category", s.locale, choices=numbered([c.name(s.locale) for c in choices]))


def _description(s: Snapshot, draft: Draft, context: dict[str, Any]) -> str:
    category = s.category(draft.category_id)
    return t("ask_description", s.locale, category=category.name(s.locale) if category else "")


def _question(s: Snapshot, draft: Draft, context: dict[str, Any]) -> str:
    question = current_question(s, draft)
    if question is None:  # the questions changed: ask what is missing now
        return prompt(s, missing_step(s, draft), context)
    return render_question(question, s.locale)


def _location(s: Snapshot, draft: Draft, context: dict[str, Any]) -> str:
    return t("ask_location", s.locale, s.channel)


def _address_lookup(s: Snapshot, draft: Draft, context: dict[str, Any]) -> str:
    if draft.lookup is None or draft.lookup.status == "pending":
        return t("looking_up", s.locale, s.channel)
    return lookup_text(draft.lookup, s.locale, s.channel)


def _photo(s: Snapshot, draft: Draft, context: dict[str, Any]) -> str:
    if draft.media_count:
        return t("photo_received", s.locale, count=draft.media_count, limit=PHOTO_LIMIT)
    return t("ask_photo", s.locale, s.channel, limit=PHOTO_LIMIT)


def _confirm(s: Snapshot, draft: Draft, context: dict[str, Any]) -> str:
    return summary(s, draft)


# How much of each part the summary shows: (question, answer, location, description);
# on SMS the tighter ones are tried until the whole fits three segments.
_SUMMARY_SIZES = ((40, 30, 50, 80),)
_SMS_SUMMARY_SIZES = ((40, 30, 50, 40), (25, 20, 35, 10), (18, 14, 24, 10))


def summary(s: Snapshot, draft: Draft) -> str:
    """The report as it will be sent, answers included; on SMS the parts (the
    description first) are shortened so the whole fits three segments."""
    loc = s.locale
    category = s.category(draft.category_id)
    if draft.location_approximate:
        where = t("around", loc, address=shorten(draft.address or "-", 30))
    elif draft.has_point:
        where = draft.address or t("pin", loc)
    else:
        where = draft.address or "-"
    answers = describe_answers(list(category.questions) if category else [], draft.answers, loc)
    description = draft.description or ""
    sms = s.channel == "sms"
    text = ""
    for question_size, answer_size, where_size, description_size in (
        _SMS_SUMMARY_SIZES if sms else _SUMMARY_SIZES
    ):
        values = {
            "category": category.name(loc) if category else "-",
            "answers": "".join(
                t(
                    "summary_answer",
                    loc,
                    question=shorten(q, question_size),
                    answer=shorten(a, answer_size),
                )
                for q, a in answers
            ),
            "location": shorten(where, where_size),
            "photos": draft.media_count,
        }
        text = t("summary", loc, description=shorten(description, description_size), **values)
        if not sms:
            return text
        # Whatever room the rest leaves in three segments goes to the description.
        room = sms_budget(text) - len(text) + min(len(description), description_size)
        if room >= description_size:
            return t("summary", loc, description=shorten(description, room), **values)
    return text


def _duplicate_offer(s: Snapshot, draft: Draft, context: dict[str, Any]) -> str:
    duplicate = draft.duplicate
    if duplicate is None:
        return summary(s, draft)
    days = duplicate.age_days
    age = t("age_today", s.locale) if days < 1 else t("age_days", s.locale, days=days)
    return t(
        "duplicate_offer_own" if duplicate.own else "duplicate_offer",
        s.locale,
        number=duplicate.number,
        distance=round(duplicate.distance_m),
        age=age,
    )


def _erase_confirm(s: Snapshot, draft: Draft, context: dict[str, Any]) -> str:
    return t("erase_confirm", s.locale)


def _stop_confirm(s: Snapshot, draft: Draft, context: dict[str, Any]) -> str:
    return t("stop_confirm", s.locale)


def _menu(s: Snapshot, draft: Draft, context: dict[str, Any]) -> str:
    return t("menu", s.locale)


PROMPTS = {
    "start": _start,
    "consent": _consent,
    "name": _name,
    "menu": _menu,
    "category": _category,
    "category_confirm": _category_confirm,
    "category_choice": _category_choice,
    "description": _description,
    "question": _question,
    "location": _location,
    "address_lookup": _address_lookup,
    "photo": _photo,
    "confirm": _confirm,
    "duplicate_offer": _duplicate_offer,
    "erase_confirm": _erase_confirm,
    "stop_confirm": _stop_confirm,
}

"""The conversation's steps: one pure handler per state, and the table mapping them.

A report is filled in piece by piece; `advance` asks for the first missing piece, so
a pin or a photo sent before it was asked for is kept and its step is skipped.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from bot import keywords as kw
from bot.inbound import Inbound
from bot.outcomes import (
    CategoryChoice,
    CreateTicket,
    Erase,
    FollowTicket,
    Outcome,
    Register,
    ShowStatus,
    Snapshot,
)
from bot.texts import shorten, t
from core.tickets import questions as cq
from core.tickets.opening import DESCRIPTION_MAX, DESCRIPTION_MIN

MAX_PHOTOS = 3
MAX_NAME = 120
_COORDINATES = re.compile(r"^\s*(-?\d{1,2}(?:[.]\d+)?)\s*[,;/ ]\s*(-?\d{1,3}(?:[.]\d+)?)\s*$")

Handler = Callable[[Snapshot, Inbound], Outcome]


# --- prompts: what each step asks ---------------------------------------------------


def prompt(s: Snapshot, state: str, context: dict[str, Any]) -> str:
    """The question of `state`, as asked when entering it or after a miss."""
    loc = s.locale
    draft = context.get("draft") or {}
    if state == "start":
        return t("welcome", loc, days=s.retention_days)
    if state == "consent":
        return t("consent_reprompt", loc)
    if state == "name":
        profile = context.get("profile_name")
        return t("ask_name_profile", loc, profile=profile) if profile else t("ask_name", loc)
    if state == "category":
        if not s.categories:
            return t("no_categories", loc)
        choices = "\n".join(f"{i}: {c.name(loc)}" for i, c in enumerate(s.categories, 1))
        return t("choose_category", loc, choices=choices)
    if state == "description":
        category = s.category(draft.get("category_id"))
        return t("ask_description", loc, category=category.name(loc) if category else "")
    if state == "question":
        question = _current_question(s, draft)
        if question is None:  # the questions changed: ask what is missing now
            return prompt(s, missing_step(s, draft), context)
        return cq.render_question(question, loc)
    if state == "location":
        return t("ask_location", loc)
    if state == "photo":
        count = draft.get("media_count", 0)
        return t("photo_received", loc, count=count) if count else t("ask_photo", loc)
    if state == "confirm":
        return _summary(s, draft)
    if state == "duplicate_offer":
        return _duplicate_offer(s, draft["duplicate"])
    if state == "erase_confirm":
        return t("erase_confirm", loc)
    return t("menu", loc)


def _summary(s: Snapshot, draft: dict[str, Any]) -> str:
    loc = s.locale
    category = s.category(draft.get("category_id"))
    if draft.get("lat") is not None:
        where = draft.get("address") or t("pin", loc)
    else:
        where = draft.get("address") or "-"
    return t(
        "summary",
        loc,
        category=category.name(loc) if category else "-",
        description=shorten(draft.get("description", ""), 80),
        location=shorten(where, 50),
        photos=draft.get("media_count", 0),
    )


def _duplicate_offer(s: Snapshot, duplicate: dict[str, Any]) -> str:
    days = duplicate["age_days"]
    age = t("age_today", s.locale) if days < 1 else t("age_days", s.locale, days=days)
    return t(
        "duplicate_offer",
        s.locale,
        number=duplicate["number"],
        distance=round(duplicate["distance_m"]),
        age=age,
    )


def _questions(s: Snapshot, draft: dict[str, Any]) -> list[dict[str, Any]]:
    category = s.category(draft.get("category_id"))
    return cq.sorted_questions(list(category.questions)) if category else []


def _current_question(s: Snapshot, draft: dict[str, Any]) -> dict[str, Any] | None:
    """The question the draft is at; None when staff removed it (or its category)
    after it was asked."""
    questions = _questions(s, draft)
    index = draft.get("question_index", 0)
    return questions[index] if index < len(questions) else None


# --- building outcomes ----------------------------------------------------------------


def ask(s: Snapshot, state: str, context: dict[str, Any], *before: str, **kwargs: Any) -> Outcome:
    """Move to `state` and ask its question (after any notes in `before`)."""
    replies = [*before, prompt(s, state, context)]
    return Outcome(replies=[r for r in replies if r], next_state=state, context=context, **kwargs)


def miss(s: Snapshot, state: str, context: dict[str, Any], note: str | None = None) -> Outcome:
    """The input did not fit: say so and ask the same question again."""
    return ask(s, state, context, note or t("miss", s.locale), miss=True)


def with_draft(context: dict[str, Any], draft: dict[str, Any] | None) -> dict[str, Any]:
    updated = {k: v for k, v in context.items() if k != "draft"}
    if draft is not None:
        updated["draft"] = draft
    return updated


def advance(s: Snapshot, context: dict[str, Any], *notes: str) -> Outcome:
    """Ask for the first piece of the draft still missing (or show the summary)."""
    return ask(s, missing_step(s, context.get("draft") or {}), context, *notes)


def missing_step(s: Snapshot, draft: dict[str, Any]) -> str:
    """The step that asks for the first piece of `draft` still missing."""
    if s.category(draft.get("category_id")) is None:
        return "category"
    if not draft.get("description"):
        return "description"
    if draft.get("question_index", 0) < len(_questions(s, draft)):
        return "question"
    if draft.get("lat") is None and not draft.get("address"):
        return "location"
    if not draft.get("photos_done") and draft.get("media_count", 0) < MAX_PHOTOS:
        return "photo"
    return "confirm"


def absorb(s: Snapshot, m: Inbound, draft: dict[str, Any]) -> tuple[dict[str, Any], list[str]]:
    """Keep a pin or photos that arrived with `m`, whatever the step; returns notes."""
    draft = dict(draft)
    notes: list[str] = []
    if m.location is not None:
        lat, lon = m.location
        if in_service_area(s, lat, lon):
            draft.update(lat=lat, lon=lon, address=m.location_label)
        else:
            notes.append(t("outside_area", s.locale))
    if m.media and m.message_id is not None:
        count = draft.get("media_count", 0)
        take = min(MAX_PHOTOS - count, len(m.media))
        if take > 0:
            draft["media"] = [*draft.get("media", []), {"message_id": m.message_id, "take": take}]
            draft["media_count"] = count + take
        if take < len(m.media):
            notes.append(t("too_many_photos", s.locale))
    return draft, notes


def in_service_area(s: Snapshot, lat: float, lon: float) -> bool:
    min_lon, min_lat, max_lon, max_lat = s.service_area
    return min_lat <= lat <= max_lat and min_lon <= lon <= max_lon


def typed_coordinates(text: str) -> tuple[float, float] | None:
    match = _COORDINATES.match(text)
    if match is None:
        return None
    lat, lon = float(match.group(1)), float(match.group(2))
    return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


def match_category(s: Snapshot, text: str) -> CategoryChoice | None:
    number = kw.choice_number(text)
    if number is not None:
        return s.categories[number - 1] if 1 <= number <= len(s.categories) else None
    folded = kw.fold(text)
    if not folded:
        return None
    for category in s.categories:
        if folded in {kw.fold(category.name_tr), kw.fold(category.name_en), category.code}:
            return category
    starts = [
        c
        for c in s.categories
        if len(folded) >= 3
        and (kw.fold(c.name_tr).startswith(folded) or kw.fold(c.name_en).startswith(folded))
    ]
    return starts[0] if len(starts) == 1 else None


def start_report(s: Snapshot, m: Inbound, *notes: str) -> Outcome:
    draft, absorbed = absorb(s, m, {})
    if m.media and m.message_id is not None:
        absorbed.insert(0, t("photo_kept", s.locale))
    return advance(s, with_draft(s.context, draft), *notes, *absorbed)


# --- the handlers ---------------------------------------------------------------------


def on_start(s: Snapshot, m: Inbound) -> Outcome:
    context = {k: v for k, v in s.context.items() if k == "opted_out"}
    return Outcome([prompt(s, "start", context)], "consent", context)


def on_consent(s: Snapshot, m: Inbound) -> Outcome:
    if kw.is_yes(m.text):
        context = dict(s.context)
        if m.profile_name:
            context["profile_name"] = m.profile_name
        return ask(s, "name", context)
    if kw.is_no(m.text):
        return Outcome([t("consent_declined", s.locale)], "start", {})
    return miss(s, "consent", s.context)


def on_name(s: Snapshot, m: Inbound) -> Outcome:
    profile = s.context.get("profile_name")
    choice = kw.choice_number(m.text)
    if choice == 1 and profile:
        name = profile
    elif choice == 2 or kw.is_skip(m.text):
        name = None
    elif m.text and choice is None and any(ch.isalpha() for ch in m.text):
        name = " ".join(m.text.split())[:MAX_NAME]
    else:
        return miss(s, "name", s.context)
    context = {k: v for k, v in s.context.items() if k != "profile_name"}
    greeting = t("registered", s.locale, name=f" {shorten(name, 40)}" if name else "")
    return ask(s, "menu", context, greeting, effects=[Register(full_name=name)])


def on_menu(s: Snapshot, m: Inbound) -> Outcome:
    if m.location is not None or (m.media and m.message_id is not None):
        return start_report(s, m)
    choice = kw.choice_number(m.text)
    if choice == 1:
        return start_report(s, m)
    if choice == 2:
        return Outcome([], "menu", s.context, effects=[ShowStatus()])
    if choice == 3:
        return ask(s, "menu", s.context, t("help", s.locale))
    return miss(s, "menu", s.context)


def on_category(s: Snapshot, m: Inbound) -> Outcome:
    draft, notes = absorb(s, m, s.draft)
    context = with_draft(s.context, draft)
    if not m.text and (m.media or m.location):
        return ask(s, "category", context, *notes)
    category = match_category(s, m.text)
    if category is None:
        return miss(s, "category", context)
    draft["category_id"] = category.id
    return advance(s, with_draft(s.context, draft), *notes)


def on_description(s: Snapshot, m: Inbound) -> Outcome:
    draft, notes = absorb(s, m, s.draft)
    context = with_draft(s.context, draft)
    if not m.text and (m.media or m.location):
        return ask(s, "description", context, *notes)
    if len(m.text.strip()) < DESCRIPTION_MIN:
        return miss(s, "description", context, t("description_short", s.locale))
    draft["description"] = m.text.strip()[:DESCRIPTION_MAX]
    return advance(s, with_draft(s.context, draft), *notes)


def on_question(s: Snapshot, m: Inbound) -> Outcome:
    draft, notes = absorb(s, m, s.draft)
    context = with_draft(s.context, draft)
    if not m.text and (m.media or m.location):
        return ask(s, "question", context, *notes)
    question = _current_question(s, draft)
    if question is None:
        # Staff changed the questions while the citizen answered them: this message
        # answers whatever step is missing now (the one its prompt asked for).
        return STATES[missing_step(s, draft)](s, m)
    index = draft.get("question_index", 0)
    try:
        value = cq.parse_answer(question, m.text, s.locale)
    except cq.InvalidAnswer as exc:
        return Outcome([exc.reprompt], "question", context, miss=True)
    if value is not None:
        draft["answers"] = {**draft.get("answers", {}), question["code"]: value}
    draft["question_index"] = index + 1
    return advance(s, with_draft(s.context, draft), *notes)


def on_location(s: Snapshot, m: Inbound) -> Outcome:
    draft, notes = absorb(s, m, s.draft)
    if m.location is not None:
        return advance(s, with_draft(s.context, draft), *notes)
    coordinates = typed_coordinates(m.text)
    if coordinates is not None:
        if not in_service_area(s, *coordinates):
            return ask(s, "location", with_draft(s.context, draft), t("outside_area", s.locale))
        draft.update(lat=coordinates[0], lon=coordinates[1], address=None)
        return advance(s, with_draft(s.context, draft), *notes)
    if len(m.text.strip()) >= 3 and any(ch.isalpha() for ch in m.text):
        draft["address"] = m.text.strip()[:500]
        return advance(s, with_draft(s.context, draft), *notes)
    if m.media:
        return ask(s, "location", with_draft(s.context, draft), *notes)
    return miss(s, "location", with_draft(s.context, draft))


def on_photo(s: Snapshot, m: Inbound) -> Outcome:
    draft, notes = absorb(s, m, s.draft)
    if m.media or m.location is not None:
        if m.location is not None and not notes:
            notes.append(t("location_kept", s.locale))
        return advance(s, with_draft(s.context, draft), *notes)
    if kw.is_skip(m.text):
        draft["photos_done"] = True
        return advance(s, with_draft(s.context, draft))
    return miss(s, "photo", with_draft(s.context, draft))


def on_confirm(s: Snapshot, m: Inbound) -> Outcome:
    draft = s.draft
    if kw.is_yes(m.text):
        if s.nearby:
            nearest = s.nearby[0]
            draft["duplicate"] = {
                "id": nearest.id,
                "number": nearest.number,
                "distance_m": nearest.distance_m,
                "age_days": max(0, (s.now - nearest.created_at).days),
            }
            return ask(s, "duplicate_offer", with_draft(s.context, draft))
        return Outcome([], "menu", with_draft(s.context, None), effects=[CreateTicket(draft)])
    if kw.is_no(m.text):
        return ask(s, "menu", with_draft(s.context, None), t("dropped", s.locale))
    if m.media or m.location is not None:
        draft, notes = absorb(s, m, draft)
        return ask(s, "confirm", with_draft(s.context, draft), *notes)
    return miss(s, "confirm", s.context)


def on_duplicate_offer(s: Snapshot, m: Inbound) -> Outcome:
    draft = s.draft
    choice = kw.choice_number(m.text)
    if choice == 1:
        effect = FollowTicket(ticket_id=draft["duplicate"]["id"])
        return Outcome([], "menu", with_draft(s.context, None), effects=[effect])
    if choice == 2:
        draft.pop("duplicate", None)
        return Outcome([], "menu", with_draft(s.context, None), effects=[CreateTicket(draft)])
    return miss(s, "duplicate_offer", s.context)


def on_erase_confirm(s: Snapshot, m: Inbound) -> Outcome:
    if kw.is_yes(m.text):
        return Outcome([t("erased", s.locale)], "start", {}, effects=[Erase()])
    if not s.registered:
        return Outcome([t("erase_kept", s.locale)], "start", s.context)
    return ask(s, "menu", s.context, t("erase_kept", s.locale))


STATES: dict[str, Handler] = {
    "start": on_start,
    "consent": on_consent,
    "name": on_name,
    "menu": on_menu,
    "category": on_category,
    "description": on_description,
    "question": on_question,
    "location": on_location,
    "photo": on_photo,
    "confirm": on_confirm,
    "duplicate_offer": on_duplicate_offer,
    "erase_confirm": on_erase_confirm,
}

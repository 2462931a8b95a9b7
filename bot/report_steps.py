"""The steps of a report, one pure handler each: category (chosen, guessed and
confirmed, or which of two), description, the category's questions, location
(a pin, typed coordinates, an address looked up or placed by its district), photos,
the summary and the offer of an open ticket nearby.

Whatever arrives early is kept (`absorb`): a pin or photos sent before they were
asked for fill the draft, and their steps are skipped.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta

from bot import answers
from bot.asking import advance, ask, miss, with_draft
from bot.category_match import match_categories
from bot.inbound import Inbound
from bot.keywords import choice_number
from bot.locations import in_service_area, typed_coordinates
from bot.outcomes import (
    AddToOwnTicket,
    CategoryChoice,
    CreateTicket,
    FollowTicket,
    LookUpAddress,
    Outcome,
    Snapshot,
)
from bot.prompts import current_question, missing_step
from bot.questions import InvalidAnswer, parse_answer
from bot.texts import t
from core.conversations.draft import PHOTO_LIMIT, AddressLookup, Draft, DuplicateOffer
from core.places import approximate_area
from core.tickets.opening import DESCRIPTION_MAX, DESCRIPTION_MIN

MAX_ADDRESS = 500
# A lookup the geocoder has not answered in this long (the task was lost, Redis is
# down) no longer holds the citizen up: the address is kept as typed.
LOOKUP_PATIENCE = timedelta(seconds=60)
# A sentence at the category step is also the description when it says more than a name.
DESCRIPTION_WORDS = 3

CONFIRM_YES = frozenset({"gonder", "gondere", "yolla", "send", "submit", "dogru", "correct"})
CONFIRM_NO = frozenset({"gonderme", "yollama", "dont", "don", "t", "not"})
FOLLOW_YES = frozenset({"takip", "et", "edeyim", "ederim", "follow", "ayni", "sorun", "ekle",
                        "add", "to", "o", "bu"})  # fmt: skip
FOLLOW_NO = frozenset({"yeni", "bildirim", "farkli", "baska", "new", "one", "different",
                       "another", "report"})  # fmt: skip

Handler = Callable[[Snapshot, Inbound], Outcome]


# --- what arrives early ------------------------------------------------------------------


def absorb(s: Snapshot, m: Inbound, draft: Draft) -> tuple[Draft, list[str]]:
    """Keep a pin or photos that arrived with `m`, whatever the step; returns notes."""
    notes: list[str] = []
    if m.location is not None:
        lat, lon = m.location
        if in_service_area(s.service_area, lat, lon):
            draft = draft.with_pin(lat, lon, m.location_label)
        else:
            notes.append(t("outside_area", s.locale))
    if m.media and m.message_id is not None:
        draft, taken = draft.with_photos(m.message_id, len(m.media))
        if taken < len(m.media):
            notes.append(t("too_many_photos", s.locale, limit=PHOTO_LIMIT))
    return draft, notes


def start_report(s: Snapshot, m: Inbound, draft: Draft | None = None, *notes: str) -> Outcome:
    draft, absorbed = absorb(s, m, replace(draft or Draft(), opened_by=m.message_id))
    if m.media and m.message_id is not None:
        absorbed.insert(0, t("photo_kept", s.locale))
    return advance(s, draft, *notes, *absorbed)


def report_from_text(s: Snapshot, m: Inbound) -> Outcome:
    """A complaint typed at the menu: its text is the description (when long enough),
    its words guess the category, which the citizen only confirms."""
    text = m.text.strip()
    draft = Draft()
    if len(text) >= DESCRIPTION_MIN:
        draft = replace(draft, description=text[:DESCRIPTION_MAX])
    named = match_categories(s.categories, text, numbers=False)
    if len(named) == 1:
        draft = replace(draft, category_guess=named[0].id)
    elif named:
        draft = replace(draft, category_choices=tuple(c.id for c in named))
    note = t("description_kept", s.locale) if draft.description and not named else ""
    return start_report(s, m, draft, note)


def looks_like_complaint(s: Snapshot, text: str) -> bool:
    """Long enough to describe a problem, or naming a category in a few words."""
    stripped = text.strip()
    if len(stripped) >= DESCRIPTION_MIN and len(stripped.split()) >= 2:
        return True
    return bool(stripped) and bool(match_categories(s.categories, stripped, numbers=False))


# --- category ----------------------------------------------------------------------------


def _with_category(draft: Draft, category: CategoryChoice) -> Draft:
    return replace(draft, category_id=category.id, category_guess=None, category_choices=())


def _categories_named(
    s: Snapshot, m: Inbound, draft: Draft, notes: list[str], among: tuple[CategoryChoice, ...]
) -> Outcome | None:
    """The category (or the ones to choose from) `m` names; None when it names none."""
    named = match_categories(among, m.text)
    if not named and among is not s.categories:
        named = match_categories(s.categories, m.text, numbers=False)
    if not named:
        return None
    if not draft.description:
        draft = _sentence_as_description(draft, m.text)
    if len(named) == 1:
        return advance(s, _with_category(draft, named[0]), *notes)
    draft = replace(draft, category_guess=None, category_choices=tuple(c.id for c in named))
    return advance(s, draft, *notes)


def _sentence_as_description(draft: Draft, text: str) -> Draft:
    stripped = text.strip()
    if len(stripped) >= DESCRIPTION_MIN and len(stripped.split()) >= DESCRIPTION_WORDS:
        return replace(draft, description=stripped[:DESCRIPTION_MAX])
    return draft


def _category_answer(
    s: Snapshot,
    m: Inbound,
    draft: Draft,
    notes: list[str],
    state: str,
    among: tuple[CategoryChoice, ...],
) -> Outcome:
    """The category `m` names; `state`'s question again when it names none (or is
    only a pin or a photo, which are kept)."""
    if not m.text and (m.media or m.location):
        return ask(s, state, with_draft(s.context, draft), *notes)
    named = _categories_named(s, m, draft, notes, among)
    return named or miss(s, state, with_draft(s.context, draft))


def on_category(s: Snapshot, m: Inbound) -> Outcome:
    draft, notes = absorb(s, m, s.draft)
    return _category_answer(s, m, draft, notes, "category", s.categories)


def on_category_confirm(s: Snapshot, m: Inbound) -> Outcome:
    draft, notes = absorb(s, m, s.draft)
    guess = s.category(draft.category_guess)
    if guess is None:
        return on_category(s, m)
    answer = answers.yes_no(m.text)
    if answer is True:
        return advance(s, _with_category(draft, guess), *notes)
    if answer is False:
        return ask(s, "category", with_draft(s.context, replace(draft, category_guess=None)))
    return _category_answer(s, m, draft, notes, "category_confirm", s.categories)


def on_category_choice(s: Snapshot, m: Inbound) -> Outcome:
    draft, notes = absorb(s, m, s.draft)
    among = tuple(c for c in (s.category(i) for i in draft.category_choices) if c is not None)
    if not among:
        return on_category(s, m)
    return _category_answer(s, m, draft, notes, "category_choice", among)


# --- description and questions -----------------------------------------------------------


def on_description(s: Snapshot, m: Inbound) -> Outcome:
    draft, notes = absorb(s, m, s.draft)
    context = with_draft(s.context, draft)
    if not m.text and (m.media or m.location):
        return ask(s, "description", context, *notes)
    if len(m.text.strip()) < DESCRIPTION_MIN:
        return miss(s, "description", context, t("description_short", s.locale))
    return advance(s, replace(draft, description=m.text.strip()[:DESCRIPTION_MAX]), *notes)


def on_question(s: Snapshot, m: Inbound) -> Outcome:
    draft, notes = absorb(s, m, s.draft)
    context = with_draft(s.context, draft)
    if not m.text and (m.media or m.location):
        return ask(s, "question", context, *notes)
    question = current_question(s, draft)
    if question is None:
        # Staff changed the questions while the citizen answered them: this message
        # answers whatever step is missing now (the one its prompt asked for).
        return REPORT_STEPS[missing_step(s, draft)](s, m)
    try:
        value = parse_answer(question, m.text, s.locale, zone=s.city_timezone)
    except InvalidAnswer as exc:
        return Outcome([exc.reprompt], "question", context, miss=True)
    found = dict(draft.answers)
    if value is not None:
        found[question["code"]] = value
    draft = replace(draft, answers=found, question_index=draft.question_index + 1)
    return advance(s, draft, *notes)


# --- location ----------------------------------------------------------------------------


def _looks_like_address(text: str) -> bool:
    return len(text.strip()) >= 3 and any(ch.isalpha() for ch in text)


def _typed_point(s: Snapshot, m: Inbound, draft: Draft, state: str) -> Outcome | None:
    coordinates = typed_coordinates(m.text)
    if coordinates is None:
        return None
    if not in_service_area(s.service_area, *coordinates):
        return ask(s, state, with_draft(s.context, draft), t("outside_area", s.locale))
    return advance(s, draft.with_pin(*coordinates, None))


def _look_up(s: Snapshot, m: Inbound, draft: Draft, *notes: str) -> Outcome:
    """The typed address is kept; with a geocoder it is looked up after the reply,
    without one it is placed by the district it names."""
    address = m.text.strip()[:MAX_ADDRESS]
    draft = replace(draft, address=address, lat=None, lon=None, location_approximate=False)
    if not s.geocoder or m.message_id is None:
        draft, note = _settle_address(s, draft)
        return advance(s, draft, *notes, note)
    lookup = AddressLookup(message_id=m.message_id, started_at=s.now.isoformat())
    draft = replace(draft, lookup=lookup)
    return ask(
        s,
        "address_lookup",
        with_draft(s.context, draft),
        *notes,
        effects=[LookUpAddress(m.message_id)],
    )


def _settle_address(s: Snapshot, draft: Draft) -> tuple[Draft, str]:
    """The address as typed, with its district's centre as an approximate point when
    it names one; and what to tell the citizen."""
    draft = replace(draft, lookup=None)
    area = approximate_area(draft.address or "", s.service_area)
    if area is None:
        return draft, ""
    draft = replace(draft, lat=area.lat, lon=area.lon, location_approximate=True)
    return draft, t("address_approximate", s.locale, area=area.name)


def on_location(s: Snapshot, m: Inbound) -> Outcome:
    draft, notes = absorb(s, m, s.draft)
    if m.location is not None:
        return advance(s, draft, *notes)
    typed = _typed_point(s, m, draft, "location")
    if typed is not None:
        return typed
    if _looks_like_address(m.text):
        return _look_up(s, m, draft, *notes)
    if m.media:
        return ask(s, "location", with_draft(s.context, draft), *notes)
    return miss(s, "location", with_draft(s.context, draft))


def on_address_lookup(s: Snapshot, m: Inbound) -> Outcome:
    draft, notes = absorb(s, m, s.draft)
    lookup = draft.lookup
    if lookup is None:  # a pin settled it, or it was settled before this message
        if m.location is not None:
            return advance(s, draft, *notes)
        return REPORT_STEPS[missing_step(s, draft)](s, m)
    typed = _typed_point(s, m, draft, "address_lookup")
    if typed is not None:
        return typed
    answer = answers.yes_no(m.text)
    if answer is False:
        draft = replace(draft, address=None, lookup=None)
        return ask(s, "location", with_draft(s.context, draft), *notes)
    if answer is True and lookup.status == "found":
        found = replace(draft, lookup=None)
        return advance(s, found.with_pin(lookup.lat, lookup.lon, draft.address), *notes)  # type: ignore[arg-type]
    stale = lookup.status == "pending" and s.now - lookup.started >= LOOKUP_PATIENCE
    if (answer is True and lookup.status == "none") or stale:
        settled, note = _settle_address(s, draft)
        return advance(s, settled, *notes, note)
    if answer is None and _looks_like_address(m.text):
        return _look_up(s, m, draft, *notes)
    if answer is True or not m.text:
        return ask(s, "address_lookup", with_draft(s.context, draft), *notes)
    return miss(s, "address_lookup", with_draft(s.context, draft))


# --- photos, summary, the ticket nearby --------------------------------------------------


def on_photo(s: Snapshot, m: Inbound) -> Outcome:
    draft, notes = absorb(s, m, s.draft)
    if m.media or m.location is not None:
        if m.location is not None and not notes:
            notes.append(t("location_kept", s.locale))
        return advance(s, draft, *notes)
    if answers.photos_done(m.text):
        return advance(s, replace(draft, photos_done=True))
    return miss(s, "photo", with_draft(s.context, draft))


def on_confirm(s: Snapshot, m: Inbound) -> Outcome:
    draft = s.draft
    answer = answers.yes_no(m.text, yes=CONFIRM_YES, no=CONFIRM_NO)
    if answer is True:
        if s.nearby:
            nearest = s.nearby[0]
            duplicate = DuplicateOffer(
                ticket_id=nearest.id,
                number=nearest.number,
                distance_m=nearest.distance_m,
                age_days=max(0, (s.now - nearest.created_at).days),
                own=nearest.own,
            )
            return ask(
                s, "duplicate_offer", with_draft(s.context, replace(draft, duplicate=duplicate))
            )
        return Outcome([], "menu", with_draft(s.context, None), effects=[CreateTicket(draft)])
    if answer is False:
        return ask(s, "menu", with_draft(s.context, None), t("dropped", s.locale))
    if m.media or m.location is not None:
        draft, notes = absorb(s, m, draft)
        return ask(s, "confirm", with_draft(s.context, draft), *notes)
    return miss(s, "confirm", s.context)


def on_duplicate_offer(s: Snapshot, m: Inbound) -> Outcome:
    draft = s.draft
    duplicate = draft.duplicate
    if duplicate is None:
        return on_confirm(s, m)
    report = replace(draft, duplicate=None)
    choice = choice_number(m.text)
    answer = answers.yes_no(m.text, yes=FOLLOW_YES, no=FOLLOW_NO)
    if choice == 1 or (choice is None and answer is True):
        effect: AddToOwnTicket | FollowTicket = (
            AddToOwnTicket(duplicate.ticket_id, report)
            if duplicate.own
            else FollowTicket(duplicate.ticket_id, report)
        )
        return Outcome([], "menu", with_draft(s.context, None), effects=[effect])
    if choice == 2 or (choice is None and answer is False):
        return Outcome([], "menu", with_draft(s.context, None), effects=[CreateTicket(report)])
    return miss(s, "duplicate_offer", s.context)


REPORT_STEPS: dict[str, Handler] = {
    "category": on_category,
    "category_confirm": on_category_confirm,
    "category_choice": on_category_choice,
    "description": on_description,
    "question": on_question,
    "location": on_location,
    "address_lookup": on_address_lookup,
    "photo": on_photo,
    "confirm": on_confirm,
    "duplicate_offer": on_duplicate_offer,
}

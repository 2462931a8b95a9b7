"""SMS is paid per segment: every reply fits three, in both languages (one Turkish
letter makes a segment 67 characters), and the steps that need WhatsApp (a pin, a
photo) say how to do it by text."""

from __future__ import annotations

import string
from datetime import timedelta

import pytest
from test_bot_conversation import NOW

from bot.engine import handle, reply_text
from bot.inbound import Inbound
from bot.outcomes import CategoryChoice, NearbyTicket, Snapshot
from bot.prompts import PROMPTS, prompt
from bot.texts import TEXTS, t
from core.messaging.segments import sms_segments
from core.messaging.texts import TEXTS as OUTBOUND_TEXTS
from core.messaging.texts import render
from core.tickets.seed_data import DEFAULT_CATEGORIES

LOCALES = ("tr", "en")
DEPTH = {
    "code": "depth", "text_tr": "Çukur kaç cm derin?", "text_en": "How deep is it (cm)?",
    "datatype": "number", "required": False, "order": 1,
}  # fmt: skip
SIZE = {
    "code": "size", "text_tr": "Çukur ne kadar büyük?", "text_en": "How big is the pothole?",
    "datatype": "singlevaluelist", "required": False, "order": 2,
    "values": [
        {"key": "s", "name_tr": "Küçük (bir ayak)", "name_en": "Small (a foot)"},
        {"key": "m", "name_tr": "Orta (bir tekerlek)", "name_en": "Medium (a wheel)"},
        {"key": "l", "name_tr": "Büyük (bir araba)", "name_en": "Large (a car)"},
    ],
}  # fmt: skip
CATEGORIES = tuple(
    CategoryChoice(i, d.code, d.name_tr, d.name_en, (DEPTH, SIZE) if i == 1 else (), d.words_tr)
    for i, d in enumerate(DEFAULT_CATEGORIES, start=1)
)
LONG = (
    "Şimdi şöyle anlatayım, bizim apartmanın önünde kocaman bir çukur var, yağmur yağınca "
    "su doluyor, arabalar geçerken üstümüze sıçratıyor, çocuklar okula giderken düşüyor. " * 4
)
REPORT = {
    "category_id": 1, "description": LONG[:2000], "question_index": 2,
    "answers": {"depth": 30, "size": "l"},
    "lat": 40.987, "lon": 29.062, "location_approximate": True,
    "address": "Kadıköy Caferağa Mahallesi Moda Caddesi No 25 önü, eczanenin karşısı",
    "media_count": 3, "photos_done": True,
}  # fmt: skip
LOOKUP = {"message_id": 3, "started_at": NOW.isoformat(), "lat": 40.98, "lon": 29.02,
          "label": "Moda Caddesi 25, Caferağa Mahallesi, Kadıköy"}  # fmt: skip
DRAFTS = {
    "category_confirm": {"category_guess": 4, "description": LONG[:200]},
    "category_choice": {"category_choices": [3, 5]},
    "description": {"category_id": 4},
    "question": {"category_id": 1, "description": LONG[:200], "question_index": 1},
    "address_lookup": {**REPORT, "lookup": {**LOOKUP, "status": "found"}},
    "photo": {**REPORT, "photos_done": False, "media_count": 1},
    "confirm": REPORT,
    "duplicate_offer": {**REPORT, "duplicate": {"ticket_id": 5, "number": 2147483647,
                                                 "distance_m": 49.6, "age_days": 365}},
}  # fmt: skip


def snapshot(state: str, locale: str, draft: dict | None = None) -> Snapshot:
    context: dict = {"profile_name": "Ayşegül Karaosmanoğlu-Yıldırım"}
    if draft is not None or state in DRAFTS:
        context["draft"] = draft if draft is not None else DRAFTS[state]
    return Snapshot(
        state=state, context=context, locale=locale, now=NOW, channel="sms",
        registered=state not in ("start", "consent", "name"), categories=CATEGORIES,
        retention_days=730, feedback_due=2147483647,
    )  # fmt: skip


def _values(template: str) -> dict[str, str]:
    """Long but realistic values for a text's fields."""
    names = {field for _, field, _, _ in string.Formatter().parse(template) if field}
    long = {
        "number": "2147483647", "category": "Atık Yönetimi", "choices": "1: Aydınlatma\n2: Parklar",
        "label": "Moda Caddesi 25, Caferağa Mahallesi", "area": "Caferağa, Kadıköy",
        "reason": "this category is no longer in use", "countries": "TR, CY",
        "profile": "Ayşegül Karaosmanoğlu", "name": " Ayşegül Karaosmanoğlu",
    }  # fmt: skip
    return {name: long.get(name, "1001") for name in names}


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("key", [k for k in TEXTS if not k.endswith("_sms")])
def test_every_catalogue_text_fits_three_segments(key: str, locale: str) -> None:
    text = t(key, locale, "sms", **_values(TEXTS[key][locale]))
    assert sms_segments(text) <= 3, (key, locale, len(text), text)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("kind", [k for k in OUTBOUND_TEXTS if k.startswith("address_")])
def test_the_address_lookup_messages_fit_three_segments(kind: str, locale: str) -> None:
    text = render(kind, locale, **_values(OUTBOUND_TEXTS[kind][locale]))
    assert sms_segments(text) <= 3, (kind, locale, text)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize("state", list(PROMPTS))
def test_every_prompt_fits_three_segments(state: str, locale: str) -> None:
    s = snapshot(state, locale)
    text = prompt(s, state, s.context)
    assert sms_segments(text) <= 3, (state, locale, len(text), text)


@pytest.mark.parametrize("locale", LOCALES)
def test_the_summary_shortens_the_description_to_fit(locale: str) -> None:
    s = snapshot("confirm", locale)
    summary = prompt(s, "confirm", s.context)
    assert sms_segments(summary) <= 3
    assert LONG[:15] in summary and "…" in summary
    assert "30" in summary  # the answers are shown too
    whatsapp = prompt(Snapshot(**{**s.__dict__, "channel": "whatsapp"}), "confirm", s.context)
    assert len(whatsapp) > len(summary)


@pytest.mark.parametrize("locale", LOCALES)
@pytest.mark.parametrize(
    ("state", "text", "draft"),
    [
        ("menu", "yardım", None),
        ("menu", "xyz", None),
        ("question", "çok", None),
        ("question", "YARDIM", None),
        ("confirm", "YARDIM", None),
        ("location", "Kadıköy Caferağa Mahallesi Moda Caddesi 25", {"category_id": 2,
                                                                  "description": LONG[:500]}),
    ],
)  # fmt: skip
def test_replies_with_notes_fit_three_segments(
    state: str, text: str, draft: dict | None, locale: str
) -> None:
    s = snapshot(state, locale, draft)
    s = Snapshot(**{**s.__dict__, "misses": 2})  # the third miss adds the help text
    m = Inbound(sid="SM1", address="+15551234567", channel="sms", text=text)
    outcome = handle(s, m)
    reply = reply_text([*outcome.replies, *outcome.closing], "sms")
    assert reply and sms_segments(reply) <= 3, (len(reply), reply)


def test_the_duplicate_offer_fits_with_the_longest_numbers() -> None:
    s = snapshot("confirm", "tr")
    nearby = (NearbyTicket(5, 2147483647, 49.6, NOW - timedelta(days=999), own=True),)
    outcome = handle(
        Snapshot(**{**s.__dict__, "nearby": nearby}),
        Inbound(sid="SM1", address="+15551234567", channel="sms", text="EVET"),
    )
    assert outcome.next_state == "duplicate_offer"
    assert sms_segments(reply_text(outcome.replies, "sms")) <= 3


@pytest.mark.parametrize("locale", LOCALES)
def test_sms_steps_that_need_whatsapp_say_how_to_do_it_by_text(locale: str) -> None:
    where = prompt(snapshot("location", locale, {"category_id": 3, "description": "x" * 20}),
                   "location", {"draft": {"category_id": 3, "description": "x" * 20}})  # fmt: skip
    photo = prompt(snapshot("photo", locale, {**REPORT, "photos_done": False, "media_count": 0}),
                   "photo", {"draft": {**REPORT, "photos_done": False, "media_count": 0}})  # fmt: skip
    share = {"tr": "Konum gönderin", "en": "Share a location"}[locale]
    assert share not in where and "41.0082, 28.9784" in where
    assert "MMS" in photo and "WhatsApp" in photo

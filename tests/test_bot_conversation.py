"""The conversation engine without HTTP or a database: a snapshot and a message in,
replies, next state and effects out. Table-driven, in Turkish and English."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.engine import handle, reply_text
from bot.inbound import Inbound, Media
from bot.outcomes import (
    AddComment,
    AttachMediaToTicket,
    CategoryChoice,
    CreateTicket,
    Erase,
    FollowTicket,
    GiveFeedback,
    NearbyTicket,
    Register,
    SetLocale,
    SetOptOut,
    ShowStatus,
    Snapshot,
)
from bot.prompts import prompt
from bot.report_steps import REPORT_STEPS
from bot.states import STATES
from bot.texts import MAX_REPLY, TEXTS
from core.conversations.draft import Draft
from core.messaging.segments import sms_segments

NOW = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
CATEGORIES = (
    CategoryChoice(11, "infrastructure", "Altyapı", "Infrastructure"),
    CategoryChoice(12, "traffic", "Trafik", "Traffic"),
    CategoryChoice(13, "lighting", "Aydınlatma", "Lighting"),
    CategoryChoice(14, "waste", "Atık Yönetimi", "Waste Management"),
)
DEPTH = {
    "code": "depth",
    "text_tr": "Çukur kaç cm derin?",
    "text_en": "How deep is it (cm)?",
    "datatype": "number",
    "required": False,
    "order": 1,
}
WITH_QUESTION = CategoryChoice(15, "potholes", "Çukur", "Pothole", (DEPTH,))
PHOTO = (Media("https://api.twilio.com/x/Media/ME1", "image/jpeg"),)
IN_CITY = (41.0082, 28.9784)
FULL_DRAFT = {
    "category_id": 13,
    "description": "Sokak lambası yanmıyor",
    "lat": IN_CITY[0],
    "lon": IN_CITY[1],
    "photos_done": True,
}


def snapshot(state: str = "menu", locale: str = "tr", **changes: Any) -> Snapshot:
    draft = changes.pop("draft", None)
    context = changes.pop("context", {})
    if draft is not None:
        context = {**context, "draft": draft}
    values: dict[str, Any] = {
        "state": state,
        "context": context,
        "locale": locale,
        "now": NOW,
        "registered": state not in ("start", "consent", "name"),
        "categories": (*CATEGORIES, WITH_QUESTION),
    }
    values.update(changes)
    return Snapshot(**values)


def inbound(text: str = "", **changes: Any) -> Inbound:
    values: dict[str, Any] = {
        "sid": "SM1",
        "address": "+905321234567",
        "channel": "whatsapp",
        "text": text,
        "message_id": 7,
        "profile_name": "Ayşe",
    }
    values.update(changes)
    return Inbound(**values)


@dataclass
class Case:
    state: str
    text: str
    next_state: str
    says: str | None = None  # a fragment of the reply; None: no check
    effects: list[Any] = field(default_factory=list)
    locale: str = "tr"
    snap: dict[str, Any] = field(default_factory=dict)
    message: dict[str, Any] = field(default_factory=dict)


CASES: dict[str, Case] = {
    # first contact, consent, name
    "tr first contact": Case("start", "merhaba", "consent", "KVKK"),
    "en first contact": Case("start", "hello", "consent", "Privacy", locale="en"),
    "tr consent yes": Case("consent", "EVET", "name", "1: Ayşe"),
    "en consent yes": Case("consent", "yes", "name", "1: Ayşe", locale="en"),
    "tr consent evet lower": Case("consent", "evet", "name"),
    "tr consent no": Case("consent", "hayır", "start", "kaydedilmedi"),
    "en consent no": Case("consent", "NO", "start", "nothing about you", locale="en"),
    "tr consent other": Case("consent", "ne?", "consent", "EVET"),
    "tr name from profile": Case(
        "name", "1", "menu", "Ayşe", [Register("Ayşe")], snap={"context": {"profile_name": "Ayşe"}}
    ),
    "tr name skipped": Case("name", "2", "menu", "Yeni bildirim", [Register(None)]),
    "en name typed": Case(
        "name", "Mehmet Yılmaz", "menu", "Mehmet", [Register("Mehmet Yılmaz")], locale="en"
    ),
    "tr name digits": Case("name", "12345", "name", "Anlayamadım"),
    # menu
    "tr menu new report": Case("menu", "1", "category", "3: Aydınlatma"),
    "en menu new report": Case("menu", "1", "category", "3: Lighting", locale="en"),
    "tr menu my reports": Case("menu", "2", "menu", None, [ShowStatus()]),
    "en menu help": Case("menu", "3", "menu", "Commands", locale="en"),
    "tr menu other": Case("menu", "xyz", "menu", "Anlayamadım"),
    "tr menu greeting": Case("menu", "selam", "menu", "Yeni bildirim"),
    "tr menu photo starts a report": Case(
        "menu", "", "category", "Fotoğrafınızı", message={"media": PHOTO}
    ),
    # report
    "tr category by name": Case("category", "aydinlatma", "description", "Aydınlatma:"),
    "tr category upper": Case("category", "AYDINLATMA", "description"),
    "tr category by number": Case("category", "3", "description", "Aydınlatma"),
    "en category by name": Case("category", "lighting", "description", "Lighting:", locale="en"),
    "en category prefix": Case("category", "waste", "description", locale="en"),
    "tr category unknown": Case("category", "99", "category", "Anlayamadım"),
    "tr description short": Case(
        "description", "çukur", "description", "en az 10", snap={"draft": {"category_id": 11}}
    ),
    "tr description ok": Case(
        "description",
        "Yolda büyük bir çukur var",
        "location",
        "Konum",
        snap={"draft": {"category_id": 11}},
    ),
    "en description asks question": Case(
        "description",
        "A deep pothole on the road",
        "question",
        "How deep",
        locale="en",
        snap={"draft": {"category_id": 15}},
    ),
    "tr question answered": Case(
        "question",
        "30 cm",
        "location",
        "Konum",
        snap={"draft": {"category_id": 15, "description": "Derin çukur var burada"}},
    ),
    "tr question skipped": Case(
        "question",
        "geç",
        "location",
        snap={"draft": {"category_id": 15, "description": "Derin çukur var burada"}},
    ),
    "tr question bad": Case(
        "question",
        "çok",
        "question",
        "sayı",
        snap={"draft": {"category_id": 15, "description": "Derin çukur var burada"}},
    ),
    "tr location pin": Case(
        "location",
        "",
        "photo",
        "Fotoğraf",
        message={"location": IN_CITY},
        snap={"draft": {"category_id": 11, "description": "Yolda büyük bir çukur"}},
    ),
    "en location typed coordinates": Case(
        "location",
        "41.0082, 28.9784",
        "photo",
        "photos",
        locale="en",
        snap={"draft": {"category_id": 11, "description": "Big pothole on the road"}},
    ),
    "tr location outside the city": Case(
        "location",
        "39.92, 32.85",
        "location",
        "hizmet alanımızın dışında",
        snap={"draft": {"category_id": 11, "description": "Yolda büyük bir çukur"}},
    ),
    "en pin outside the city": Case(
        "location",
        "",
        "location",
        "outside our service area",
        locale="en",
        message={"location": (39.92, 32.85)},
        snap={"draft": {"category_id": 11, "description": "Big pothole on the road"}},
    ),
    "tr location typed address": Case(
        "location",
        "Bağdat Caddesi 5, Kadıköy",
        "photo",
        snap={"draft": {"category_id": 11, "description": "Yolda büyük bir çukur"}},
    ),
    "tr photo received": Case(
        "photo",
        "",
        "photo",
        "(1/3)",
        message={"media": PHOTO},
        snap={"draft": {**FULL_DRAFT, "photos_done": False}},
    ),
    "tr photo skip": Case(
        "photo", "GEÇ", "confirm", "Özet", snap={"draft": {**FULL_DRAFT, "photos_done": False}}
    ),
    "en photo skip": Case(
        "photo",
        "skip",
        "confirm",
        "Summary",
        locale="en",
        snap={"draft": {**FULL_DRAFT, "photos_done": False}},
    ),
    "tr confirm yes": Case(
        "confirm",
        "EVET",
        "menu",
        None,
        [CreateTicket(Draft.from_json(FULL_DRAFT))],
        snap={"draft": FULL_DRAFT},
    ),
    "en confirm yes": Case(
        "confirm",
        "yes",
        "menu",
        None,
        [CreateTicket(Draft.from_json(FULL_DRAFT))],
        locale="en",
        snap={"draft": FULL_DRAFT},
    ),
    "tr confirm no": Case("confirm", "HAYIR", "menu", "gönderilmedi", snap={"draft": FULL_DRAFT}),
    "tr confirm other": Case("confirm", "belki", "confirm", "Özet", snap={"draft": FULL_DRAFT}),
    # duplicate offer
    "tr duplicate offered": Case(
        "confirm",
        "evet",
        "duplicate_offer",
        "#1001",
        snap={
            "draft": FULL_DRAFT,
            "nearby": (NearbyTicket(5, 1001, 40.2, NOW - timedelta(days=2)),),
        },
    ),
    "en duplicate offered": Case(
        "confirm",
        "yes",
        "duplicate_offer",
        "40 m away, reported 2 days ago",
        locale="en",
        snap={
            "draft": FULL_DRAFT,
            "nearby": (NearbyTicket(5, 1001, 40.2, NOW - timedelta(days=2)),),
        },
    ),
    "tr duplicate follow": Case(
        "duplicate_offer",
        "1",
        "menu",
        None,
        [FollowTicket(5)],
        snap={
            "draft": {
                **FULL_DRAFT,
                "duplicate": {"id": 5, "number": 1001, "distance_m": 40, "age_days": 2},
            }
        },
    ),
    "en duplicate file new": Case(
        "duplicate_offer",
        "2",
        "menu",
        None,
        [CreateTicket(Draft.from_json(FULL_DRAFT))],
        locale="en",
        snap={
            "draft": {
                **FULL_DRAFT,
                "duplicate": {"id": 5, "number": 1001, "distance_m": 40, "age_days": 2},
            }
        },
    ),
    # comments, photos and feedback on existing tickets
    "tr comment": Case(
        "menu", "#1234 çukur büyüdü", "menu", None, [AddComment(1234, "çukur büyüdü")]
    ),
    "en photo with caption": Case(
        "category",
        "#1234",
        "category",
        None,
        [AttachMediaToTicket(1234)],
        locale="en",
        message={"media": PHOTO},
    ),
    "tr rating": Case(
        "menu", "4", "menu", None, [GiveFeedback(1001, rating=4)], snap={"feedback_due": 1001}
    ),
    "tr not fixed": Case(
        "menu",
        "Düzelmedi",
        "menu",
        None,
        [GiveFeedback(1001, fixed=False)],
        snap={"reopenable": 1001},
    ),
    "en fixed": Case(
        "menu",
        "fixed",
        "menu",
        None,
        [GiveFeedback(1001, fixed=True)],
        locale="en",
        snap={"reopenable": 1001},
    ),
    # expiry, refusal, opt-out, erase
    "tr expired draft": Case(
        "description",
        "Yolda çukur var, büyük",
        "menu",
        "30 dakika",
        snap={"draft": {"category_id": 11}, "draft_expired": True, "timeout_minutes": 30},
    ),
    "en expired by the sweep": Case(
        "menu",
        "1",
        "menu",
        "dropped after 30 minutes",
        locale="en",
        snap={"context": {"expired": True}, "timeout_minutes": 30},
    ),
    "tr unknown country": Case(
        "start", "merhaba", "start", "yalnızca", snap={"country_allowed": False}
    ),
    "en opted out stays silent": Case(
        "menu", "hello", "menu", "", locale="en", snap={"opted_out": True}
    ),
    "tr opted out starts again": Case(
        "menu", "BAŞLA", "menu", "yeniden açık", [SetOptOut(False)], snap={"opted_out": True}
    ),
    "tr erase confirmed": Case("erase_confirm", "EVET", "start", "silindi", [Erase()]),
    "en erase declined": Case("erase_confirm", "no", "menu", "Nothing was erased", locale="en"),
}


@pytest.mark.parametrize("name", list(CASES))
def test_conversation_step(name: str) -> None:
    case = CASES[name]
    outcome = handle(
        snapshot(case.state, case.locale, **case.snap), inbound(case.text, **case.message)
    )
    assert outcome.next_state == case.next_state
    text = reply_text(outcome.replies)
    if case.says is not None:
        assert (case.says in text) if case.says else (text == ""), text
    assert [type(e) for e in outcome.effects] == [type(e) for e in case.effects]
    for got, expected in zip(outcome.effects, case.effects, strict=True):
        if isinstance(expected, CreateTicket):
            sent = got.draft.to_json()
            assert {k: sent[k] for k in expected.draft.to_json()} == expected.draft.to_json()
        elif isinstance(expected, FollowTicket):
            assert got.ticket_id == expected.ticket_id
        else:
            assert got == expected
    assert len(text) < MAX_REPLY


# --- keywords in every state -------------------------------------------------------------

REGISTERED_STATES = [
    s for s in STATES if s not in ("start", "consent", "name", "erase_confirm", "stop_confirm")
]
DRAFTS = {
    "category": {},
    "category_confirm": {"category_guess": 13, "description": "Sokak lambası yanmıyor"},
    "category_choice": {"category_choices": [12, 13]},
    "description": {"category_id": 11},
    "question": {"category_id": 15, "description": "Derin bir çukur var"},
    "location": {"category_id": 11, "description": "Derin bir çukur var"},
    "address_lookup": {
        "category_id": 11,
        "description": "Derin bir çukur var",
        "address": "Moda Caddesi 25",
        "lookup": {"message_id": 3, "started_at": NOW.isoformat(), "status": "pending"},
    },
    "photo": {**FULL_DRAFT, "photos_done": False},
    "confirm": FULL_DRAFT,
    "duplicate_offer": {
        **FULL_DRAFT,
        "duplicate": {"id": 5, "number": 1001, "distance_m": 4, "age_days": 0},
    },
}


REPORT_STATES = list(REPORT_STEPS)


def keyword_snapshot(state: str, locale: str) -> Snapshot:
    draft = DRAFTS.get(state)
    return snapshot(state, locale, draft=draft) if draft is not None else snapshot(state, locale)


@pytest.mark.parametrize("state", REGISTERED_STATES)
@pytest.mark.parametrize(
    ("word", "locale"), [("YARDIM", "tr"), ("yardım", "tr"), ("HELP", "en"), ("help", "tr")]
)
def test_help_keeps_the_step(state: str, word: str, locale: str) -> None:
    outcome = handle(keyword_snapshot(state, locale), inbound(word))
    assert outcome.next_state == state
    assert TEXTS["help"][locale][:20] in reply_text(outcome.replies)


@pytest.mark.parametrize("state", REGISTERED_STATES)
@pytest.mark.parametrize(
    ("word", "locale"), [("İPTAL", "tr"), ("iptal", "tr"), ("IPTAL", "tr"), ("Cancel", "en")]
)
def test_cancel_drops_the_draft(state: str, word: str, locale: str) -> None:
    outcome = handle(keyword_snapshot(state, locale), inbound(word))
    assert outcome.next_state == "menu"
    assert "draft" not in outcome.context
    expected = "cancelled" if state in DRAFTS else "nothing_to_cancel"
    assert TEXTS[expected][locale] in reply_text(outcome.replies)


@pytest.mark.parametrize("state", REGISTERED_STATES)
@pytest.mark.parametrize(
    ("word", "effect"),
    [
        ("DURUM", ShowStatus()),
        ("status", ShowStatus()),
        ("DURUM 1234", ShowStatus(1234)),
        ("status #1234", ShowStatus(1234)),
        ("DİL EN", SetLocale("en")),
        ("lang tr", SetLocale("tr")),
    ],
)
def test_keywords_in_every_state(state: str, word: str, effect: Any) -> None:
    outcome = handle(keyword_snapshot(state, "tr"), inbound(word))
    assert outcome.effects == [effect]
    assert outcome.next_state == state


@pytest.mark.parametrize("state", REGISTERED_STATES)
@pytest.mark.parametrize("word", ["DUR", "STOP", "stop"])
def test_stop_on_sms_is_immediate_in_every_state(state: str, word: str) -> None:
    # The carrier has already blocked the number: there is nobody to ask.
    outcome = handle(keyword_snapshot(state, "tr"), inbound(word, channel="sms"))
    assert outcome.effects == [SetOptOut(True)]
    assert outcome.next_state == state
    assert outcome.context["opted_out"] is True
    assert "BAŞLA" in reply_text(outcome.replies)


@pytest.mark.parametrize("state", REPORT_STATES)
@pytest.mark.parametrize(("word", "locale"), [("DUR", "tr"), ("dur", "tr"), ("STOP", "en")])
def test_stop_in_a_whatsapp_report_asks_first_and_says_how_to_start_again(
    state: str, word: str, locale: str
) -> None:
    s = keyword_snapshot(state, locale)
    outcome = handle(s, inbound(word))
    assert outcome.effects == []
    assert outcome.next_state == "stop_confirm"
    assert outcome.context["draft"] == s.context["draft"]
    assert ("BAŞLA" if locale == "tr" else "START") in reply_text(outcome.replies)

    paused = replace(s, state="stop_confirm", context=outcome.context)
    stopped = handle(paused, inbound("evet" if locale == "tr" else "yes"))
    assert stopped.effects == [SetOptOut(True)]
    assert stopped.next_state == state and stopped.context["draft"] == s.context["draft"]
    again = handle(paused, inbound(word))
    assert again.effects == [SetOptOut(True)] and again.next_state == state

    resumed = handle(paused, inbound("hayır" if locale == "tr" else "no"))
    assert resumed.effects == [] and resumed.next_state == state
    assert "paused_state" not in resumed.context
    assert prompt(s, state, s.context) in reply_text(resumed.replies)


def test_an_answer_after_the_stop_question_goes_on_with_the_report() -> None:
    s = keyword_snapshot("description", "tr")
    paused = replace(s, state="stop_confirm", context=handle(s, inbound("DUR")).context)
    outcome = handle(paused, inbound("Lamba direği eğilmiş, düşecek"))
    assert outcome.effects == []
    assert outcome.context["draft"]["description"] == "Lamba direği eğilmiş, düşecek"
    assert outcome.next_state == "location"


@pytest.mark.parametrize("word", ["DUR", "STOP"])
def test_stop_outside_a_report_is_immediate_on_whatsapp(word: str) -> None:
    outcome = handle(snapshot("menu", "tr"), inbound(word))
    assert outcome.effects == [SetOptOut(True)]
    assert outcome.next_state == "menu"


@pytest.mark.parametrize("state", REGISTERED_STATES)
@pytest.mark.parametrize("word", ["SİL", "sil", "DELETE"])
def test_delete_asks_first(state: str, word: str) -> None:
    outcome = handle(keyword_snapshot(state, "tr"), inbound(word))
    assert outcome.next_state == "erase_confirm"
    assert outcome.effects == []
    assert "EVET / HAYIR" in reply_text(outcome.replies)


def test_language_switch_answers_in_the_new_language() -> None:
    outcome = handle(snapshot("menu", "tr"), inbound("DİL EN"))
    assert outcome.locale == "en"
    assert "New report" in reply_text(outcome.replies)


@pytest.mark.parametrize("word", ["YARDIM", "HELP", "DUR"])
def test_keywords_before_registration(word: str) -> None:
    outcome = handle(snapshot("consent", "tr"), inbound(word))
    assert outcome.next_state == "consent"
    assert reply_text(outcome.replies)


# --- never a dead end ------------------------------------------------------------------------


def test_third_miss_brings_the_help_text() -> None:
    first = handle(snapshot("menu", "tr"), inbound("xyz"))
    assert first.misses == 1 and "Anlayamadım" in reply_text(first.replies)
    third = handle(snapshot("menu", "tr", misses=2), inbound("xyz"))
    assert third.misses == 0
    assert "Komutlar" in reply_text(third.replies)
    assert len(reply_text(third.replies)) < MAX_REPLY


def test_a_fitting_answer_resets_misses() -> None:
    outcome = handle(snapshot("menu", "tr", misses=2), inbound("1"))
    assert outcome.misses == 0


# --- whatever arrives early is kept -------------------------------------------------------------


def test_photo_and_pin_before_they_are_asked() -> None:
    s = snapshot("description", "tr", draft={"category_id": 11})
    with_photo = handle(s, inbound("", media=PHOTO))
    assert with_photo.next_state == "description"
    draft = with_photo.context["draft"]
    assert draft["media"] == [{"message_id": 7, "take": 1}] and draft["media_count"] == 1
    s = snapshot("description", "tr", draft=draft)
    with_pin = handle(s, inbound("", location=IN_CITY))
    s = snapshot("description", "tr", draft=with_pin.context["draft"])
    described = handle(s, inbound("Lamba yanmıyor iki gündür"))
    # Location is known already: straight to the photo step, which counts the early one.
    assert described.next_state == "photo"
    assert "(1/3)" in reply_text(described.replies)


def test_at_most_three_photos() -> None:
    s = snapshot("photo", "en", draft={**FULL_DRAFT, "photos_done": False, "media_count": 2})
    outcome = handle(s, inbound("", media=PHOTO * 2))
    assert outcome.context["draft"]["media_count"] == 3
    assert outcome.next_state == "confirm"
    assert "up to 3 photos" in reply_text(outcome.replies)


def test_every_catalog_text_fits_one_reply() -> None:
    for key, texts in TEXTS.items():
        for locale, text in texts.items():
            assert len(text) < MAX_REPLY - 40, (key, locale)


def test_reply_text_drops_notes_before_the_question() -> None:
    long_note = "x" * 315
    assert reply_text([long_note, "Question?"]) == "Question?"


def test_help_on_first_contact_still_shows_the_privacy_notice() -> None:
    outcome = handle(snapshot("start", "tr"), inbound("YARDIM"))
    text = reply_text(outcome.replies)
    assert outcome.next_state == "consent"
    # Help and the notice do not fit one reply: the notice (and its question) wins.
    assert "KVKK" in text and len(text) < MAX_REPLY


ALL_STATES = [*REGISTERED_STATES, "start", "consent", "name", "erase_confirm", "stop_confirm"]


def paused_in(state: str, locale: str) -> Snapshot:
    """`state`'s snapshot, or for stop_confirm a description step paused by DUR."""
    if state != "stop_confirm":
        return keyword_snapshot(state, locale)
    s = keyword_snapshot("description", locale)
    return replace(s, state=state, context={**s.context, "paused_state": "description"})


@settings(max_examples=400, deadline=None)
@given(
    state=st.sampled_from(ALL_STATES),
    locale=st.sampled_from(["tr", "en"]),
    channel=st.sampled_from(["whatsapp", "sms"]),
    text=st.text(max_size=1600),
    with_photo=st.booleans(),
    location=st.one_of(st.none(), st.tuples(st.floats(-90, 90), st.floats(-180, 180))),
    misses=st.integers(0, 2),
)
def test_any_input_in_any_state_gets_a_short_reply(
    state, locale, channel, text, with_photo, location, misses
) -> None:
    s = replace(paused_in(state, locale), misses=misses)
    m = inbound(text, channel=channel, media=PHOTO if with_photo else (), location=location)
    outcome = handle(s, m)
    assert outcome.next_state in STATES
    assert 0 <= outcome.misses < 3
    reply = reply_text([*outcome.replies, *outcome.closing], channel)
    assert len(reply) <= MAX_REPLY
    assert channel == "whatsapp" or sms_segments(reply) <= 3


# Staff edit a category's questions (or stop using the category) while a citizen is
# answering them: the draft points past the questions that are left.
QUESTION_GONE = {"category_id": 15, "description": "Yolda derin bir çukur var", "question_index": 0}
WITHOUT_QUESTION = replace(WITH_QUESTION, questions=())


@pytest.mark.parametrize(
    ("categories", "answer", "state", "expected"),
    [
        # The question was removed: the answer goes to the step now missing.
        ((*CATEGORIES, WITHOUT_QUESTION), "41.0082, 28.9784", "photo", "fotoğraf"),
        ((*CATEGORIES, WITHOUT_QUESTION), "30", "location", "konum"),
        # The category was retired: choose another.
        (CATEGORIES, "30 cm", "category", "Aydınlatma"),
    ],
)
def test_an_answer_to_a_question_that_is_gone_moves_on(categories, answer, state, expected):
    outcome = handle(
        snapshot("question", draft=QUESTION_GONE, categories=categories), inbound(answer)
    )

    assert outcome.next_state == state
    assert expected.lower() in reply_text(outcome.replies).lower()


def test_help_on_a_question_that_is_gone_asks_what_is_missing() -> None:
    s = snapshot("question", draft=QUESTION_GONE, categories=(*CATEGORIES, WITHOUT_QUESTION))

    outcome = handle(s, inbound("YARDIM"))

    assert "konum" in reply_text(outcome.replies).lower()

"""The everyday words citizens use for each category: kept by managers through the
categories API, shipped with the six defaults, and how the bot finds a category by
them (a word that fits two categories asks which of the two)."""

from __future__ import annotations

import pytest
from bot_support import Phone
from sqlalchemy import select
from test_bot_conversation import NOW

from bot.category_match import match_categories
from bot.engine import handle, reply_text
from bot.inbound import Inbound
from bot.outcomes import CategoryChoice, Snapshot
from core.models import Category, Conversation
from core.tickets.category_words import InvalidWords, validate_words
from core.tickets.seed_data import DEFAULT_CATEGORIES, seed_defaults

URL = "/api/v1/categories"
DEFAULTS = tuple(
    CategoryChoice(i, d.code, d.name_tr, d.name_en, (), d.words_tr, d.words_en)
    for i, d in enumerate(DEFAULT_CATEGORIES, start=1)
)


def codes(categories) -> list[str]:
    return [c.code for c in categories]


# --- the lists ------------------------------------------------------------------------------


def test_the_six_defaults_ship_with_words_in_both_languages(seeded) -> None:
    for category in seeded.scalars(select(Category)):
        words = category.everyday_words
        assert words is not None and words["tr"] and words["en"], category.code
        assert validate_words(words) == words


def test_a_reseed_fills_lists_never_set_and_keeps_a_managers_edits(db) -> None:
    seed_defaults(db)
    lighting = db.scalar(select(Category).where(Category.code == "lighting"))
    waste = db.scalar(select(Category).where(Category.code == "waste"))
    lighting.everyday_words = None  # a database from before the words
    waste.everyday_words = {"tr": [], "en": ["skip"]}
    db.flush()
    seed_defaults(db)
    assert "lamba" in lighting.everyday_words["tr"]
    assert waste.everyday_words == {"tr": [], "en": ["skip"]}


def test_words_are_cleaned_and_each_kept_once() -> None:
    assert validate_words({"tr": ["  sokak   lambası ", "Lamba", "lamba"]}) == {
        "tr": ["sokak lambası", "Lamba"],
        "en": [],
    }


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        (["lamba"], "_schema"),
        ({"de": ["Lampe"]}, "de"),
        ({"tr": "lamba"}, "tr"),
        ({"tr": ["lamba", 3]}, "tr"),
        ({"tr": ["   "]}, "tr"),
        ({"en": ["123"]}, "en"),
        ({"en": ["x" * 61]}, "en"),
        ({"en": ["lamp\x00"]}, "en"),
        ({"tr": ["a"] * 101}, "tr"),
    ],
)
def test_bad_word_lists_name_the_language(raw, where: str) -> None:
    with pytest.raises(InvalidWords) as caught:
        validate_words(raw)
    assert where in caught.value.errors


def test_managers_keep_the_words_through_the_api(client, seeded, make_user, bearer) -> None:
    manager = bearer(make_user("manager"))
    created = client.post(
        URL,
        json={
            "code": "animals",
            "name_tr": "Hayvanlar",
            "name_en": "Animals",
            "everyday_words": {"tr": ["sokak köpeği", "kedi"], "en": ["stray dog"]},
        },
        headers=manager,
    )
    assert created.status_code == 201, created.json
    assert created.json["everyday_words"] == {"tr": ["sokak köpeği", "kedi"], "en": ["stray dog"]}
    url = f"{URL}/{created.json['id']}"
    changed = client.patch(url, json={"everyday_words": {"tr": ["köpek"]}}, headers=manager)
    assert changed.status_code == 200
    assert changed.json["everyday_words"] == {"tr": ["köpek"], "en": []}
    citizen = bearer(make_user("citizen"))
    assert client.get(url, headers=citizen).json["everyday_words"]["tr"] == ["köpek"]
    bare = client.post(URL, json={"code": "misc", "name_tr": "x", "name_en": "y"}, headers=manager)
    assert bare.json["everyday_words"] == {"tr": [], "en": []}


@pytest.mark.parametrize(
    "words", [["köpek"], {"tr": "köpek"}, {"fr": ["chien"]}, {"tr": [None]}, "köpek"]
)
def test_bad_words_through_the_api_are_422_and_change_nothing(
    client, seeded, make_user, bearer, words
) -> None:
    manager = bearer(make_user("manager"))
    lighting = seeded.scalar(select(Category).where(Category.code == "lighting"))
    before = dict(lighting.everyday_words)
    response = client.patch(f"{URL}/{lighting.id}", json={"everyday_words": words}, headers=manager)
    assert response.status_code == 422
    assert "everyday_words" in response.json["errors"]["json"]
    seeded.refresh(lighting)
    assert lighting.everyday_words == before


def test_only_managers_change_the_words(client, seeded, make_user, bearer) -> None:
    lighting = seeded.scalar(select(Category).where(Category.code == "lighting"))
    response = client.patch(
        f"{URL}/{lighting.id}",
        json={"everyday_words": {"tr": ["x"]}},
        headers=bearer(make_user("support")),
    )
    assert response.status_code == 403


# --- finding a category by them -------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("lamba", ["lighting"]),
        ("sokak lambasi", ["lighting"]),
        ("karanlık", ["lighting"]),
        ("çöp", ["waste"]),
        ("çöpler", ["waste"]),
        ("konteyner", ["waste"]),
        ("çukur", ["infrastructure"]),
        ("asfalt", ["infrastructure"]),
        ("kaldırım", ["infrastructure"]),
        ("direği eğilmiş", ["traffic", "lighting"]),  # direk, softened before a vowel
        ("elektrik direği", ["lighting"]),
        ("trafik lambası bozuk", ["traffic"]),  # the longer match covers "lamba"
        ("the traffic light is out", ["traffic"]),
        ("bins", ["waste"]),
        ("aydnlatma", ["lighting"]),  # one typo in a long word
        ("3", ["lighting"]),
        ("üç", ["lighting"]),
        ("9", []),
        ("direk", ["traffic", "lighting"]),
        ("parktaki lamba yanmıyor", ["lighting", "parks"]),
        ("sokak köpekleri", []),
    ],
)
def test_categories_are_found_by_their_everyday_words(text: str, expected: list[str]) -> None:
    assert codes(match_categories(DEFAULTS, text)) == expected


def test_a_word_that_fits_two_categories_asks_which_of_the_two() -> None:
    s = Snapshot(
        state="category", context={"draft": {}}, locale="tr", now=NOW, registered=True,
        categories=DEFAULTS,
    )  # fmt: skip
    m = Inbound(sid="SM1", address="+905321234567", channel="whatsapp", text="direk")
    asked = handle(s, m)
    assert asked.next_state == "category_choice" and not asked.miss
    assert reply_text(asked.replies).splitlines()[1:] == ["1: Trafik", "2: Aydınlatma"]
    chose = handle(
        Snapshot(**{**s.__dict__, "state": asked.next_state, "context": asked.context}),
        Inbound(sid="SM2", address="+905321234567", channel="whatsapp", text="2"),
    )
    assert chose.context["draft"]["category_id"] == 3 and chose.next_state == "description"


def test_words_a_manager_adds_are_used_at_once(client, settings, seeded, make_user, bearer) -> None:
    manager = bearer(make_user("manager"))
    other = seeded.scalar(select(Category).where(Category.code == "other"))
    client.patch(
        f"{URL}/{other.id}", json={"everyday_words": {"tr": ["köpek"], "en": []}}, headers=manager
    )
    phone = Phone(client, settings)
    phone.register()
    phone.send("1")
    reply = phone.send("köpek")
    assert "Diğer: sorunu kısaca anlatın" in reply
    conversation = seeded.scalars(select(Conversation)).one()
    assert conversation.context["draft"]["category_id"] == other.id

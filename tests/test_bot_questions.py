"""A category's questions in the chat: asked as one message, answers read as people
write them, dates in the city's time zone, and one set of skip words (where a list of
choices has the word, the choice wins)."""

from __future__ import annotations

import pytest
from test_bot_conversation import NOW
from test_category_questions import LAMP_VALUES, question

from bot.engine import handle
from bot.inbound import Inbound
from bot.outcomes import CategoryChoice, Snapshot
from bot.questions import InvalidAnswer, parse_answer, render_question
from core.tickets.questions import validate_definitions

ISTANBUL = "Europe/Istanbul"


YES_NO = [
    {"key": "yes", "name_tr": "Evet", "name_en": "Yes"},
    {"key": "no", "name_tr": "Hayır", "name_en": "No"},
]
THERE_OR_NOT = [
    {"key": "there", "name_tr": "Var", "name_en": "There is"},
    {"key": "none", "name_tr": "Yok", "name_en": "There isn't"},
]


@pytest.fixture
def questions() -> dict[str, dict]:
    cleaned = validate_definitions(
        [
            question("depth", "number"),
            question("faults", "multivaluelist", values=LAMP_VALUES),
            question("kind", "singlevaluelist", required=True, values=LAMP_VALUES),
            question("seen", "datetime"),
            question("pole", "string"),
            question("notes", "text"),
            question("danger", "singlevaluelist", values=YES_NO),
            question("water", "singlevaluelist", values=THERE_OR_NOT),
            question("parts", "multivaluelist", values=YES_NO),
        ]
    )
    return {q["code"]: q for q in cleaned}


def test_list_question_renders_numbered_choices_and_skip_hint(questions) -> None:
    assert render_question(questions["faults"], "tr") == (
        "faults soru\n1: Lamba\n2: Kırık direk\n3: Açık kablo\n"
        "(Birden fazla seçebilirsiniz, ör. 1,3)\nAtlamak için GEÇ yazın."
    )
    rendered = render_question(questions["kind"], "en")
    assert rendered.splitlines()[:2] == ["kind question", "1: Lamp"]
    assert "skip" not in rendered.lower()  # required: no way out offered


def test_the_example_of_several_choices_uses_numbers_in_the_list(questions) -> None:
    # Two choices: "1,3" would name one that does not exist.
    assert "ör. 1,2)" in render_question(questions["parts"], "tr")
    with pytest.raises(InvalidAnswer) as caught:
        parse_answer(questions["parts"], "1,5", "tr", zone=ISTANBUL)
    assert "ör. 1,2" in caught.value.reprompt and "1,3" not in caught.value.reprompt


@pytest.mark.parametrize(
    ("code", "text", "value"),
    [
        ("depth", "30", 30),
        ("depth", "12,5", 12.5),
        ("depth", "30 cm", 30),
        ("depth", "-2.0", -2.0),
        ("depth", "yaklaşık 30", 30),
        ("depth", "20 cm kadar", 20),
        ("depth", "~15cm", 15),
        ("depth", "about 10", 10),
        ("kind", "2", "pole"),
        ("kind", "2.", "pole"),
        ("kind", "KIRIK DİREK", "pole"),
        ("kind", "kirik direk", "pole"),
        ("kind", "Bare cable", "cable"),
        ("kind", "Lamba.", "lamp"),
        ("kind", "sanırım lamba", "lamp"),
        ("faults", "1,3", ["lamp", "cable"]),
        ("faults", "3 1 3", ["cable", "lamp"]),
        ("faults", "1 ve 3", ["lamp", "cable"]),
        ("faults", "lamba ve açık kablo", ["lamp", "cable"]),
        ("faults", "Kırık direk", ["pole"]),
        ("faults", "hepsi", ["lamp", "pole", "cable"]),
        ("faults", "all of them", ["lamp", "pole", "cable"]),
        ("seen", "24.11.2026 14:30", "2026-11-24T14:30:00+03:00"),
        ("seen", "24/11/2026", "2026-11-24T00:00:00+03:00"),
        ("seen", "2026-11-24T10:00:00Z", "2026-11-24T10:00:00+00:00"),
        ("pole", "  A-12 \n B ", "A-12 B"),
        ("notes", "line one\nline two", "line one\nline two"),
        ("depth", "geç", None),
        ("depth", "atla", None),
        ("depth", "yok", None),
        ("depth", "bilmiyorum", None),
        ("pole", "GEC", None),
        ("notes", "Skip", None),
        # The choices win over the skip words.
        ("danger", "Hayır", "no"),
        ("danger", "no", "no"),
        ("water", "yok", "none"),
        ("danger", "geç", None),
        ("water", "atla", None),
    ],
)
def test_chat_answers_become_typed_values(questions, code, text, value) -> None:
    assert parse_answer(questions[code], text, "tr", zone=ISTANBUL) == value


@pytest.mark.parametrize(
    ("code", "text", "says"),
    [
        ("depth", "derin", "sayı"),
        ("depth", "9" * 400, "sayı"),
        ("depth", "9" * 400 + " cm", "sayı"),
        ("depth", "", "cevap"),
        ("kind", "geç", "zorunlu"),
        ("kind", "atla", "zorunlu"),
        ("kind", "7", "1-3"),
        ("kind", "starfish", "1-3"),
        ("kind", "²", "1-3"),
        ("kind", "99999999999999999999", "1-3"),
        ("kind", "lamba mı açık kablo mu", "1-3"),
        ("faults", "1,9", "virgül"),
        ("seen", "yarın", "24.11.2026"),
        ("seen", "31.02.2026", "24.11.2026"),
        ("pole", "x" * 201, "200"),
    ],
)
def test_answers_that_do_not_fit_are_reprompted_with_the_question(
    questions, code, text, says
) -> None:
    with pytest.raises(InvalidAnswer) as caught:
        parse_answer(questions[code], text, "tr", zone=ISTANBUL)
    assert says in caught.value.reprompt
    assert render_question(questions[code], "tr") in caught.value.reprompt


def test_reprompt_speaks_the_citizens_language(questions) -> None:
    with pytest.raises(InvalidAnswer) as caught:
        parse_answer(questions["depth"], "deep", "en", zone=ISTANBUL)
    assert caught.value.reprompt.startswith("That is not a number")


@pytest.mark.parametrize(
    ("zone", "stored"),
    [
        ("Europe/Istanbul", "2026-11-24T14:30:00+03:00"),
        ("Europe/Berlin", "2026-11-24T14:30:00+01:00"),
        ("America/New_York", "2026-11-24T14:30:00-05:00"),
    ],
)
def test_a_date_answered_in_the_chat_is_read_in_the_citys_time_zone(
    questions, zone: str, stored: str
) -> None:
    # Through the engine, as a citizen answers it: the snapshot carries CITY_TIMEZONE.
    category = CategoryChoice(15, "lights", "Işık", "Lights", (questions["seen"],))
    s = Snapshot(
        state="question",
        context={"draft": {"category_id": 15, "description": "Lamba yanmıyor iki gündür"}},
        locale="tr",
        now=NOW,
        registered=True,
        categories=(category,),
        city_timezone=zone,
    )
    m = Inbound(sid="SM1", address="+905321234567", channel="whatsapp", text="24.11.2026 14:30")
    outcome = handle(s, m)
    assert outcome.context["draft"]["answers"] == {"seen": stored}

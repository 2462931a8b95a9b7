"""Category questions: definitions, API/Open311 attribute values, and the manager's
`/api/v1/categories/{id}/questions` (the chat's asking and reading: test_bot_questions.py)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.models import Category
from core.tickets.questions import (
    InvalidAttributes,
    InvalidQuestions,
    describe_answers,
    validate_attributes,
    validate_definitions,
)


def question(code: str, datatype: str, required: bool = False, **extra) -> dict:
    return {
        "code": code,
        "text_tr": f"{code} soru",
        "text_en": f"{code} question",
        "datatype": datatype,
        "required": required,
        **extra,
    }


LAMP_VALUES = [
    {"key": "lamp", "name_tr": "Lamba", "name_en": "Lamp"},
    {"key": "pole", "name_tr": "Kırık direk", "name_en": "Broken pole"},
    {"key": "cable", "name_tr": "Açık kablo", "name_en": "Bare cable"},
]


@pytest.fixture
def questions() -> list[dict]:
    return validate_definitions(
        [
            question("depth", "number"),
            question("faults", "multivaluelist", values=LAMP_VALUES),
            question("kind", "singlevaluelist", required=True, values=LAMP_VALUES),
            question("seen", "datetime"),
            question("pole", "string"),
            question("notes", "text"),
        ]
    )


# --- definitions ---------------------------------------------------------------------


def test_definitions_get_defaults_and_are_sorted_by_order() -> None:
    cleaned = validate_definitions(
        [
            {**question("b", "string"), "order": 5, "description_en": " Look at the pole "},
            {"code": "a", "text_tr": " Ne? ", "text_en": "What?", "datatype": "text"},
        ]
    )
    assert [q["code"] for q in cleaned] == ["a", "b"]
    assert cleaned[0] == {
        "code": "a",
        "text_tr": "Ne?",
        "text_en": "What?",
        "datatype": "text",
        "required": False,
        "order": 2,
    }
    assert cleaned[1]["description_en"] == "Look at the pole"


@pytest.mark.parametrize(
    ("raw", "where", "field"),
    [
        ("not a list", "_schema", "_schema"),
        ([question("a", "string")] * 21, "_schema", "_schema"),
        (["text"], 0, "_schema"),
        ([question("Bad Code", "string")], 0, "code"),
        ([question("attr[x]", "string")], 0, "code"),
        ([question("a", "colour")], 0, "datatype"),
        ([{**question("a", "string"), "text_en": ""}], 0, "text_en"),
        ([{**question("a", "string"), "text_tr": "x" * 301}], 0, "text_tr"),
        ([question("a", "string", required="yes")], 0, "required"),
        ([{**question("a", "string"), "order": 0}], 0, "order"),
        ([{**question("a", "string"), "order": True}], 0, "order"),
        ([question("a", "singlevaluelist")], 0, "values"),
        ([question("a", "multivaluelist", values=[])], 0, "values"),
        ([question("a", "string", values=LAMP_VALUES)], 0, "values"),
        ([question("a", "singlevaluelist", values=[LAMP_VALUES[0], LAMP_VALUES[0]])], 0, "values"),
        (
            [
                question(
                    "a", "singlevaluelist", values=[{"key": "a b", "name_tr": "x", "name_en": "y"}]
                )
            ],
            0,
            "values",
        ),
        ([question("a", "singlevaluelist", values=[{"key": "a", "name_tr": "x"}])], 0, "values"),
        ([{**question("a", "string"), "colour": "red"}], 0, "colour"),
        ([question("a", "string"), question("a", "number")], 1, "code"),
        (
            [{**question("a", "string"), "order": 1}, {**question("b", "string"), "order": 1}],
            1,
            "order",
        ),
    ],
)
def test_bad_definitions_name_the_question_and_field(raw, where, field) -> None:
    with pytest.raises(InvalidQuestions) as caught:
        validate_definitions(raw)
    errors = caught.value.errors
    assert where in errors
    assert field == "_schema" if where == "_schema" else field in errors[where]


# --- API and Open311 values ------------------------------------------------------------


def test_attribute_values_are_typed_and_unknown_codes_dropped(questions) -> None:
    assert validate_attributes(
        questions,
        {
            "depth": "7",
            "faults": "lamp,cable",
            "kind": ["pole"],
            "seen": "2026-11-24T10:00:00Z",
            "pole": " P  7 ",
            "notes": "",
            "other": "x",
        },
    ) == {
        "depth": 7,
        "faults": ["lamp", "cable"],
        "kind": "pole",
        "seen": "2026-11-24T10:00:00+00:00",
        "pole": "P 7",
    }
    assert validate_attributes(questions, {"kind": "lamp", "depth": 2.5})["depth"] == 2.5


def test_attribute_problems_name_each_code(questions) -> None:
    with pytest.raises(InvalidAttributes) as caught:
        validate_attributes(
            questions,
            {
                "depth": "1e9999",
                "faults": ["lamp", "fire"],
                "seen": "2026-11-24",
                "pole": ["a", "b"],
            },
        )
    assert set(caught.value.errors) == {"depth", "faults", "kind", "seen", "pole"}
    assert caught.value.errors["kind"] == "required"
    assert "attribute[faults]" in str(caught.value)
    with pytest.raises(InvalidAttributes):
        validate_attributes(questions, {"kind": "lamp", "depth": True})


@pytest.mark.parametrize("depth", ["9" * 400, "-" + "9" * 400, "9" * 400 + ".5"])
def test_a_number_too_long_for_a_float_is_not_a_number(questions, depth) -> None:
    # float() reads it as infinity, which jsonb cannot store.
    with pytest.raises(InvalidAttributes) as caught:
        validate_attributes(questions, {"kind": "lamp", "depth": depth})
    assert caught.value.errors == {"depth": "a number expected"}


def test_answers_read_back_in_words(questions) -> None:
    assert describe_answers(
        questions, {"kind": "pole", "faults": ["lamp", "cable"], "depth": 4}, "en"
    ) == [
        ("depth question", "4"),
        ("faults question", "Lamp, Bare cable"),
        ("kind question", "Broken pole"),
    ]


# --- the manager's endpoint ----------------------------------------------------------------


def url(db, code: str = "lighting") -> str:
    category = db.scalar(select(Category).where(Category.code == code))
    return f"/api/v1/categories/{category.id}/questions"


def test_manager_replaces_questions_and_everyone_signed_in_reads_them(
    client, seeded, make_user, bearer
) -> None:
    payload = {
        "questions": [
            question("pole", "string"),
            question("kind", "singlevaluelist", values=LAMP_VALUES),
        ]
    }
    response = client.put(url(seeded), json=payload, headers=bearer(make_user("manager")))
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert [q["code"] for q in body["questions"]] == ["pole", "kind"]
    assert body["code"] == "lighting"
    read = client.get(url(seeded), headers=bearer(make_user("citizen")))
    assert read.status_code == 200 and read.get_json() == body
    stored = seeded.scalar(select(Category).where(Category.code == "lighting"))
    seeded.refresh(stored)
    assert stored.questions[1]["values"][1]["name_en"] == "Broken pole"
    cleared = client.put(url(seeded), json={"questions": []}, headers=bearer(make_user("manager")))
    assert cleared.get_json()["questions"] == []


def test_invalid_questions_are_422_with_the_place_of_each_problem(
    client, seeded, make_user, bearer
) -> None:
    manager = bearer(make_user("manager"))
    duplicate = {"questions": [question("a", "string"), question("a", "number")]}
    response = client.put(url(seeded), json=duplicate, headers=manager)
    assert response.status_code == 422
    assert "code" in response.get_json()["errors"]["json"]["questions"]["1"]
    no_values = client.put(
        url(seeded), json={"questions": [question("a", "singlevaluelist")]}, headers=manager
    )
    assert no_values.status_code == 422
    wrong_type = client.put(
        url(seeded), json={"questions": [{**question("a", "colour")}]}, headers=manager
    )
    assert wrong_type.status_code == 422
    assert client.put(url(seeded), json={}, headers=manager).status_code == 422
    stored = seeded.scalar(select(Category).where(Category.code == "lighting"))
    assert stored.questions == []


def test_only_managers_change_questions(client, seeded, make_user, bearer) -> None:
    payload = {"questions": [question("pole", "string")]}
    assert (
        client.put(url(seeded), json=payload, headers=bearer(make_user("support"))).status_code
        == 403
    )
    assert client.put(url(seeded), json=payload).status_code == 401
    assert client.get(url(seeded)).status_code == 401
    for category_id in ("999999", "74746387437648314368"):
        missing = client.get(
            f"/api/v1/categories/{category_id}/questions", headers=bearer(make_user("manager"))
        )
        assert missing.status_code == 404


def test_questions_endpoints_are_in_the_openapi_document(client) -> None:
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    operations = paths["/api/v1/categories/{category_id}/questions"]
    assert {"get", "put"} <= set(operations)
    assert operations["put"]["security"]


def test_ticket_detail_shows_the_answers_in_words(
    client, db, seeded, make_ticket, make_user, bearer, questions
) -> None:
    from sqlalchemy import select

    from core.models import Category

    category = db.scalar(select(Category).where(Category.code == "lighting"))
    category.questions = questions
    reporter = make_user("citizen", locale="en")
    ticket = make_ticket(reporter, category="lighting")
    ticket.attributes = {"kind": "pole", "depth": 4}
    db.flush()

    detail = client.get(f"/api/v1/tickets/{ticket.id}", headers=bearer(reporter)).json
    assert detail["attributes"] == {"kind": "pole", "depth": 4}
    assert detail["answers"] == [
        {"question": "depth question", "answer": "4"},
        {"question": "kind question", "answer": "Broken pole"},
    ]

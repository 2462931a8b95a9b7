"""A category's questions edited in the console (added, edited, moved, removed) are
the ones the bot then asks; a form core's validation refuses is a 4xx page and
leaves the questions as they were."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from core.models import Category, Ticket
from tests.bot_support import Phone
from tests.console_support import console_sign_in, post_form

IN_CITY = (41.0082, 28.9784)


@pytest.fixture
def as_manager(client, make_user, seeded):
    manager = make_user("manager", name="Mert Yönetici")
    assert console_sign_in(client, manager.phone).status_code == 302
    return client


@pytest.fixture
def lighting(seeded) -> Category:
    return seeded.scalars(select(Category).where(Category.code == "lighting")).one()


def page_of(category: Category) -> str:
    return f"/console/admin/categories/{category.id}/questions"


def add(client, category: Category, code: str, **fields: str):
    form = {"text_tr": f"{code} soru", "text_en": f"{code} question", "datatype": "string"}
    return post_form(client, page_of(category), page_of(category), code=code, **{**form, **fields})


def test_the_bot_asks_the_question_as_the_manager_edited_it(
    as_manager, client, settings, lighting, db
) -> None:
    added = add(as_manager, lighting, "poles", text_tr="Kaç direk?", text_en="How many poles?",
                datatype="number", required="on")  # fmt: skip
    assert added.status_code == 302
    edited = post_form(as_manager, page_of(lighting), f"{page_of(lighting)}/poles",
                       text_tr="Kaç direk yanmıyor?", text_en="How many poles are out?",
                       datatype="number", required="on")  # fmt: skip
    assert edited.status_code == 302
    html = as_manager.get(edited.location).get_data(as_text=True)
    assert "Soru kaydedildi." in html and 'value="Kaç direk yanmıyor?"' in html

    phone = Phone(client, settings)
    phone.register()
    phone.send("1")
    phone.send("aydinlatma")
    assert "Kaç direk yanmıyor?" in phone.send("Sokak lambaları yanmıyor")
    assert "Konum" in phone.send("3")
    phone.pin(*IN_CITY)
    phone.send("geç")
    phone.send("EVET")
    assert db.scalars(select(Ticket)).one().attributes == {"poles": 3}


def test_questions_are_reordered_and_removed(as_manager, lighting, db) -> None:
    values = "lamp | Lamba | Lamp\npole | Kırık direk | Broken pole"
    add(as_manager, lighting, "since")
    add(as_manager, lighting, "fault", datatype="singlevaluelist", values=values)
    moved = post_form(as_manager, page_of(lighting), f"{page_of(lighting)}/fault/move",
                      direction="up")  # fmt: skip
    assert moved.status_code == 302
    db.refresh(lighting)
    assert [(q["code"], q["order"]) for q in lighting.questions] == [("fault", 1), ("since", 2)]
    assert lighting.questions[0]["values"][1] == {
        "key": "pole", "name_tr": "Kırık direk", "name_en": "Broken pole",
    }  # fmt: skip
    post_form(as_manager, page_of(lighting), f"{page_of(lighting)}/fault/remove")
    db.refresh(lighting)
    assert [q["code"] for q in lighting.questions] == ["since"]
    assert 'data-question="since"' in as_manager.get(page_of(lighting)).get_data(as_text=True)


@pytest.mark.parametrize(
    ("fields", "status", "says"),
    [
        ({"code": "Bad Code"}, 422, "lowercase letters"),
        ({"text_en": "  "}, 422, "required text"),
        ({"datatype": "colour"}, 422, "one of: string"),
        ({"datatype": "singlevaluelist"}, 422, "needs at least one value"),
        ({"datatype": "singlevaluelist", "values": "lamp | Lamba"}, 422, "key | Türkçe | English"),
        ({"datatype": "number", "values": "a | b | c"}, 422, "only list datatypes"),
        ({"code": "since"}, 409, "already asks"),
    ],
)
def test_bad_questions_are_refused_and_nothing_changes(
    as_manager, lighting, db, fields, status, says
) -> None:
    add(as_manager, lighting, "since")
    answer = add(as_manager, lighting, fields.pop("code", "depth"), **fields)
    assert answer.status_code == status
    assert says in answer.get_data(as_text=True)
    db.refresh(lighting)
    assert [q["code"] for q in lighting.questions] == ["since"]


def test_a_bad_edit_keeps_the_question_and_an_unknown_one_is_a_404(as_manager, lighting, db):
    add(as_manager, lighting, "since", text_tr="Ne zamandan beri?")
    bad = post_form(as_manager, page_of(lighting), f"{page_of(lighting)}/since", text_tr="",
                    text_en="Since when?", datatype="string")  # fmt: skip
    assert bad.status_code == 422 and "since.text_tr" in bad.get_data(as_text=True)
    db.refresh(lighting)
    assert lighting.questions[0]["text_tr"] == "Ne zamandan beri?"
    for target in ("/nothing", "/nothing/move", "/nothing/remove"):
        assert post_form(as_manager, page_of(lighting), page_of(lighting) + target).status_code \
            == 404  # fmt: skip
    assert as_manager.get("/console/admin/categories/99999999/questions").status_code == 404


def test_support_is_refused_the_questions_editor(client, make_user, lighting, db) -> None:
    support = make_user("support", name="Selin Destek")
    console_sign_in(client, support.phone)
    assert client.get(page_of(lighting)).status_code == 403
    refused = post_form(client, "/console/saved-replies", page_of(lighting), code="x",
                        text_tr="a", text_en="b", datatype="string")  # fmt: skip
    assert refused.status_code == 403
    db.refresh(lighting)
    assert lighting.questions == []

"""A use case's refusal on a console page is said in the user's language: the rule's
code picks the catalogue's words, with the rule's values and the field's own name;
the API keeps core's English sentence and its status."""

from __future__ import annotations

import ast
import html
import json
from pathlib import Path

import pytest
from sqlalchemy import select

from console.i18n import CATALOG_DIR
from core.models import Category, Team
from tests.console_support import console_sign_in, post_form

ROOT = Path(__file__).resolve().parent.parent
# Core's use cases, and the console's own form checks, which refuse the same way.
SPEAKERS = ("core", "console")


def _refusal_classes(trees: list[ast.Module]) -> set[str]:
    """DomainError and every class derived from it, by name."""
    names, bases = {"DomainError"}, {}
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                bases[node.name] = {ast.unparse(base).split(".")[-1] for base in node.bases}
    while grown := {name for name, of in bases.items() if of & names} - names:
        names |= grown
    return names


def refusal_codes() -> set[str]:
    """Every `code="..."` a refusal raised in core/ (or console/) carries."""
    paths = [path for speaker in SPEAKERS for path in (ROOT / speaker).rglob("*.py")]
    trees = [ast.parse(path.read_text(encoding="utf-8")) for path in paths]
    refusals, codes = _refusal_classes(trees), set()
    for tree in trees:
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and ast.unparse(node.func).split(".")[-1] in refusals:
                for keyword in node.keywords:
                    if keyword.arg == "code" and isinstance(keyword.value, ast.Constant):
                        codes.add(keyword.value.value)
    return codes


def test_every_code_core_refuses_with_has_words_in_both_catalogues() -> None:
    codes = refusal_codes()
    assert {"transition_not_allowed", "escalation_pending", "comment_empty"} <= codes
    assert {"choose_from_list", "permission_missing"} <= codes
    for language in ("tr", "en"):
        words = json.loads((CATALOG_DIR / f"{language}.json").read_text(encoding="utf-8"))
        missing = sorted(code for code in codes if f"refusal.{code}" not in words)
        assert not missing, f"{language}.json lacks refusal.<code> for {missing}"


def team(db, code: str) -> Team:
    return db.scalar(select(Category).where(Category.code == code)).default_team


@pytest.fixture
def sign_in(client, make_user, seeded):
    """`sign_in(locale)`: a support user of the roads team, signed in to the console."""

    def signed_in(locale: str):
        user = make_user("support", name="Selin Destek", team=team(seeded, "infrastructure"),
                         locale=locale)  # fmt: skip
        assert console_sign_in(client, user.phone).status_code == 302
        return user

    return signed_in


def page_of(ticket) -> str:
    return f"/console/tickets/{ticket.id}"


def refusal_on(response) -> str:
    text = response.get_data(as_text=True)
    start = text.index('id="error-message">') + len('id="error-message">')
    return html.unescape(text[start : text.index("</p>", start)])


MOVE_TR = (
    "“Yeni” durumundaki bir kayıt “Çözüldü” durumuna alınamaz; "
    "alınabileceği durumlar: İşlemde, Kapandı."
)
MOVE_EN = "A ticket in “New” cannot move to “Resolved”; allowed: In progress, Closed."


@pytest.mark.parametrize(("locale", "words"), [("tr", MOVE_TR), ("en", MOVE_EN)])
def test_a_move_the_table_does_not_allow(client, sign_in, make_ticket, locale, words) -> None:
    sign_in(locale)
    ticket = make_ticket()
    response = post_form(client, page_of(ticket), page_of(ticket) + "/move", to="resolved")
    assert response.status_code == 409
    assert refusal_on(response) == words


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("tr", "Atanan: Bahçıvan Ali burada seçilen ekipte değil; ekipleri: "),
        ("en", "Assignee: Bahçıvan Ali is not in the team chosen here; their teams: "),
    ],
)
def test_assigning_someone_outside_the_team_named(
    client, sign_in, make_user, make_ticket, db, locale, words
) -> None:
    sign_in(locale)
    parks = team(db, "parks")
    gardener = make_user("support", name="Bahçıvan Ali", team=parks)
    ticket = make_ticket()
    response = post_form(
        client, page_of(ticket), page_of(ticket) + "/assign",
        team_id=str(ticket.team_id), assignee_id=str(gardener.id),
    )  # fmt: skip
    assert response.status_code == 422
    assert refusal_on(response) == f"{words}{parks.name} (#{parks.id})"


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("tr", "Bu kayıt için yönetici kararı bekleyen bir üst birim talebi zaten var."),
        ("en", "An escalation of this ticket is already waiting for a manager."),
    ],
)  # fmt: skip
def test_a_second_escalation_while_one_waits(client, sign_in, make_ticket, locale, words) -> None:
    # Said as it is: the pending escalation is asked about before the workflow, which
    # would only say that "escalated" cannot move to "escalated".
    sign_in(locale)
    ticket = make_ticket(status="in_progress")
    target = page_of(ticket) + "/escalate"
    assert post_form(client, page_of(ticket), target, reason="Bütçe gerekiyor").status_code == 302
    again = post_form(client, page_of(ticket), target, reason="Hâlâ bekliyoruz")
    assert again.status_code == 409
    assert refusal_on(again) == words


@pytest.mark.parametrize(
    ("locale", "words"),
    [
        ("tr", "Kaydı kapatmak için bir sonuç seçin: mükerrer, belediyenin işi değil"),
        ("en", "Closing a ticket needs a resolution: duplicate, not the city"),
    ],
)
def test_closing_without_a_resolution(client, sign_in, make_ticket, locale, words) -> None:
    sign_in(locale)
    ticket = make_ticket()
    response = post_form(client, page_of(ticket), page_of(ticket) + "/move", to="closed")
    assert response.status_code == 422
    assert refusal_on(response).startswith(words)


def test_the_field_is_named_in_the_users_language(client, sign_in, make_ticket) -> None:
    sign_in("tr")
    ticket = make_ticket(status="in_progress")
    response = post_form(client, page_of(ticket), page_of(ticket) + "/escalate", reason=" ")
    assert response.status_code == 422
    assert refusal_on(response) == "Gerekçe: birkaç kelimeyle nedenini yazın"


def test_a_code_the_catalogue_lacks_falls_back_to_cores_sentence(app) -> None:
    from console.refusals import refusal_text
    from core.errors import Conflict

    with app.test_request_context("/console/"):
        exc = Conflict("a rule with no words yet", field="mystery", code="no_such_rule_yet")
        assert refusal_text(exc) == "mystery: a rule with no words yet"


def test_the_api_keeps_the_english_sentence_and_status(client, make_user, make_ticket, bearer):
    ticket = make_ticket()
    response = client.post(
        f"/api/v1/tickets/{ticket.id}/transitions", json={"to": "resolved"},
        headers=bearer(make_user("support", locale="tr")),
    )  # fmt: skip
    assert response.status_code == 409
    message = "a new ticket cannot move to resolved; allowed: in_progress, closed"
    assert response.json["message"] == message
    assert response.json["errors"] == {"allowed": ["in_progress", "closed"]}

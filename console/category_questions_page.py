"""Administration, a category's questions: the follow-up questions the bot asks
after the description, added, edited, moved up or down and removed one at a time.

Each change rebuilds the whole list and hands it to core's validate_definitions,
the check behind the API's `PUT /categories/{id}/questions`; the list is stored
only when all of it passes, so a bad form leaves the category as it was. The
category row is locked for the change: two managers editing at once take turns
rather than one silently undoing the other.
"""

from __future__ import annotations

from typing import Any

from flask import abort, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from console.admin_forms import MAX_ID
from console.blueprint import bp
from console.errors import not_found_page
from console.manager_access import manager_page
from console.question_form import choices_text, question_from_form, refusal
from core.errors import Conflict
from core.models import Category
from core.tickets.questions import DATATYPES, InvalidQuestions, validate_definitions
from web.request_session import request_session

DONE = frozenset({"added", "saved", "moved", "removed"})


def _category(category_id: int, *, lock: bool = False) -> Category | None:
    if not 0 < category_id <= MAX_ID:
        return None
    return request_session().get(Category, category_id, with_for_update=lock)


def _store(category: Category, questions: list[dict[str, Any]], done: str) -> Response:
    """Validate the whole new list in its order (1, 2, ...) and keep it if it passes."""
    ordered = [{**question, "order": n} for n, question in enumerate(questions, start=1)]
    try:
        category.questions = validate_definitions(ordered)
    except InvalidQuestions as exc:
        raise refusal(exc, ordered) from None
    request_session().commit()
    return redirect(url_for("console.category_questions", category_id=category.id, done=done))


def _position(questions: list[dict[str, Any]], code: str) -> int | None:
    return next((n for n, q in enumerate(questions) if q["code"] == code), None)


def _locked_question(category_id: int, code: str) -> tuple[Category, list[dict[str, Any]], int]:
    """The locked category, a copy of its questions and where `code` is among them;
    the console's 404 page when there is no such category or question."""
    category = _category(category_id, lock=True)
    questions = list(category.questions or []) if category else []
    position = _position(questions, code)
    if category is None or position is None:
        abort(404)
    return category, questions, position


@bp.get("/admin/categories/<int:category_id>/questions")
@manager_page("category.manage")
def category_questions(category_id: int):
    category = _category(category_id)
    if category is None:
        return not_found_page()
    done = request.args.get("done", "")
    return render_template(
        "category_questions.html",
        category=category,
        questions=list(category.questions or []),
        datatypes=DATATYPES,
        choices_text=choices_text,
        done=done if done in DONE else "",
    )


@bp.post("/admin/categories/<int:category_id>/questions")
@manager_page("category.manage")
def category_question_add(category_id: int):
    category = _category(category_id, lock=True)
    if category is None:
        return not_found_page()
    questions = list(category.questions or [])
    code = request.form.get("code", "").strip()
    if _position(questions, code) is not None:
        raise Conflict(f"this category already asks a question with code {code!r}")
    return _store(category, [*questions, question_from_form(code)], "added")


@bp.post("/admin/categories/<int:category_id>/questions/<code>")
@manager_page("category.manage")
def category_question_update(category_id: int, code: str):
    """The code stays: answers already on tickets are stored under it."""
    category, questions, position = _locked_question(category_id, code)
    questions[position] = question_from_form(code)
    return _store(category, questions, "saved")


@bp.post("/admin/categories/<int:category_id>/questions/<code>/move")
@manager_page("category.manage")
def category_question_move(category_id: int, code: str):
    category, questions, position = _locked_question(category_id, code)
    other = position - 1 if request.form.get("direction") == "up" else position + 1
    if 0 <= other < len(questions):
        questions[position], questions[other] = questions[other], questions[position]
    return _store(category, questions, "moved")


@bp.post("/admin/categories/<int:category_id>/questions/<code>/remove")
@manager_page("category.manage")
def category_question_remove(category_id: int, code: str):
    """Answers already given stay on their tickets, as with the API."""
    category, questions, position = _locked_question(category_id, code)
    del questions[position]
    return _store(category, questions, "removed")

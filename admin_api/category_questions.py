"""`/api/v1/categories/{id}/questions`: the extra questions of a category.

The bot asks them after the description; Open311 publishes them as the service
definition. Anyone signed in reads them; managers replace them.
"""

from __future__ import annotations

from http import HTTPStatus
from typing import Any

from flask_smorest import abort

from admin_api.blueprint import ApiBlueprint
from admin_api.schemas.category_questions import CategoryQuestionsSchema, QuestionsUpdateSchema
from admin_api.security import require
from core.models import Category
from core.tickets.questions import InvalidQuestions, validate_definitions
from web.request_session import request_session

blp = ApiBlueprint(
    "category_questions",
    __name__,
    url_prefix="/api/v1/categories",
    description="A category's extra questions (Open311 service definition attributes).",
)


_MAX_ID = 2**63 - 1


def _category_or_404(category_id: int) -> Category:
    # Beyond bigint no row can exist; asking PostgreSQL would be an error, not a miss.
    category = request_session().get(Category, category_id) if category_id <= _MAX_ID else None
    if category is None:
        abort(404, message=f"no category #{category_id}")
    return category


def _document(category: Category) -> dict[str, Any]:
    return {"category_id": category.id, "code": category.code, "questions": category.questions}


@blp.route("/<int:category_id>/questions", methods=["GET"])
@require("category.read")
@blp.response(200, CategoryQuestionsSchema)
@blp.alt_response(404, response=HTTPStatus(404).name)
def get_questions(category_id: int) -> dict[str, Any]:
    """The category's questions, in the order they are asked."""
    return _document(_category_or_404(category_id))


@blp.route("/<int:category_id>/questions", methods=["PUT"])
@require("category.manage")
@blp.arguments(QuestionsUpdateSchema)
@blp.response(200, CategoryQuestionsSchema)
@blp.alt_response(404, response=HTTPStatus(404).name)
def put_questions(body: dict[str, Any], category_id: int) -> dict[str, Any]:
    """Replace the category's questions (an empty list removes them).

    Answers already stored on tickets are kept as they were given.
    """
    category = _category_or_404(category_id)
    try:
        questions = validate_definitions(body["questions"])
    except InvalidQuestions as exc:
        abort(422, message="invalid questions", errors={"json": {"questions": exc.errors}})
    category.questions = questions
    request_session().commit()
    return _document(category)

"""`/api/v1/categories`: what citizens can report, and where each kind goes.

Citizens see active categories; staff see all, with the default team and SLA.
Managers create and change them. A category that has tickets is never deleted,
only deactivated.
"""

from __future__ import annotations

from typing import Any

from flask.views import MethodView
from flask_smorest import abort
from sqlalchemy import select, tuple_
from sqlalchemy.orm import Session

from admin_api.blueprint import ApiBlueprint
from admin_api.pagination import PaginationArgs, page, typed_cursor
from admin_api.schemas.categories import (
    CategoryCreateSchema,
    CategoryPageSchema,
    CategoryPatchSchema,
    CategorySchema,
)
from admin_api.schemas.tickets import MAX_ID
from admin_api.security import require
from admin_api.ticket_access import calling_user
from admin_api.ticket_payloads import ref
from core.models import Category, Ticket, User
from core.tickets.category_words import InvalidWords, empty_words, validate_words
from core.tickets.changes import active_team
from core.tickets.questions import InvalidQuestions, validate_definitions
from web.request_session import request_session

blp = ApiBlueprint(
    "categories",
    __name__,
    url_prefix="/api/v1/categories",
    description="Kinds of problems citizens report, and the team each goes to.",
)


def category_payload(category: Category, viewer: User) -> dict[str, Any]:
    locale = viewer.locale
    data: dict[str, Any] = {
        "id": category.id,
        "code": category.code,
        "name": category.name(locale),
        "name_tr": category.name_tr,
        "name_en": category.name_en,
        "description": category.description_en if locale == "en" else category.description_tr,
        "description_tr": category.description_tr,
        "description_en": category.description_en,
        "is_active": category.is_active,
        "sort_order": category.sort_order,
        "questions": category.questions,
        "everyday_words": category.everyday_words or empty_words(),
    }
    if viewer.is_staff:
        data["default_team"] = ref(category.default_team)
        data["sla_hours"] = category.sla_hours
    return data


def _find(category_id: int, viewer: User) -> Category:
    category = request_session().get(Category, category_id) if category_id <= MAX_ID else None
    if category is None or (not category.is_active and not viewer.is_staff):
        abort(404, message="category not found")
    return category


def _apply(session: Session, category: Category, data: dict[str, Any]) -> None:
    """Copy validated fields onto `category`; team and questions checked here."""
    if "questions" in data:
        try:
            data["questions"] = validate_definitions(data["questions"])
        except InvalidQuestions as exc:
            abort(422, message="invalid questions", errors={"json": {"questions": exc.errors}})
    if "everyday_words" in data:
        try:
            data["everyday_words"] = validate_words(
                data["everyday_words"] if data["everyday_words"] is not None else {}
            )
        except InvalidWords as exc:
            abort(
                422,
                message="invalid everyday words",
                errors={"json": {"everyday_words": exc.errors}},
            )
    if data.get("default_team_id") is not None:
        category.default_team = active_team(session, data["default_team_id"], "default_team_id")
    elif "default_team_id" in data:
        category.default_team = None
    for field, value in data.items():
        if field != "default_team_id":
            setattr(category, field, value.strip() if isinstance(value, str) else value)


@blp.route("")
class Categories(MethodView):
    @require("category.read")
    @blp.arguments(PaginationArgs, location="query")
    @blp.response(200, CategoryPageSchema)
    def get(self, args: dict[str, Any]) -> dict[str, Any]:
        """Categories in display order (citizens: active ones only)"""
        viewer = calling_user()
        query = select(Category)
        if not viewer.is_staff:
            query = query.where(Category.is_active.is_(True))
        after = typed_cursor(args.get("cursor"), int, int)
        if after:
            query = query.where(tuple_(Category.sort_order, Category.id) > tuple_(*after))
        query = query.order_by(Category.sort_order, Category.id).limit(args["limit"] + 1)
        result = page(
            request_session().scalars(query).all(),
            args["limit"],
            key=lambda c: (c.sort_order, c.id),
        )
        result["data"] = [category_payload(c, viewer) for c in result["data"]]
        return result

    @require("category.manage")
    @blp.arguments(CategoryCreateSchema)
    @blp.response(201, CategorySchema)
    @blp.alt_response(409, description="The code is taken")
    def post(self, data: dict[str, Any]) -> dict[str, Any]:
        """Create a category (managers)"""
        session = request_session()
        if session.scalar(select(Category.id).where(Category.code == data["code"])):
            abort(409, message=f"a category with code {data['code']!r} exists")
        category = Category()
        _apply(session, category, data)
        session.add(category)
        session.commit()
        return category_payload(category, calling_user())


@blp.route("/<int:category_id>")
class CategoryById(MethodView):
    @require("category.read")
    @blp.response(200, CategorySchema)
    def get(self, category_id: int) -> dict[str, Any]:
        """One category"""
        viewer = calling_user()
        return category_payload(_find(category_id, viewer), viewer)

    @require("category.manage")
    @blp.arguments(CategoryPatchSchema)
    @blp.response(200, CategorySchema)
    def patch(self, data: dict[str, Any], category_id: int) -> dict[str, Any]:
        """Change a category; `is_active: false` retires it (managers)"""
        viewer = calling_user()
        session = request_session()
        category = _find(category_id, viewer)
        _apply(session, category, data)
        session.commit()
        return category_payload(category, viewer)

    @require("category.manage")
    @blp.response(204)
    @blp.alt_response(409, description="The category has tickets: deactivate it instead")
    def delete(self, category_id: int) -> None:
        """Delete a category nobody has used yet (managers)"""
        session = request_session()
        category = _find(category_id, calling_user())
        if session.scalar(select(Ticket.id).where(Ticket.category_id == category.id).limit(1)):
            abort(
                409, message="this category has tickets; deactivate it (is_active: false) instead"
            )
        session.delete(category)
        session.commit()

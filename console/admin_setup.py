"""Administration, set-up: the page with every section (staff, teams, categories,
saved replies, API keys), and the forms for categories (names in both languages,
SLA, active, the everyday words the bot matches) and API keys (scopes; the secret
shown once, on the page that answers the creation; revoke)."""

from __future__ import annotations

import re

from flask import current_app, render_template, request
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from console.admin_forms import form_id, form_int, form_text, form_words
from console.admin_people import back
from console.blueprint import bp
from console.choices import forget_choices
from console.errors import not_found_page
from console.manager_access import manager_page
from console.session import signed_in_user
from core.errors import Conflict, Refused
from core.models import ApiKey, Category, Team, User
from core.models.people import STAFF_ROLES
from core.people.api_keys import create_api_key, revoke_api_key
from core.people.permissions import SCOPE_PERMISSIONS
from core.tickets.category_words import InvalidWords, validate_words
from core.tickets.changes import active_team
from core.tickets.saved_replies import saved_replies
from web.request_session import request_session

DONE = frozenset({"user_added", "user_saved", "team_added", "team_saved", "category_added",
                  "category_saved", "key_revoked"})  # fmt: skip
CODE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")  # the categories API's


@bp.get("/admin")
@manager_page("user.manage")
def admin_page(new_key: tuple[ApiKey, str] | None = None) -> str:
    session = request_session()
    staff = session.scalars(
        select(User).where(User.role.in_(STAFF_ROLES)).options(selectinload(User.teams))
        .order_by(User.is_active.desc(), User.full_name)
    )  # fmt: skip
    return render_template(
        "admin.html",
        staff=staff.all(),
        teams=session.scalars(select(Team).order_by(Team.name)).all(),
        categories=session.scalars(
            select(Category).order_by(Category.sort_order, Category.id)
        ).all(),
        replies=saved_replies(session),
        keys=session.scalars(
            select(ApiKey).order_by(ApiKey.revoked_at.desc().nulls_first(), ApiKey.id.desc())
        ).all(),
        scopes=sorted(SCOPE_PERMISSIONS),
        roles=STAFF_ROLES,
        new_key=new_key,
        done=request.args.get("done", "") if request.args.get("done") in DONE else "",
    )


def _words() -> dict[str, list[str]]:
    try:
        return validate_words({"tr": form_words("words_tr"), "en": form_words("words_en")})
    except InvalidWords as exc:
        language, problems = next(iter(exc.errors.items()))
        raise Refused("; ".join(problems), field=f"words_{language}") from None


def _fill(category: Category) -> None:
    category.name_tr = form_text("name_tr", longest=80)
    category.name_en = form_text("name_en", longest=80)
    category.sla_hours = form_int("sla_hours", low=1, high=8760)
    category.everyday_words = _words()
    team_id = form_id("default_team_id")
    category.default_team = (
        active_team(request_session(), team_id, "default_team_id") if team_id else None
    )


@bp.post("/admin/categories")
@manager_page("category.manage")
def admin_category_add():
    code = request.form.get("code", "").strip()
    if not CODE.match(code):
        raise Refused(
            "2-40 of a-z, 0-9, _; starting with a letter", field="code",
            code="category_code_invalid",
        )  # fmt: skip
    session = request_session()
    if session.scalar(select(Category.id).where(Category.code == code)) is not None:
        raise Conflict(
            f"a category with code {code!r} exists",
            code="category_code_taken", params={"code": code},
        )  # fmt: skip
    category = Category(code=code, is_active=True)
    _fill(category)
    session.add(category)
    session.commit()
    forget_choices()
    return back("categories", "category_added")


@bp.post("/admin/categories/<int:category_id>")
@manager_page("category.manage")
def admin_category_update(category_id: int):
    category = request_session().get(Category, category_id) if category_id < 2**63 else None
    if category is None:
        return not_found_page()
    _fill(category)
    category.is_active = request.form.get("is_active") == "on"
    request_session().commit()
    forget_choices()
    return back("categories", "category_saved")


@bp.post("/admin/api-keys")
@manager_page("api_key.manage")
def admin_key_add() -> str:
    """The answer is the page itself with the secret on it: never in a URL, never
    again (the page is not cached: Cache-Control no-store)."""
    key, secret = create_api_key(
        request_session(), current_app.config["SOSOFT"], name=form_text("name", longest=120),
        scopes=request.form.getlist("scopes"), created_by=signed_in_user(),
    )  # fmt: skip
    request_session().commit()
    return admin_page(new_key=(key, secret))


@bp.post("/admin/api-keys/<int:key_id>/revoke")
@manager_page("api_key.manage")
def admin_key_revoke(key_id: int):
    key = request_session().get(ApiKey, key_id, with_for_update=True) if key_id < 2**63 else None
    if key is None:
        return not_found_page()
    revoke_api_key(key)
    request_session().commit()
    return back("api-keys", "key_revoked")

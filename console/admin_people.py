"""Administration, people: staff users (add, role, teams, deactivate) and teams,
through core.people.users as the users API does. The page itself is admin_page."""

from __future__ import annotations

from flask import current_app, redirect, request, url_for
from sqlalchemy import func, select

from console.admin_forms import form_ids, form_text
from console.blueprint import bp
from console.choices import forget_choices
from console.errors import not_found_page
from console.manager_access import manager_page
from core.errors import Conflict, Refused
from core.models import Team, User
from core.models.people import LOCALES, STAFF_ROLES
from core.people.phones import InvalidPhone, normalize_mobile
from core.people.refresh_tokens import revoke_user_tokens
from core.people.users import create_user, find_by_phone, teams_by_id, update_user
from web.request_session import request_session


def back(section: str, done: str):
    return redirect(url_for("console.admin_page", done=done) + f"#{section}")


@bp.post("/admin/users")
@manager_page("user.manage")
def admin_user_add():
    session, settings = request_session(), current_app.config["SOSOFT"]
    role = request.form.get("role", "")
    if role not in STAFF_ROLES:
        raise Refused("choose support or manager", field="role", code="staff_role_required")
    try:
        phone = normalize_mobile(request.form.get("phone_number", ""), settings.ALLOWED_COUNTRIES)
    except InvalidPhone as exc:
        raise Refused(str(exc), field="phone_number", code="phone_invalid") from None
    if find_by_phone(session, phone) is not None:
        raise Conflict(
            "someone has this number already; change their role or teams below",
            code="staff_phone_taken",
        )
    locale = request.form.get("locale", "")
    create_user(
        session, settings, phone=phone, full_name=form_text("full_name", longest=120),
        role=role, teams=teams_by_id(session, form_ids("team_ids")),
        locale=locale if locale in LOCALES else None,
    )  # fmt: skip
    session.commit()
    forget_choices()
    return back("users", "user_added")


@bp.post("/admin/users/<int:user_id>")
@manager_page("user.manage")
def admin_user_update(user_id: int):
    session = request_session()
    user = session.get(User, user_id, with_for_update=True) if user_id < 2**63 else None
    if user is None or not user.is_staff:
        return not_found_page()
    role = request.form.get("role", "")
    if role not in STAFF_ROLES:
        raise Refused("choose support or manager", field="role", code="staff_role_required")
    was_active = user.is_active
    is_active = request.form.get("is_active") == "on"
    update_user(
        session, user, {"role": role, "team_ids": form_ids("team_ids"), "is_active": is_active}
    )
    if was_active and not user.is_active:
        revoke_user_tokens(session, user)
    session.commit()
    forget_choices()
    return back("users", "user_saved")


def _team_name(team_id: int | None = None) -> str:
    name = form_text("name", longest=80)
    clash = select(Team.id).where(func.lower(Team.name) == name.lower(), Team.id != team_id)
    if request_session().scalar(clash) is not None:
        raise Conflict(
            f"a team named {name!r} already exists", code="team_name_taken", params={"name": name}
        )
    return name


@bp.post("/admin/teams")
@manager_page("team.manage")
def admin_team_add():
    request_session().add(Team(name=_team_name()))
    request_session().commit()
    forget_choices()
    return back("teams", "team_added")


@bp.post("/admin/teams/<int:team_id>")
@manager_page("team.manage")
def admin_team_update(team_id: int):
    team = request_session().get(Team, team_id) if team_id < 2**63 else None
    if team is None:
        return not_found_page()
    team.name = _team_name(team_id)
    team.is_active = request.form.get("is_active") == "on"
    request_session().commit()
    forget_choices()
    return back("teams", "team_saved")

"""`/api/v1/users`: your own profile, and staff management for managers.

Support may look staff up (to assign tickets); only managers see citizens, add
staff and change roles, teams and active flags.
"""

from __future__ import annotations

import re
from http import HTTPStatus
from typing import Any

from flask import current_app
from flask_smorest import abort
from sqlalchemy import Select, or_, select
from sqlalchemy.orm import selectinload

from admin_api.blueprint import ApiBlueprint
from admin_api.pagination import after_id, page
from admin_api.schemas.tickets import MAX_ID
from admin_api.schemas.users import (
    ProfileUpdateSchema,
    StaffCreateSchema,
    UserListArgs,
    UserPageSchema,
    UserSchema,
    UserUpdateSchema,
)
from admin_api.security import current_principal, require
from core.models import Team, User
from core.models.people import STAFF_ROLES
from core.people.phones import InvalidPhone, normalize_mobile
from core.people.refresh_tokens import revoke_user_tokens
from core.people.users import (
    clean_name,
    create_user,
    find_by_phone,
    teams_by_id,
    update_user,
)
from web.request_session import request_session

blp = ApiBlueprint(
    "users",
    __name__,
    url_prefix="/api/v1/users",
    description="Your profile; staff and citizens (managers), staff directory (support).",
)


def _field_error(field: str, message: str, status: int = 422) -> None:
    abort(status, message=message, errors={"json": {field: [message]}})


def _visible_users() -> Select[tuple[User]]:
    """Managers see everyone; support sees staff only."""
    query = select(User)
    if not current_principal().can("user.manage"):
        query = query.where(User.role.in_(STAFF_ROLES))
    return query


def _like(text: str) -> str:
    return "%" + re.sub(r"([\\%_])", r"\\\1", text) + "%"


def _search(query: Select[tuple[User]], text: str) -> Select[tuple[User]]:
    conditions = [User.full_name.ilike(_like(text))]
    digits = "".join(c for c in text if c.isdecimal())
    if len(digits) >= 3:
        # `0532 123` is how people write the number stored as `+90532123…`.
        conditions.append(User.phone.like(_like(digits.removeprefix("0"))))
    return query.where(or_(*conditions))


@blp.route("", methods=["GET"])
@require("user.read_staff")
@blp.arguments(UserListArgs, location="query")
@blp.response(200, UserPageSchema)
def list_users(args: dict[str, Any]) -> dict[str, Any]:
    """Users, oldest first; filter by role, team, active flag or text (name or phone)."""
    query = _visible_users()
    if "role" in args:
        query = query.where(User.role == args["role"])
    if "team_id" in args:
        query = query.where(User.teams.any(Team.id == args["team_id"]))
    if "is_active" in args:
        query = query.where(User.is_active.is_(args["is_active"]))
    if "q" in args:
        query = _search(query, args["q"])
    after = after_id(args["cursor"])
    if after is not None:
        query = query.where(User.id > after)
    query = query.options(selectinload(User.teams)).order_by(User.id).limit(args["limit"] + 1)
    rows = request_session().scalars(query).all()
    return page(rows, args["limit"], key=lambda user: (user.id,))


@blp.route("", methods=["POST"])
@require("user.manage")
@blp.arguments(StaffCreateSchema)
@blp.response(201, UserSchema)
@blp.alt_response(409, response=HTTPStatus(409).name)
def add_staff(body: dict[str, Any]) -> User:
    """Add a staff member by phone; they then sign in with a one-time code."""
    settings = current_app.config["SOSOFT"]
    session = request_session()
    try:
        phone = normalize_mobile(body["phone_number"], settings.ALLOWED_COUNTRIES)
    except InvalidPhone as exc:
        _field_error("phone_number", str(exc))
    existing = find_by_phone(session, phone)
    if existing is not None:
        message = f"user #{existing.id} has this number; change their role or team with PATCH"
        _field_error("phone_number", message, 409)
    user = create_user(
        session,
        settings,
        phone=phone,
        full_name=clean_name(body["full_name"]),
        role=body["role"],
        teams=teams_by_id(session, body["team_ids"]),
        locale=body["locale"],
    )
    session.commit()
    return user


@blp.route("/me", methods=["PATCH"])
@require("profile.update")
@blp.arguments(ProfileUpdateSchema)
@blp.response(200, UserSchema)
def update_me(body: dict[str, Any]) -> User:
    """Change your own name, language, and (staff) SLA alerts."""
    user = current_principal().user
    if user is None:
        abort(403, message="an API key has no user profile")
    if "sla_alerts" in body and not user.is_staff:
        _field_error("sla_alerts", "only staff receive SLA alerts")
    if "full_name" in body:
        user.full_name = clean_name(body["full_name"])
    if "locale" in body:
        user.locale = body["locale"]
    if "sla_alerts" in body:
        user.sla_alerts = body["sla_alerts"]
    request_session().commit()
    return user


def _visible_user_or_404(user_id: int, *, for_update: bool = False) -> User:
    user = None
    if user_id <= MAX_ID:
        query = _visible_users().where(User.id == user_id)
        if for_update:
            query = query.with_for_update(of=User)
        user = request_session().scalar(query)
    if user is None:
        abort(404, message=f"no user #{user_id}")
    return user


@blp.route("/<int:user_id>", methods=["GET"])
@require("user.read_staff")
@blp.response(200, UserSchema)
@blp.alt_response(404, response=HTTPStatus(404).name)
def get_user(user_id: int) -> User:
    """One user (support: staff only)."""
    return _visible_user_or_404(user_id)


@blp.route("/<int:user_id>", methods=["PATCH"])
@require("user.manage")
@blp.arguments(UserUpdateSchema)
@blp.response(200, UserSchema)
@blp.alt_response(404, response=HTTPStatus(404).name)
@blp.alt_response(409, response=HTTPStatus(409).name)
def update_user_view(body: dict[str, Any], user_id: int) -> User:
    """Change a user's name, role, team or active flag (never the last active manager)."""
    session = request_session()
    # Locked: two changes at once (one makes a citizen, the other sets a team) are
    # checked and applied one after the other, never each against the old row.
    user = _visible_user_or_404(user_id, for_update=True)
    was_active = user.is_active
    update_user(session, user, body)
    if was_active and not user.is_active:
        revoke_user_tokens(session, user)
    session.commit()
    return user

"""Users as the API shows them (shared: tickets, comments and others embed `UserSchema`)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from admin_api.pagination import PageSchema, PaginationArgs
from admin_api.schemas.tickets import Id, Text
from core.models.people import LOCALES, ROLES, STAFF_ROLES


class UserSchema(Schema):
    id = fields.Int(dump_only=True)
    phone = fields.Str(dump_only=True, allow_none=True, metadata={"description": "E.164"})
    full_name = fields.Str(allow_none=True)
    role = fields.Str(validate=validate.OneOf(ROLES))
    team_ids = fields.List(fields.Int(), metadata={"description": "The teams they work for"})
    locale = fields.Str(validate=validate.OneOf(LOCALES))
    is_active = fields.Bool()
    sla_alerts = fields.Bool()
    created_at = fields.DateTime(dump_only=True)
    last_login_at = fields.DateTime(dump_only=True, allow_none=True)


class UserPageSchema(PageSchema):
    data = fields.List(fields.Nested(UserSchema))


class UserListArgs(PaginationArgs):
    role = fields.Str(validate=validate.OneOf(ROLES))
    team_id = Id(metadata={"description": "Members of this team"})
    is_active = fields.Bool()
    q = Text(
        validate=validate.Length(min=1, max=120),
        metadata={"description": "Text in the name or the phone number"},
    )


_NAME = Text(validate=validate.Length(min=1, max=120))
# Staff cover a few crews at most; the bound keeps one request from naming thousands.
MAX_TEAMS = 50


def _team_ids(**kwargs: Any) -> fields.List:
    return fields.List(
        Id(strict=True),
        validate=validate.Length(max=MAX_TEAMS),
        metadata={"description": "Every team they work for (staff); [] for none"},
        **kwargs,
    )


class ProfileUpdateSchema(Schema):
    """What a user may change about themselves."""

    full_name = _NAME
    locale = fields.Str(validate=validate.OneOf(LOCALES))
    sla_alerts = fields.Bool(metadata={"description": "Staff only: receive SLA breach alerts"})


class UserUpdateSchema(Schema):
    """What a manager may change about a user."""

    full_name = _NAME
    role = fields.Str(validate=validate.OneOf(ROLES))
    team_ids = _team_ids()
    is_active = fields.Bool()


class StaffCreateSchema(Schema):
    phone_number = fields.Str(required=True, validate=validate.Length(max=100))
    full_name = Text(required=True, validate=validate.Length(min=1, max=120))
    role = fields.Str(load_default="support", validate=validate.OneOf(STAFF_ROLES))
    team_ids = _team_ids(load_default=list)
    locale = fields.Str(load_default=None, validate=validate.OneOf(LOCALES))

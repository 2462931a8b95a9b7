"""Teams: the crews that work tickets."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from admin_api.pagination import PageSchema
from admin_api.schemas.tickets import Text


class TeamSchema(Schema):
    id = fields.Int(dump_only=True)
    name = Text(required=True, validate=validate.Length(min=1, max=80))
    description = Text(allow_none=True, validate=validate.Length(max=2000))
    is_active = fields.Bool()
    created_at = fields.DateTime(dump_only=True)


class TeamUpdateSchema(Schema):
    name = Text(validate=validate.Length(min=1, max=80))
    description = Text(allow_none=True, validate=validate.Length(max=2000))
    is_active = fields.Bool()


class TeamPageSchema(PageSchema):
    data = fields.List(fields.Nested(TeamSchema))

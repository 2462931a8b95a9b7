"""Teams: the crews that work tickets."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from admin_api.pagination import PageSchema


class TeamSchema(Schema):
    id = fields.Int(dump_only=True)
    name = fields.Str(required=True, validate=validate.Length(min=1, max=80))
    description = fields.Str(allow_none=True, validate=validate.Length(max=2000))
    is_active = fields.Bool()
    created_at = fields.DateTime(dump_only=True)


class TeamUpdateSchema(Schema):
    name = fields.Str(validate=validate.Length(min=1, max=80))
    description = fields.Str(allow_none=True, validate=validate.Length(max=2000))
    is_active = fields.Bool()


class TeamPageSchema(PageSchema):
    data = fields.List(fields.Nested(TeamSchema))

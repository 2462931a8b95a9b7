"""API keys: listed without their secret; the secret appears once, on creation."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from admin_api.pagination import PageSchema
from admin_api.schemas.tickets import Text
from core.people.permissions import SCOPE_PERMISSIONS


class ApiKeySchema(Schema):
    id = fields.Int(dump_only=True)
    name = fields.Str()
    prefix = fields.Str(metadata={"description": "The key's first characters, to recognise it"})
    scopes = fields.List(fields.Str())
    created_by_id = fields.Int(allow_none=True)
    last_used_at = fields.DateTime(allow_none=True)
    revoked_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class ApiKeyCreatedSchema(ApiKeySchema):
    key = fields.Str(metadata={"description": "The secret; shown only in this response"})


class ApiKeyCreateSchema(Schema):
    name = Text(required=True, validate=validate.Length(min=1, max=120))
    scopes = fields.List(
        fields.Str(validate=validate.OneOf(sorted(SCOPE_PERMISSIONS))),
        required=True,
        validate=validate.Length(min=1, max=10),
        metadata={"description": f"Any of: {', '.join(sorted(SCOPE_PERMISSIONS))}"},
    )


class ApiKeyPageSchema(PageSchema):
    data = fields.List(fields.Nested(ApiKeySchema))

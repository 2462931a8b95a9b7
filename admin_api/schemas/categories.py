"""Categories as the API takes and shows them."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from admin_api.pagination import PageSchema
from admin_api.schemas.tickets import Id, RefSchema, Text

CODE = validate.Regexp(
    r"^[a-z][a-z0-9_]{1,39}$", error="2-40 of a-z, 0-9, _; starting with a letter"
)
NAME = validate.Length(min=1, max=80)


class CategorySchema(Schema):
    id = fields.Int()
    code = fields.Str()
    name = fields.Str(metadata={"description": "In the caller's language"})
    name_tr = fields.Str()
    name_en = fields.Str()
    description = fields.Str(allow_none=True)
    description_tr = fields.Str(allow_none=True)
    description_en = fields.Str(allow_none=True)
    is_active = fields.Bool()
    sort_order = fields.Int()
    questions = fields.List(fields.Dict())
    everyday_words = fields.Dict(
        keys=fields.Str(),
        values=fields.List(fields.Str()),
        metadata={"description": "Words citizens use for it in a chat, by language (tr, en)"},
    )
    default_team = fields.Nested(RefSchema, allow_none=True, metadata={"description": "Staff only"})
    sla_hours = fields.Int(metadata={"description": "Staff only"})


class CategoryPageSchema(PageSchema):
    data = fields.List(fields.Nested(CategorySchema))


class CategoryCreateSchema(Schema):
    code = fields.Str(required=True, validate=CODE)
    name_tr = Text(required=True, validate=NAME)
    name_en = Text(required=True, validate=NAME)
    description_tr = Text(allow_none=True, validate=validate.Length(max=500))
    description_en = Text(allow_none=True, validate=validate.Length(max=500))
    default_team_id = Id(allow_none=True, strict=True)
    sla_hours = fields.Int(strict=True, load_default=72, validate=validate.Range(min=1, max=8760))
    sort_order = fields.Int(strict=True, load_default=0, validate=validate.Range(min=0, max=10000))
    is_active = fields.Bool(load_default=True)
    questions = fields.List(fields.Raw(), load_default=list)
    everyday_words = fields.Raw(
        load_default=None,
        metadata={"description": 'e.g. {"tr": ["lamba", "sokak lambası"], "en": ["street light"]}'},
    )


class CategoryPatchSchema(Schema):
    name_tr = Text(validate=NAME)
    name_en = Text(validate=NAME)
    description_tr = Text(allow_none=True, validate=validate.Length(max=500))
    description_en = Text(allow_none=True, validate=validate.Length(max=500))
    default_team_id = Id(allow_none=True, strict=True)
    sla_hours = fields.Int(strict=True, validate=validate.Range(min=1, max=8760))
    sort_order = fields.Int(strict=True, validate=validate.Range(min=0, max=10000))
    is_active = fields.Bool(metadata={"description": "false deactivates (never deleted once used)"})
    questions = fields.List(fields.Raw())
    everyday_words = fields.Raw(
        metadata={"description": "Replaces both lists; a language left out becomes empty"}
    )

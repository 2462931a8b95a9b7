"""A category's questions as the API takes and shows them (see core.tickets.questions)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from core.tickets.questions import DATATYPES, MAX_QUESTIONS

TEXT = validate.Length(min=1, max=300)


class QuestionValueSchema(Schema):
    key = fields.Str(required=True, metadata={"description": "What the answer stores"})
    name_tr = fields.Str(required=True, validate=validate.Length(min=1, max=100))
    name_en = fields.Str(required=True, validate=validate.Length(min=1, max=100))


class QuestionSchema(Schema):
    code = fields.Str(
        required=True,
        metadata={"description": "a-z, 0-9, _; the Open311 attribute code", "example": "depth"},
    )
    text_tr = fields.Str(required=True, validate=TEXT, metadata={"example": "Çukur kaç cm derin?"})
    text_en = fields.Str(required=True, validate=TEXT, metadata={"example": "How deep is it (cm)?"})
    datatype = fields.Str(required=True, validate=validate.OneOf(DATATYPES))
    required = fields.Bool(load_default=False)
    order = fields.Int(
        strict=True, metadata={"description": "1 is asked first; default: position in the list"}
    )
    values = fields.List(
        fields.Nested(QuestionValueSchema),
        metadata={"description": "The choices; singlevaluelist and multivaluelist only"},
    )
    description_tr = fields.Str(allow_none=True, validate=validate.Length(max=500))
    description_en = fields.Str(allow_none=True, validate=validate.Length(max=500))

    def get_attribute(self, obj: Any, attr: str, default: Any) -> Any:
        # Questions are dicts: a missing "values" must not fall back to dict.values.
        return obj.get(attr, default) if isinstance(obj, dict) else default


class QuestionsUpdateSchema(Schema):
    questions = fields.List(
        fields.Nested(QuestionSchema),
        required=True,
        validate=validate.Length(max=MAX_QUESTIONS),
        metadata={"description": "The whole list; replaces the current questions"},
    )


class CategoryQuestionsSchema(Schema):
    category_id = fields.Int()
    code = fields.Str(metadata={"description": "The category code (Open311 service_code)"})
    questions = fields.List(fields.Nested(QuestionSchema))

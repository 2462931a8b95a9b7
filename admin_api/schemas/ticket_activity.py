"""Comments, escalations, feedback and photos as the API takes and shows them."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from admin_api.pagination import PageSchema, PaginationArgs
from admin_api.schemas.tickets import (
    AwareDateTime,
    CommentSchema,
    EscalationSchema,
    FeedbackSchema,
    Id,
    LocationSchema,
    PhotoSchema,
    Text,
    TicketSummarySchema,
)
from core.models.tickets import ESCALATION_STATUSES, PRIORITIES


class CommentCreateSchema(Schema):
    body = Text(required=True, validate=validate.Length(min=1, max=2000))
    internal = fields.Bool(
        load_default=False, metadata={"description": "A staff-only note, never shown to citizens"}
    )


class CommentPageSchema(PageSchema):
    data = fields.List(fields.Nested(CommentSchema))


class EscalationCreateSchema(Schema):
    reason = Text(required=True, validate=validate.Length(min=3, max=2000))


class EscalationListArgs(PaginationArgs):
    status = fields.Str(validate=validate.OneOf(ESCALATION_STATUSES))


class EscalationWithTicketSchema(EscalationSchema):
    ticket = fields.Nested(TicketSummarySchema)


class EscalationPageSchema(PageSchema):
    data = fields.List(fields.Nested(EscalationWithTicketSchema))


class DecisionSchema(Schema):
    approve = fields.Bool(required=True)
    note = Text(validate=validate.Length(max=2000))
    priority = fields.Str(
        validate=validate.OneOf(PRIORITIES), metadata={"description": "Approval only; raise only"}
    )
    team_id = Id(strict=True, metadata={"description": "Approval only: move to this team"})


class FeedbackCreateSchema(Schema):
    rating = fields.Int(required=True, strict=True, validate=validate.Range(min=1, max=5))
    fixed = fields.Bool(allow_none=True, load_default=None)
    comment = Text(allow_none=True, validate=validate.Length(max=1000))


class FeedbackResultSchema(FeedbackSchema):
    reopened = fields.Bool(metadata={"description": "`fixed: false` reopened the ticket"})
    ticket_status = fields.Str()


class FeedbackListArgs(PaginationArgs):
    rating = fields.Int(validate=validate.Range(min=1, max=5))
    fixed = fields.Bool()
    category = Id(metadata={"description": "Category id"})
    team = Id(metadata={"description": "Team id"})
    created_from = AwareDateTime()
    created_to = AwareDateTime()


class FeedbackPageSchema(PageSchema):
    data = fields.List(fields.Nested(FeedbackSchema))


class PhotoUploadSchema(Schema):
    files = fields.List(
        Upload(), required=True, metadata={"description": "Up to 5 JPEG, PNG or WebP images"}
    )


class PhotoUploadResultSchema(Schema):
    data = fields.List(fields.Nested(PhotoSchema))
    duplicates = fields.Int(
        metadata={"description": "Files already on the ticket, not stored again"}
    )
    suggested_location = fields.Nested(
        LocationSchema,
        allow_none=True,
        metadata={"description": "GPS position from a photo, when the ticket has no location"},
    )

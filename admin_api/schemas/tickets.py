"""Tickets as the API takes and shows them."""

from __future__ import annotations

from datetime import UTC
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from admin_api.category_filter import CategoryIdOrCode
from admin_api.pagination import PageSchema, PaginationArgs
from core.geo import bbox_problem
from core.models.tickets import CHANNELS, PRIORITIES, RESOLUTIONS, STATUSES
from core.tickets.opening import DESCRIPTION_MAX, DESCRIPTION_MIN, clean_text
from core.tickets.queries import SORTS, public_number

MAX_RADIUS_M = 50_000
MAX_ID = 2**63 - 1  # ids are bigint


class Id(fields.Int):
    """A row id: a positive bigint, so a huge number is a 422, not a database error."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(validate=validate.Range(min=1, max=MAX_ID), **kwargs)


class Text(fields.Str):
    """Free text without control characters (and PostgreSQL refuses NUL anyway)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        return clean_text(super()._deserialize(value, attr, data, **kwargs))


class LocationSchema(Schema):
    lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(required=True, validate=validate.Range(min=-180, max=180))


class PersonSchema(Schema):
    id = fields.Int()
    name = fields.Str(allow_none=True)
    role = fields.Str()
    phone = fields.Str(allow_none=True, metadata={"description": "E.164; shown to staff only"})


class RefSchema(Schema):
    id = fields.Int()
    name = fields.Str(allow_none=True)


class CategoryRefSchema(Schema):
    id = fields.Int()
    code = fields.Str()
    name = fields.Str(metadata={"description": "In the caller's language"})
    name_tr = fields.Str()
    name_en = fields.Str()


class TicketSummarySchema(Schema):
    id = fields.Int()
    number = fields.Int()
    public_number = fields.Str(metadata={"example": "#1001"})
    status = fields.Str()
    priority = fields.Str()
    category = fields.Nested(CategoryRefSchema)
    description = fields.Str()
    location = fields.Nested(LocationSchema, allow_none=True)
    address = fields.Str(allow_none=True)
    needs_location = fields.Bool()
    location_approximate = fields.Bool(
        metadata={"description": "The point is the centre of an area named in the address"}
    )
    team = fields.Nested(RefSchema, allow_none=True)
    assignee = fields.Nested(RefSchema, allow_none=True)
    channel = fields.Str()
    resolution = fields.Str(allow_none=True)
    followers_count = fields.Int()
    overdue = fields.Bool()
    distance_m = fields.Float(allow_none=True, metadata={"description": "With `near` only"})
    due_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()
    updated_at = fields.DateTime()
    first_response_at = fields.DateTime(allow_none=True)
    resolved_at = fields.DateTime(allow_none=True)
    closed_at = fields.DateTime(allow_none=True)


class TicketPageSchema(PageSchema):
    data = fields.List(fields.Nested(TicketSummarySchema))


class PhotoSchema(Schema):
    id = fields.Int()
    url = fields.Str(metadata={"description": "Short-lived download link"})
    content_type = fields.Str()
    width = fields.Int()
    height = fields.Int()
    size_bytes = fields.Int()
    source = fields.Str()
    created_at = fields.DateTime()


class CommentSchema(Schema):
    id = fields.Int()
    body = fields.Str()
    internal = fields.Bool()
    author = fields.Nested(PersonSchema, allow_none=True)
    created_at = fields.DateTime()


class EscalationSchema(Schema):
    id = fields.Int()
    ticket_id = fields.Int()
    status = fields.Str()
    reason = fields.Str()
    requested_by = fields.Nested(PersonSchema, allow_none=True)
    decided_by = fields.Nested(PersonSchema, allow_none=True)
    decision_note = fields.Str(allow_none=True)
    decided_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class FeedbackSchema(Schema):
    id = fields.Int()
    ticket_id = fields.Int()
    rating = fields.Int(allow_none=True)
    fixed = fields.Bool(allow_none=True)
    comment = fields.Str(allow_none=True)
    created_at = fields.DateTime()


class AnswerSchema(Schema):
    question = fields.Str()
    answer = fields.Str()


class Open311ReportSchema(Schema):
    filed_by = fields.Nested(RefSchema, allow_none=True, metadata={"description": "The API key"})
    media_url = fields.Str(
        allow_none=True,
        metadata={"description": "The link the client sent; SoSoft never fetches it"},
    )
    device_id = fields.Str(allow_none=True)
    account_id = fields.Str(allow_none=True, metadata={"description": "The client's user id"})
    address_id = fields.Str(allow_none=True)
    zipcode = fields.Str(allow_none=True)


class TicketDetailSchema(TicketSummarySchema):
    reporter = fields.Nested(PersonSchema, allow_none=True)
    contact_phone = fields.Str(
        allow_none=True,
        metadata={
            "description": "Staff only: E.164 phone an integration (Open311) gave for the"
            " person it filed for; never an account"
        },
    )
    contact_email = fields.Str(
        allow_none=True,
        metadata={"description": "Staff only: the email an integration gave with the contact"},
    )
    open311 = fields.Nested(
        Open311ReportSchema,
        allow_none=True,
        metadata={"description": "Staff only, Open311 tickets: what the client sent"},
    )
    duplicate_of = fields.Int(allow_none=True, metadata={"description": "Ticket id"})
    attributes = fields.Dict(
        metadata={"description": "Answers to the category's questions, by code"}
    )
    answers = fields.List(
        fields.Nested(AnswerSchema),
        metadata={"description": "The same answers in words, in the caller's language"},
    )
    reopen_count = fields.Int()
    following = fields.Bool(metadata={"description": "The caller follows this ticket"})
    photos = fields.List(fields.Nested(PhotoSchema))
    comments = fields.List(fields.Nested(CommentSchema))
    escalation = fields.Nested(EscalationSchema, allow_none=True)
    feedback = fields.Nested(FeedbackSchema, allow_none=True)
    allowed_transitions = fields.List(
        fields.Str(), metadata={"description": "Statuses this caller may move the ticket to"}
    )


# --- requests ---------------------------------------------------------------------------


class TicketCreateSchema(Schema):
    category_id = Id(required=True, strict=True)
    description = Text(
        required=True,
        validate=validate.Length(max=DESCRIPTION_MAX * 2),
        metadata={"description": f"{DESCRIPTION_MIN}-{DESCRIPTION_MAX} characters"},
    )
    location = fields.Nested(LocationSchema)
    address = Text(validate=validate.Length(max=500))
    attributes = fields.Dict(keys=fields.Str(validate=validate.Length(max=40)))
    reporter_phone = fields.Str(
        validate=validate.Length(max=32),
        metadata={"description": "Staff only: the citizen the ticket is filed for"},
    )
    reporter_name = Text(validate=validate.Length(max=120))


class TicketPatchSchema(Schema):
    priority = fields.Str(validate=validate.OneOf(PRIORITIES))
    category_id = Id(strict=True)
    team_id = Id(
        strict=True,
        allow_none=True,
        metadata={"description": "Hand to this team (with `assignee_id`: theirs, of several)"},
    )
    assignee_id = Id(
        strict=True,
        allow_none=True,
        metadata={
            "description": "Staff; someone outside the ticket's team brings it to their team"
        },
    )
    location = fields.Nested(
        LocationSchema, metadata={"description": "Place the pin (an address-only report)"}
    )
    address = Text(validate=validate.Length(max=500))

    @validates_schema
    def _not_empty(self, data: dict[str, Any], **_: Any) -> None:
        if not data:
            raise ValidationError(
                "give at least one of: priority, category_id, team_id, assignee_id, "
                "location, address"
            )


class TransitionSchema(Schema):
    to = fields.Str(required=True, validate=validate.OneOf(STATUSES))
    note = Text(validate=validate.Length(max=2000))
    resolution = fields.Str(validate=validate.OneOf(RESOLUTIONS))
    duplicate_of = Id(strict=True, metadata={"description": "Id of the original ticket"})


class MultiValue(fields.List):
    """A list from repeated query keys or comma-separated values (`status=new,in_progress`)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> list[Any]:
        if isinstance(value, str):
            value = [value]
        if isinstance(value, list | tuple):
            value = [part for item in value for part in str(item).split(",") if part]
        return super()._deserialize(value, attr, data, **kwargs)


class CommaFloats(fields.Str):
    """`a,b,...` with exactly `size` numbers."""

    def __init__(self, size: int, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.size = size

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> tuple[float, ...]:
        text = super()._deserialize(value, attr, data, **kwargs)
        try:
            numbers = tuple(float(part) for part in text.split(","))
        except ValueError:
            raise ValidationError(f"expected {self.size} comma-separated numbers") from None
        if len(numbers) != self.size or not all(abs(n) < 1000 for n in numbers):
            raise ValidationError(f"expected {self.size} comma-separated numbers")
        return numbers


class Assignee(fields.Str):
    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int | str:
        text = super()._deserialize(value, attr, data, **kwargs)
        if text in ("me", "none"):
            return text
        if text.isdecimal() and len(text) < 19:
            return int(text)
        raise ValidationError("a user id, 'me' or 'none'")


class PublicNumber(fields.Str):
    """A ticket's public number as citizens give it: `1001` or `#1001`."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> int:
        number = public_number(super()._deserialize(value, attr, data, **kwargs))
        if number is None:
            raise ValidationError("a ticket number such as 1001 or #1001")
        return number


class AwareDateTime(fields.DateTime):
    """A time; one without a zone is taken as UTC. Returned in UTC, because
    PostgreSQL refuses zone offsets beyond ±15:59 that Python accepts."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> Any:
        result = super()._deserialize(value, attr, data, **kwargs)
        if result.tzinfo is None:
            return result.replace(tzinfo=UTC)
        try:
            return result.astimezone(UTC)
        except OverflowError:
            raise ValidationError("time out of range") from None


class TicketListArgs(PaginationArgs):
    number = PublicNumber(metadata={"description": "The public number: `1001` or `#1001`"})
    status = MultiValue(fields.Str(validate=validate.OneOf(STATUSES)))
    priority = MultiValue(fields.Str(validate=validate.OneOf(PRIORITIES)))
    category = CategoryIdOrCode()
    team = Id(metadata={"description": "Team id"})
    channel = fields.Str(
        validate=validate.OneOf(CHANNELS), metadata={"description": "The channel it came in by"}
    )
    assignee = Assignee(metadata={"description": "User id, `me` or `none`"})
    reporter = Id(metadata={"description": "Reporter's user id (staff only)"})
    created_from = AwareDateTime()
    created_to = AwareDateTime()
    overdue = fields.Bool(metadata={"description": "`true` overdue only, `false` none overdue"})
    needs_location = fields.Bool(
        metadata={"description": "`true`: reports still waiting for a pin (address only)"}
    )
    q = Text(
        validate=validate.Length(min=1, max=200),
        metadata={
            "description": "Turkish full-text search over descriptions and comments; "
            "a public number on its own (`1001`, `#1001`) also finds that ticket"
        },
    )
    bbox = CommaFloats(4, metadata={"description": "minLon,minLat,maxLon,maxLat"})
    near = CommaFloats(2, metadata={"description": "lat,lon"})
    radius_m = fields.Float(validate=validate.Range(min=1, max=MAX_RADIUS_M), load_default=1000)
    sort = fields.Str(validate=validate.OneOf(SORTS), load_default="newest")

    @validates_schema
    def _coherent(self, data: dict[str, Any], **_: Any) -> None:
        if data.get("sort") == "distance" and not data.get("near"):
            raise ValidationError("sort=distance needs near=lat,lon", "sort")
        near = data.get("near")
        if near and not (-90 <= near[0] <= 90 and -180 <= near[1] <= 180):
            raise ValidationError("lat within ±90, lon within ±180", "near")
        problem = data.get("bbox") and bbox_problem(data["bbox"])
        if problem:
            raise ValidationError(problem, "bbox")


class NearbyArgs(Schema):
    lat = fields.Float(required=True, validate=validate.Range(min=-90, max=90))
    lon = fields.Float(required=True, validate=validate.Range(min=-180, max=180))
    radius_m = fields.Float(validate=validate.Range(min=1, max=5000), load_default=250)
    category = CategoryIdOrCode()
    limit = fields.Int(validate=validate.Range(min=1, max=100), load_default=20)


class NearbyTicketSchema(Schema):
    id = fields.Int()
    number = fields.Int()
    public_number = fields.Str()
    status = fields.Str()
    category = fields.Nested(CategoryRefSchema)
    location = fields.Nested(LocationSchema, allow_none=True)
    distance_m = fields.Float()
    followers_count = fields.Int()
    created_at = fields.DateTime()
    description = fields.Str(metadata={"description": "Staff only"})


class NearbyResultSchema(Schema):
    data = fields.List(fields.Nested(NearbyTicketSchema))


class EventSchema(Schema):
    id = fields.Int()
    kind = fields.Str()
    actor = fields.Nested(
        PersonSchema,
        allow_none=True,
        metadata={"description": "Who did it; an integration as its key's name, role api_key"},
    )
    api_key = fields.Nested(
        RefSchema, allow_none=True, metadata={"description": "The API key that made the change"}
    )
    from_value = fields.Str(allow_none=True)
    to_value = fields.Str(allow_none=True)
    data = fields.Dict()
    created_at = fields.DateTime()


class EventPageSchema(PageSchema):
    data = fields.List(fields.Nested(EventSchema))


class MessageSchema(Schema):
    id = fields.Int()
    direction = fields.Str(metadata={"description": "`inbound`: from the citizen"})
    channel = fields.Str()
    party = fields.Str(
        allow_none=True,
        metadata={"description": "The citizen's side: `reporter` or `follower` (null: erased)"},
    )
    person = fields.Nested(PersonSchema, allow_none=True)
    kind = fields.Str(allow_none=True)
    body = fields.Str(allow_none=True)
    media = fields.List(fields.Dict())
    reply = fields.Str(
        allow_none=True, metadata={"description": "Inbound: what the bot answered in the chat"}
    )
    status = fields.Str(metadata={"description": "Delivery state (`received` for inbound)"})
    reason = fields.Str(
        allow_none=True, metadata={"description": "Why it was skipped, failed or undelivered"}
    )
    error_code = fields.Int(allow_none=True, metadata={"description": "Twilio's error code"})
    sent_at = fields.DateTime(allow_none=True)
    created_at = fields.DateTime()


class MessagePageSchema(PageSchema):
    data = fields.List(fields.Nested(MessageSchema))


class FollowSchema(Schema):
    following = fields.Bool()
    followers_count = fields.Int()

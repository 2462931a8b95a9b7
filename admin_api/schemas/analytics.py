"""Analytics answers as the API shows them (durations in hours, rates 0..1)."""

from __future__ import annotations

from marshmallow import Schema, fields


class PeriodSchema(Schema):
    from_ = fields.Date(data_key="from", attribute="from")
    to = fields.Date()
    timezone = fields.Str()


class BacklogSchema(Schema):
    open = fields.Int(metadata={"description": "Open tickets now (the period does not apply)"})
    median_age_hours = fields.Float(allow_none=True)
    oldest_age_hours = fields.Float(allow_none=True)


class FirstResponseSchema(Schema):
    responded = fields.Int(metadata={"description": "Tickets created in the period answered"})
    median = fields.Float(allow_none=True)
    p90 = fields.Float(allow_none=True)


class ResolutionTimeSchema(Schema):
    median = fields.Float(allow_none=True)
    p90 = fields.Float(allow_none=True)


class SlaSchema(Schema):
    resolved_with_due = fields.Int()
    resolved_on_time = fields.Int()
    compliance = fields.Float(allow_none=True)
    open_overdue = fields.Int(metadata={"description": "Open now and past their due time"})


class EscalationRatesSchema(Schema):
    escalated_tickets = fields.Int()
    rate = fields.Float(allow_none=True)
    decided = fields.Int()
    approved = fields.Int()
    approval_rate = fields.Float(allow_none=True)


class SatisfactionSchema(Schema):
    responses = fields.Int()
    response_rate = fields.Float(allow_none=True)
    average_rating = fields.Float(allow_none=True)
    fixed_share = fields.Float(allow_none=True)


class MeasuresSchema(Schema):
    created = fields.Int()
    resolved = fields.Int()
    backlog = fields.Nested(BacklogSchema)
    first_response_hours = fields.Nested(FirstResponseSchema)
    resolution_hours = fields.Nested(ResolutionTimeSchema)
    sla = fields.Nested(SlaSchema)
    reopen_rate = fields.Float(allow_none=True)
    escalations = fields.Nested(EscalationRatesSchema)
    satisfaction = fields.Nested(SatisfactionSchema)


class ChannelMeasuresSchema(MeasuresSchema):
    channel = fields.Str()


class KpiSchema(MeasuresSchema):
    period = fields.Nested(PeriodSchema)
    by_channel = fields.List(fields.Nested(ChannelMeasuresSchema))


class GroupMeasuresSchema(MeasuresSchema):
    id = fields.Int(allow_none=True)
    name = fields.Str(allow_none=True)


class BreakdownSchema(Schema):
    period = fields.Nested(PeriodSchema)
    sort = fields.Str()
    order = fields.Str()
    data = fields.List(fields.Nested(GroupMeasuresSchema))


class TrendBucketSchema(Schema):
    start = fields.Date()
    end = fields.Date()
    created = fields.Int()
    resolved = fields.Int()
    backlog = fields.Int(metadata={"description": "Open at the end of the bucket"})


class TrendsSchema(Schema):
    period = fields.Nested(PeriodSchema)
    interval = fields.Str()
    data = fields.List(fields.Nested(TrendBucketSchema))


class FeatureCollectionSchema(Schema):
    type = fields.Str(metadata={"example": "FeatureCollection"})
    features = fields.List(
        fields.Dict(),
        metadata={"description": "Polygons with properties {count, i, j}, busiest first"},
    )


class CategoryCountSchema(Schema):
    code = fields.Str()
    count = fields.Int()


class OldestTicketSchema(Schema):
    id = fields.Int()
    number = fields.Str()
    created_at = fields.DateTime()


class HotspotSchema(Schema):
    count = fields.Int()
    centre = fields.Dict(metadata={"description": "{lat, lon}"})
    categories = fields.List(fields.Nested(CategoryCountSchema))
    oldest_ticket = fields.Nested(OldestTicketSchema)


class HotspotListSchema(Schema):
    data = fields.List(fields.Nested(HotspotSchema))
    as_of = fields.DateTime(
        metadata={"description": "the moment these clusters are exact for (recent, not live)"}
    )

"""`/api/v1/analytics`: KPIs, per-team and per-category measures, trends, map cells
and hotspots for managers (or an API key with the `analytics:read` scope).

Every endpoint takes `from`/`to` (city days, inclusive; default the last 30 days),
`category` (id or code), `team` (id) and `channel`. Definitions of each measure:
`core/analytics/measures.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from flask import Response, current_app
from flask_smorest import abort
from marshmallow import Schema, ValidationError, fields, validate, validates_schema
from sqlalchemy import text

from admin_api.blueprint import ApiBlueprint
from admin_api.category_filter import CategoryIdOrCode, category_id
from admin_api.schemas.analytics import (
    BreakdownSchema,
    FeatureCollectionSchema,
    HotspotListSchema,
    KpiSchema,
    TrendsSchema,
)
from admin_api.schemas.tickets import MultiValue
from admin_api.security import require
from core.analytics import breakdowns, geo_grid, hotspots, kpis, trends
from core.analytics.scope import Scope, default_period
from core.geo import bbox_problem
from core.models import Team
from core.models.tickets import CHANNELS, STATUSES
from web.request_session import request_session

MAX_PERIOD_DAYS = 3 * 366
_DAYS = validate.Range(min=date(2000, 1, 1), max=date(2100, 12, 31))
_ID = validate.Range(min=1, max=2**63 - 1)

blp = ApiBlueprint(
    "analytics",
    __name__,
    url_prefix="/api/v1/analytics",
    description="Numbers for managers: KPIs, teams, categories, trends, heatmap, hotspots.",
)


class AnalyticsArgs(Schema):
    from_ = fields.Date(
        data_key="from", validate=_DAYS, metadata={"description": "First day (city time)"}
    )
    to = fields.Date(validate=_DAYS, metadata={"description": "Last day, inclusive (city time)"})
    category = CategoryIdOrCode()
    team = fields.Int(validate=_ID, metadata={"description": "Team id"})
    channel = fields.Str(validate=validate.OneOf(CHANNELS))

    @validates_schema
    def _period(self, data: dict[str, Any], **_: Any) -> None:
        first, last = data.get("from_"), data.get("to")
        if first and last and first > last:
            raise ValidationError("must not be after `to`", "from")
        if first and last and (last - first).days >= MAX_PERIOD_DAYS:
            raise ValidationError(f"at most {MAX_PERIOD_DAYS} days", "from")


class BreakdownArgs(AnalyticsArgs):
    sort = fields.Str(validate=validate.OneOf(sorted(breakdowns.SORT_KEYS)), load_default="name")
    order = fields.Str(validate=validate.OneOf(("asc", "desc")), load_default="asc")


class TrendArgs(AnalyticsArgs):
    interval = fields.Str(validate=validate.OneOf(trends.INTERVALS), load_default="day")


class HeatmapArgs(AnalyticsArgs):
    cell = fields.Str(validate=validate.OneOf(geo_grid.CELL_SHAPES), load_default="hex")
    size_m = fields.Float(validate=validate.Range(min=25, max=50_000), load_default=250)
    bbox = fields.Str(metadata={"description": "minLon,minLat,maxLon,maxLat (default: the city)"})
    status = MultiValue(fields.Str(validate=validate.OneOf(STATUSES)), load_default=list)


class HotspotArgs(AnalyticsArgs):
    limit = fields.Int(validate=validate.Range(min=1, max=hotspots.MAX_LIMIT), load_default=10)
    eps_m = fields.Float(
        validate=validate.Range(min=10, max=5000), load_default=hotspots.DEFAULT_EPS_M
    )
    min_points = fields.Int(
        validate=validate.Range(min=2, max=1000), load_default=hotspots.DEFAULT_MIN_POINTS
    )


def _field_error(field: str, message: str) -> None:
    abort(422, message=message, errors={"query": {field: [message]}})


def scope_from(args: dict[str, Any]) -> Scope:
    settings = current_app.config["SOSOFT"]
    zone_name = settings.CITY_TIMEZONE
    first, last = args.get("from_"), args.get("to")
    if first is None or last is None:
        # `to` alone: the 30 days ending then; `from` alone: from then to today, so
        # "since the first of last month" never silently leaves out the latest days.
        _, today = default_period(datetime.now(UTC), ZoneInfo(zone_name))
        if first is not None:
            last = today
            if first > today:
                _field_error("from", "`from` alone runs to today: it must not be after today")
            if (today - first).days >= MAX_PERIOD_DAYS:
                _field_error(
                    "from",
                    f"`from` alone runs to today, which is more than {MAX_PERIOD_DAYS} days;"
                    " give `to` as well",
                )
        else:
            last = last or today
            first = last - timedelta(days=29)
    # These queries take milliseconds; at a million tickets their cost estimates would
    # make PostgreSQL JIT-compile them, which alone takes hundreds of milliseconds.
    request_session().execute(text("SET LOCAL jit = off"))
    team = args.get("team")
    if team is not None and request_session().get(Team, team) is None:
        _field_error("team", f"no team #{team}")
    return Scope(
        first,
        last,
        zone_name,
        category_id=category_id(request_session(), args.get("category")),
        team_id=team,
        channel=args.get("channel"),
    )


def _period(scope: Scope) -> dict[str, Any]:
    return {"from": scope.first_day, "to": scope.last_day, "timezone": scope.timezone}


@blp.route("/kpis")
@require("analytics.read")
@blp.arguments(AnalyticsArgs, location="query")
@blp.response(200, KpiSchema)
def get_kpis(args: dict[str, Any]) -> dict[str, Any]:
    """Headline KPIs for the period, and split by channel"""
    scope = scope_from(args)
    result = kpis.kpis(request_session(), scope, datetime.now(UTC))
    return {"period": _period(scope), **result}


@blp.route("/teams")
@require("analytics.read")
@blp.arguments(BreakdownArgs, location="query")
@blp.response(200, BreakdownSchema)
def get_teams(args: dict[str, Any]) -> dict[str, Any]:
    """The KPIs per team ("no team" has id null)"""
    return _breakdown(args, breakdowns.by_team)


@blp.route("/categories")
@require("analytics.read")
@blp.arguments(BreakdownArgs, location="query")
@blp.response(200, BreakdownSchema)
def get_categories(args: dict[str, Any]) -> dict[str, Any]:
    """The KPIs per category (name is the category code)"""
    return _breakdown(args, breakdowns.by_category)


def _breakdown(
    args: dict[str, Any], rows_by: Callable[..., list[dict[str, Any]]]
) -> dict[str, Any]:
    scope = scope_from(args)
    rows = rows_by(request_session(), scope, datetime.now(UTC))
    data = breakdowns.sort_rows(rows, args["sort"], args["order"] == "desc")
    return {"period": _period(scope), "sort": args["sort"], "order": args["order"], "data": data}


@blp.route("/trends")
@require("analytics.read")
@blp.arguments(TrendArgs, location="query")
@blp.response(200, TrendsSchema)
def get_trends(args: dict[str, Any]) -> dict[str, Any]:
    """Created, resolved and backlog per day, week or month; every bucket present"""
    scope = scope_from(args)
    data = trends.trends(request_session(), scope, args["interval"])
    return {"period": _period(scope), "interval": args["interval"], "data": data}


def _bbox(args: dict[str, Any]) -> geo_grid.BBox:
    raw = args.get("bbox")
    if raw is None:
        return current_app.config["SOSOFT"].SERVICE_AREA_BBOX
    try:
        parts = tuple(float(p) for p in raw.split(","))
    except ValueError:
        parts = ()
    problem = bbox_problem(parts)
    if problem:
        _field_error("bbox", problem)
    return parts  # type: ignore[return-value]


@blp.route("/heatmap")
@require("analytics.read")
@blp.arguments(HeatmapArgs, location="query")
@blp.response(200, FeatureCollectionSchema)
def get_heatmap(args: dict[str, Any]) -> dict[str, Any]:
    """Tickets created in the period counted in hexagons or squares (GeoJSON)"""
    scope = scope_from(args)
    try:
        collection = geo_grid.heatmap(
            request_session(), scope, _bbox(args), args["cell"], args["size_m"], args["status"],
            shared=current_app.extensions["sosoft.heatmap_cells"],
        )  # fmt: skip
    except geo_grid.GridTooFine as exc:
        _field_error("size_m", str(exc))
    # Already GeoJSON text (see geo_grid._collection): sent as it is, not re-encoded.
    return Response(collection, mimetype="application/json")


@blp.route("/hotspots")
@require("analytics.read")
@blp.arguments(HotspotArgs, location="query")
@blp.response(200, HotspotListSchema)
def get_hotspots(args: dict[str, Any]) -> dict[str, Any]:
    """Clusters of open tickets, biggest first: where a crew should go next.

    All open tickets count unless `from`/`to` are given (then: created in that period).
    Clustering the whole city takes seconds, so the clusters are those of a recent
    moment, `as_of`, at most HOTSPOTS_MAX_AGE_SECONDS ago (kept current by beat).
    """
    settings = current_app.config["SOSOFT"]
    data, as_of = hotspots.hotspots(
        request_session(),
        scope_from(args),
        settings.SERVICE_AREA_BBOX,
        eps_m=args["eps_m"],
        min_points=args["min_points"],
        limit=args["limit"],
        use_period="from_" in args or "to" in args,
        max_age_s=settings.HOTSPOTS_MAX_AGE_SECONDS,
    )
    return {"data": data, "as_of": as_of}

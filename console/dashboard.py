"""The managers' dashboard: KPI tiles, team and category tables, the heatmap and
hotspots on a map, exports. Every number comes from the analytics API's own core
functions (core.analytics.kpis, breakdowns, geo_grid, hotspots) with the same
filters, so the page and the API never disagree."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from flask import Response, current_app, render_template, request, url_for

from console.blueprint import bp, settings
from console.choices import choices
from console.dashboard_filters import DashboardView, analytics_session, dashboard_view
from console.i18n import locale
from console.manager_access import manager_page
from console.session import signed_in_user
from console.trend_chart import interval_for, trend_chart
from core.analytics import breakdowns, geo_grid, hotspots, kpis, trends
from core.models import ExportJob
from core.models.tickets import CHANNELS
from web.request_session import request_session

HEATMAP_CELL, HEATMAP_SIZE_M = "hex", 250.0  # the API's defaults
HOTSPOTS_SHOWN = 10
EXPORTS_SHOWN = 20


def _view() -> DashboardView:
    return dashboard_view(request.args, settings().CITY_TIMEZONE)


def _table(rows_by: Any, view: DashboardView, sort: str, descending: bool) -> list[dict[str, Any]]:
    session = analytics_session(request_session())
    rows = rows_by(session, view.scope(settings().CITY_TIMEZONE), datetime.now(UTC))
    return breakdowns.sort_rows(rows, sort, descending)


def _sort(name: str) -> tuple[str, bool]:
    key = request.args.get(f"{name}_sort", "name")
    return (key if key in breakdowns.SORT_KEYS else "name"), request.args.get(
        f"{name}_order"
    ) == "desc"


def my_exports(limit: int = EXPORTS_SHOWN) -> list[dict[str, Any]]:
    """The signed-in manager's background exports, newest first, with a download
    link for the finished ones (short-lived, as the API's)."""
    from sqlalchemy import select

    jobs = request_session().scalars(
        select(ExportJob).where(ExportJob.requested_by_id == signed_in_user().id)
        .order_by(ExportJob.created_at.desc()).limit(limit)
    )  # fmt: skip
    storage = current_app.extensions["sosoft.storage"]
    ttl = settings().EXPORT_URL_TTL_SECONDS
    return [
        {"job": job, "url": storage.url(job.storage_key, expires_in=ttl)
         if job.status == "done" and job.storage_key else None}
        for job in jobs
    ]  # fmt: skip


@bp.get("/dashboard")
@manager_page("analytics.read")
def dashboard() -> str:
    view = _view()
    scope = view.scope(settings().CITY_TIMEZONE)
    session = analytics_session(request_session())
    team_sort, category_sort = _sort("team"), _sort("category")
    query = view.api_query()
    return render_template(
        "dashboard.html",
        view=view,
        kpi=kpis.kpis(session, scope, datetime.now(UTC)),
        trend=trend_chart(trends.trends(session, scope, interval_for(len(scope.days())))),
        teams=_table(breakdowns.by_team, view, *team_sort),
        categories=_table(breakdowns.by_category, view, *category_sort),
        team_sort=team_sort,
        category_sort=category_sort,
        sort_keys=sorted(breakdowns.SORT_KEYS),
        channels=CHANNELS,
        choices=choices(request_session()),
        category_names={c.id: c.name(locale()) for c in choices(request_session()).categories},
        query=query,
        query_string=urlencode(query),
        exports=my_exports(),
        area=",".join(str(v) for v in settings().SERVICE_AREA_BBOX),
        tile_url=settings().CONSOLE_TILE_URL,
        tile_attribution=settings().CONSOLE_TILE_ATTRIBUTION,
        sort_url=_sort_url,
    )


def _sort_url(table: str, key: str) -> str:
    """The dashboard with `table` sorted by `key` (again: the other way round)."""
    args = request.args.to_dict()
    same = args.get(f"{table}_sort", "name") == key
    args[f"{table}_sort"] = key
    args[f"{table}_order"] = "asc" if same and args.get(f"{table}_order") == "desc" else (
        "desc" if same else "asc")  # fmt: skip
    return url_for("console.dashboard", **args) + f"#{table}-table"


@bp.get("/dashboard/heatmap")
@manager_page("analytics.read")
def dashboard_heatmap() -> Response:
    """The API's heatmap for the same filters, the same text (no heavier layer)."""
    view = _view()
    collection = geo_grid.heatmap(
        analytics_session(request_session()), view.scope(settings().CITY_TIMEZONE),
        settings().SERVICE_AREA_BBOX, HEATMAP_CELL, HEATMAP_SIZE_M, [],
    )  # fmt: skip
    return Response(collection, mimetype="application/json")


@bp.get("/dashboard/hotspots")
@manager_page("analytics.read")
def dashboard_hotspots() -> dict[str, Any]:
    """The API's hotspots (clusters of open tickets created in the period)."""
    view = _view()
    data, as_of = hotspots.hotspots(
        analytics_session(request_session()), view.scope(settings().CITY_TIMEZONE),
        settings().SERVICE_AREA_BBOX, eps_m=hotspots.DEFAULT_EPS_M,
        min_points=hotspots.DEFAULT_MIN_POINTS, limit=HOTSPOTS_SHOWN, use_period=True,
        max_age_s=settings().HOTSPOTS_MAX_AGE_SECONDS,
    )  # fmt: skip
    return {"data": data, "as_of": as_of.isoformat()}

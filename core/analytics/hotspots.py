"""Hotspots: where open tickets bunch up (DBSCAN clustering in metres), so a crew can
clear several in one trip. A cluster is at least `min_points` open tickets each within
`eps_m` of another; biggest first, then the one waiting longest."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.analytics.geo_grid import BBox, utm_srid
from core.analytics.scope import OPEN_STATUSES_SQL, Scope

_HOTSPOTS = f"""
WITH pts AS (
    SELECT t.id, t.number, t.created_at, t.category_id,
        ST_Transform(t.location::geometry, :srid) AS g
    FROM tickets t
    WHERE t.status IN {OPEN_STATUSES_SQL} AND t.location IS NOT NULL {{period}} {{filters}}
), clustered AS (
    SELECT pts.*, ST_ClusterDBSCAN(g, eps := :eps, minpoints := :min_points) OVER () AS cid
    FROM pts
), clusters AS (
    SELECT cid, count(*) AS n, ST_Transform(ST_Centroid(ST_Collect(g)), 4326) AS centre,
        (array_agg(id ORDER BY created_at, id))[1] AS oldest_id,
        (array_agg(number ORDER BY created_at, id))[1] AS oldest_number,
        min(created_at) AS oldest_created_at
    FROM clustered WHERE cid IS NOT NULL GROUP BY cid
)
SELECT c.n, ST_Y(c.centre) AS lat, ST_X(c.centre) AS lon,
    c.oldest_id, c.oldest_number, c.oldest_created_at,
    (SELECT json_agg(json_build_object('code', cat.code, 'count', k.n) ORDER BY k.n DESC, cat.code)
     FROM (SELECT category_id, count(*) AS n FROM clustered x WHERE x.cid = c.cid
           GROUP BY category_id) AS k
     JOIN categories cat ON cat.id = k.category_id) AS categories
FROM clusters c ORDER BY c.n DESC, c.oldest_created_at, c.oldest_id
LIMIT :limit
"""  # noqa: S608 - constants only; values are bound


def hotspots(
    session: Session,
    scope: Scope,
    area: BBox,
    *,
    eps_m: float,
    min_points: int,
    limit: int,
    use_period: bool,
) -> list[dict[str, Any]]:
    """Clusters of open tickets; the period applies (to creation) only when `use_period`."""
    filters, params = scope.filter_sql("t")
    period = " AND t.created_at >= :lo AND t.created_at < :hi" if use_period else ""
    params.update(
        srid=utm_srid(area), eps=eps_m, min_points=min_points, limit=limit,
        lo=scope.start(), hi=scope.end(),
    )  # fmt: skip
    sql = _HOTSPOTS.format(period=period, filters=filters)
    return [
        {
            "count": int(row.n),
            "centre": {"lat": round(row.lat, 6), "lon": round(row.lon, 6)},
            "categories": row.categories or [],
            "oldest_ticket": {
                "id": row.oldest_id,
                "number": f"#{row.oldest_number}",
                "created_at": row.oldest_created_at,
            },
        }
        for row in session.execute(text(sql), params)
    ]

"""Hotspots: where open tickets bunch up (DBSCAN clustering in metres), so a crew can
clear several in one trip. A cluster is at least `min_points` open tickets each within
`eps_m` of another; biggest first, then the one waiting longest.

Clustering every open ticket takes a good half second at city scale, so the answer for
the default parameters and no filters (what the dashboard asks for) is kept as a
snapshot, retaken by beat (`refresh_snapshot`). It is served only while nothing that
could move a cluster has changed since: triggers (see the migration) add a row to
`analytics_hotspot_changes` for every such change, and the refresh deletes them in the
transaction that retakes the snapshot. So a served snapshot always equals the live
answer; otherwise the clusters are computed live."""

from __future__ import annotations

from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.analytics.geo_grid import BBox, utm_srid
from core.analytics.scope import OPEN_STATUSES_SQL, Scope

DEFAULT_EPS_M = 150.0
DEFAULT_MIN_POINTS = 3
MAX_LIMIT = 100  # the snapshot keeps this many clusters: any limit asked for is served
_SNAPSHOT_LOCK = 7_000_002  # pg advisory lock: one snapshot refresh at a time

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


_SNAPSHOT = """
SELECT h.ticket_count AS n, h.lat, h.lon, h.oldest_id, h.oldest_number, h.oldest_created_at,
    h.categories
FROM analytics_hotspot_state s
LEFT JOIN LATERAL (SELECT * FROM analytics_hotspots ORDER BY rank LIMIT :limit) AS h ON true
WHERE s.id = 1 AND s.srid = :srid AND s.eps_m = :eps AND s.min_points = :min_points
  AND NOT EXISTS (SELECT 1 FROM analytics_hotspot_changes)
"""
_TAKE_SNAPSHOT = """
INSERT INTO analytics_hotspots (rank, ticket_count, lat, lon, oldest_id, oldest_number,
    oldest_created_at, categories)
SELECT row_number() OVER (ORDER BY n DESC, oldest_created_at, oldest_id), n, lat, lon,
    oldest_id, oldest_number, oldest_created_at, coalesce(CAST(categories AS jsonb), '[]')
FROM ({live}) AS live
"""
_SAVE_STATE = """
INSERT INTO analytics_hotspot_state (id, srid, eps_m, min_points, refreshed_at)
VALUES (1, :srid, :eps, :min_points, now()) ON CONFLICT (id) DO UPDATE
SET srid = excluded.srid, eps_m = excluded.eps_m, min_points = excluded.min_points,
    refreshed_at = excluded.refreshed_at
"""


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
    params.update(
        srid=utm_srid(area), eps=eps_m, min_points=min_points, limit=limit,
        lo=scope.start(), hi=scope.end(),
    )  # fmt: skip
    rows = None
    if not use_period and not filters and limit <= MAX_LIMIT:
        rows = _snapshot(session, params)
    if rows is None:
        rows = session.execute(text(_live_sql(filters, use_period)), params).all()
    return [_shape(row) for row in rows]


def _live_sql(filters: str, use_period: bool) -> str:
    period = " AND t.created_at >= :lo AND t.created_at < :hi" if use_period else ""
    return _HOTSPOTS.format(period=period, filters=filters)


def _snapshot(session: Session, params: dict[str, Any]) -> list[Any] | None:
    """The snapshot's clusters if it was taken with these parameters and nothing
    changed since; None otherwise. One statement, so one consistent view."""
    rows = session.execute(text(_SNAPSHOT), params).all()
    if not rows:
        return None
    return [row for row in rows if row.n is not None]


def _shape(row: Any) -> dict[str, Any]:
    return {
        "count": int(row.n),
        "centre": {"lat": round(row.lat, 6), "lon": round(row.lon, 6)},
        "categories": row.categories or [],
        "oldest_ticket": {
            "id": row.oldest_id,
            "number": f"#{row.oldest_number}",
            "created_at": row.oldest_created_at,
        },
    }


def refresh_snapshot(session: Session, area: BBox) -> bool:
    """Retake the snapshot of the default hotspots if anything changed since it was
    taken (or it was taken with other parameters); True when retaken. The caller commits.

    The change rows are deleted first: a change committed after that statement started
    keeps its row (the snapshot is then not served until the next refresh), and one
    committed before it is seen by the clustering, which runs later.
    """
    session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": _SNAPSHOT_LOCK})
    session.execute(text("SET LOCAL jit = off"))  # compiling costs more than it saves here
    params = {
        "srid": utm_srid(area), "eps": DEFAULT_EPS_M, "min_points": DEFAULT_MIN_POINTS,
        "limit": MAX_LIMIT,
    }  # fmt: skip
    changed = session.execute(text("DELETE FROM analytics_hotspot_changes")).rowcount > 0
    taken = session.execute(
        text("SELECT srid, eps_m, min_points FROM analytics_hotspot_state WHERE id = 1")
    ).first()
    wanted = (params["srid"], params["eps"], params["min_points"])
    if not changed and taken is not None and tuple(taken) == wanted:
        return False
    session.execute(text("DELETE FROM analytics_hotspots"))
    session.execute(text(_TAKE_SNAPSHOT.format(live=_live_sql("", use_period=False))), params)
    session.execute(text(_SAVE_STATE), params)
    return True

"""Hotspots: where open tickets bunch up (DBSCAN clustering in metres), so a crew can
clear several in one trip. A cluster is at least `min_points` open tickets each within
`eps_m` of another; biggest first, then the one waiting longest.

Clustering every open ticket takes one to two seconds at city scale (100,000 open
tickets), far more than a dashboard may wait, and in a busy city some open ticket
changes every few seconds. So hotspots are served the way a crew plans with them: as
of a recent moment, never older than `HOTSPOTS_MAX_AGE_SECONDS`, and every answer says
which moment (`as_of`).

- The default parameters without filters (what the dashboard asks for) are a snapshot
  retaken by beat (`refresh_snapshot`) whenever something that could move a cluster
  changed: triggers (see the migration) add a row to `analytics_hotspot_changes` for
  every such change, and the refresh deletes them in the transaction that retakes the
  snapshot. With no change since, the snapshot equals the live answer (`as_of` is now);
  otherwise it is served while younger than the maximum age (`as_of` is when it was
  taken), and computed live after that (beat not running).
- Other parameters and filters are computed live and remembered in the process for
  the same maximum age.

`HOTSPOTS_MAX_AGE_SECONDS=0` serves only answers equal to the live one."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.analytics import answer_cache
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
    WHERE t.status IN {OPEN_STATUSES_SQL} AND t.location IS NOT NULL
      AND NOT t.location_approximate {{period}} {{filters}}
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
    h.categories, CASE WHEN c.changed THEN s.refreshed_at ELSE now() END AS as_of
FROM analytics_hotspot_state s
CROSS JOIN (SELECT EXISTS (SELECT 1 FROM analytics_hotspot_changes) AS changed) AS c
LEFT JOIN LATERAL (SELECT * FROM analytics_hotspots ORDER BY rank LIMIT :limit) AS h ON true
WHERE s.id = 1 AND s.srid = :srid AND s.eps_m = :eps AND s.min_points = :min_points
  AND (NOT c.changed OR (CAST(:max_age AS double precision) > 0
       AND s.refreshed_at >= now() - make_interval(secs => CAST(:max_age AS double precision))))
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
    max_age_s: float = 0,
) -> tuple[list[dict[str, Any]], datetime]:
    """Clusters of open tickets, and the moment they are exact for (at most `max_age_s`
    ago); the period applies (to creation) only when `use_period`."""
    filters, params = scope.filter_sql("t")
    params.update(
        srid=utm_srid(area), eps=eps_m, min_points=min_points, limit=limit,
        lo=scope.start(), hi=scope.end(), max_age=max_age_s,
    )  # fmt: skip
    if not use_period and not filters and limit <= MAX_LIMIT:
        served = _snapshot(session, params)
        if served is not None:
            return served
    sql = _live_sql(filters, use_period)

    def live() -> tuple[list[dict[str, Any]], datetime]:
        as_of = datetime.now(UTC)
        return [_shape(row) for row in session.execute(text(sql), params).all()], as_of

    if max_age_s <= 0:
        return live()
    # Remembered for one window of `max_age_s`: an answer is never older than that.
    used = tuple(sorted((k, v) for k, v in params.items() if f":{k}" in sql))
    key = ("hotspots", sql, used, int(time.time() // max_age_s))
    return answer_cache.remembered(key, live, weight=lambda answer: max(1, len(answer[0])))


def _live_sql(filters: str, use_period: bool) -> str:
    period = " AND t.created_at >= :lo AND t.created_at < :hi" if use_period else ""
    return _HOTSPOTS.format(period=period, filters=filters)


def _snapshot(
    session: Session, params: dict[str, Any]
) -> tuple[list[dict[str, Any]], datetime] | None:
    """The snapshot's clusters and the moment they are exact for, if it was taken with
    these parameters and nothing changed since or it is younger than the maximum age;
    None otherwise. One statement, so one consistent view."""
    rows = session.execute(text(_SNAPSHOT), params).all()
    if not rows:
        return None
    return [_shape(row) for row in rows if row.n is not None], rows[0].as_of


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

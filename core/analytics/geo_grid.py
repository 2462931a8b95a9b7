"""Map cells: tickets counted in hexagons or squares of a fixed size in metres.

Cells are laid out in the UTM zone of the area asked for (metres on the ground, not
Web Mercator's stretched ones), then returned as WGS 84 GeoJSON polygons for Leaflet,
QGIS or kepler.gl. Each point falls in exactly one cell, found by arithmetic on its
projected coordinates (no grid is generated); only the non-empty cells are drawn.
"""

from __future__ import annotations

import json
import math
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.analytics import answer_cache, rollups
from core.analytics.scope import Scope, day_ranges

CELL_SHAPES = ("hex", "square")
MAX_CELLS = 250_000
BBox = tuple[float, float, float, float]
Cells = dict[tuple[int, int], tuple[int, dict[str, Any]]]

# Points in metres (UTM), from the tickets asked for.
_POINTS = """
SELECT ST_X(p.g) AS x, ST_Y(p.g) AS y FROM (
    SELECT ST_Transform(t.location::geometry, :srid) AS g
    FROM {source}
    WHERE {period}
      AND t.location && ST_MakeEnvelope(:min_lon, :min_lat, :max_lon, :max_lat, 4326)::geography
      AND ST_Covers(ST_MakeEnvelope(:min_lon, :min_lat, :max_lon, :max_lat, 4326),
                    t.location::geometry) {statuses} {filters}
) AS p
"""
# The days asked for: one run of days is a plain range (scanned in parallel), several
# runs (some days left out) are joined.
_ONE_RUN = {"source": "tickets t", "period": "t.created_at >= :lo AND t.created_at < :hi"}
_RUNS = {
    "source": "unnest(CAST(:range_lo AS timestamptz[]), CAST(:range_hi AS timestamptz[]))"
    " AS r(lo, hi) JOIN tickets t ON t.created_at >= r.lo AND t.created_at < r.hi",
    "period": "true",
}
# Square (i, j) is [i*size, (i+1)*size) x [j*size, (j+1)*size), as ST_Square numbers it.
_SQUARES = """
SELECT CAST(floor(x / :size) AS integer) AS i, CAST(floor(y / :size) AS integer) AS j
FROM pts
"""
# ST_Hexagon's layout: flat-topped, centre of (i, j) at (1.5*size*i, h*j), odd columns
# raised by h/2 (h = size*sqrt(3)). A point lies in the nearer centre of the two
# columns that overlap at its x; a point exactly between goes to the lower column.
_HEXAGONS = """
SELECT CASE WHEN d0 <= d1 THEN i0 ELSE i0 + 1 END AS i, CASE WHEN d0 <= d1 THEN j0 ELSE j1 END AS j
FROM (
    SELECT i0, j0, j1,
        power(x - 1.5 * :size * i0, 2) + power(y - (:h * j0 + o0), 2) AS d0,
        power(x - 1.5 * :size * (i0 + 1), 2) + power(y - (:h * j1 + o1), 2) AS d1
    FROM (
        SELECT x, y, i0, o0, o1,
            CAST(round((y - o0) / :h) AS integer) AS j0,
            CAST(round((y - o1) / :h) AS integer) AS j1
        FROM (
            SELECT x, y, i0,
                CASE WHEN i0 % 2 <> 0 THEN :h / 2 ELSE 0 END AS o0,
                CASE WHEN (i0 + 1) % 2 <> 0 THEN :h / 2 ELSE 0 END AS o1
            FROM (SELECT x, y, CAST(floor(x / (1.5 * :size)) AS integer) AS i0
                  FROM pts) AS a
        ) AS b
    ) AS c
) AS d
"""
# The points are computed once (MATERIALIZED): inlined, each use of x and y would
# project the point again.
_CELLS = """
WITH pts AS MATERIALIZED ({points})
SELECT i, j, count(*) AS n, ST_AsGeoJSON(
    ST_Transform({cell}(:size, i, j, ST_SetSRID(ST_Point(0, 0), :srid)), 4326), 6
) AS geometry
FROM ({indexed}) AS cells GROUP BY i, j
"""


class GridTooFine(ValueError):
    """The bbox would be cut into more cells than we are willing to consider."""


def utm_srid(bbox: BBox) -> int:
    """The EPSG code of the UTM zone at the centre of `bbox` (Istanbul: 32635)."""
    lon = (bbox[0] + bbox[2]) / 2
    lat = (bbox[1] + bbox[3]) / 2
    zone = min(60, int((lon + 180) // 6) + 1)
    return (32600 if lat >= 0 else 32700) + zone


def approximate_cells(bbox: BBox, size_m: float, shape: str) -> int:
    mid_lat = math.radians((bbox[1] + bbox[3]) / 2)
    width = (bbox[2] - bbox[0]) * 111_320 * math.cos(mid_lat)
    height = (bbox[3] - bbox[1]) * 110_574
    area = size_m * size_m if shape == "square" else 3 * math.sqrt(3) / 2 * size_m * size_m
    return int(width * height / area) + 1


def heatmap(
    session: Session, scope: Scope, bbox: BBox, shape: str, size_m: float, statuses: list[str]
) -> dict[str, Any]:
    """A GeoJSON FeatureCollection of the non-empty cells, busiest first.

    The counts of the period's clean days are remembered (core/analytics/answer_cache.py)
    until the next refresh or until another day becomes dirty; the dirty days (every
    change that can move a ticket between cells or counts marks its day) are counted
    live and added. Without a rollup every day is counted live.
    """
    if approximate_cells(bbox, size_m, shape) > MAX_CELLS:
        raise GridTooFine(f"that would be over {MAX_CELLS} cells; use a larger size or bbox")
    grid = (scope, tuple(bbox), shape, size_m, tuple(sorted(statuses)))
    found = rollups.versioned_days(session, scope.zone, scope.first_day, scope.last_day)
    dirty = set(found[1]) if found is not None else set(scope.days())
    clean = [day for day in scope.days() if day not in dirty]
    if not clean:
        return _collection(_cells(session, grid, sorted(dirty)))
    cells, collection = answer_cache.remembered(
        found and ("heatmap", found[0], tuple(sorted(dirty)), grid),
        lambda: _counted(_cells(session, grid, clean)),
        weight=lambda counted: 1 + len(counted[0]),
    )
    if not dirty:
        return collection
    return _collection(_add(cells, _cells(session, grid, sorted(dirty))))


def _counted(cells: Cells) -> tuple[Cells, dict[str, Any]]:
    return cells, _collection(cells)


def _collection(cells: Cells) -> dict[str, Any]:
    ordered = sorted(cells.items(), key=lambda item: (-item[1][0], item[0]))
    features = [
        {
            "type": "Feature",
            "id": f"{i}:{j}",
            "geometry": geometry,
            "properties": {"count": n, "i": i, "j": j},
        }
        for (i, j), (n, geometry) in ordered
    ]
    return {"type": "FeatureCollection", "features": features}


def _cells(session: Session, grid: tuple, days: list) -> Cells:
    """(i, j) → (tickets, GeoJSON polygon) of the non-empty cells on `days`."""
    scope, bbox, shape, size_m, statuses = grid
    filters, params = scope.filter_sql("t")
    status_sql = " AND t.status = ANY(:statuses)" if statuses else ""
    indexed = _HEXAGONS if shape == "hex" else _SQUARES
    cell = "ST_Hexagon" if shape == "hex" else "ST_Square"
    range_lo, range_hi = day_ranges(days, scope.zone)
    days_sql = _ONE_RUN if len(range_lo) == 1 else _RUNS
    points = _POINTS.format(**days_sql, statuses=status_sql, filters=filters)
    sql = _CELLS.format(points=points, cell=cell, indexed=indexed)
    params.update(
        srid=utm_srid(bbox), size=size_m, h=size_m * math.sqrt(3), range_lo=range_lo,
        range_hi=range_hi, lo=range_lo[0], hi=range_hi[0], statuses=list(statuses),
        min_lon=bbox[0], min_lat=bbox[1], max_lon=bbox[2], max_lat=bbox[3],
    )  # fmt: skip
    return {
        (row.i, row.j): (int(row.n), json.loads(row.geometry))
        for row in session.execute(text(sql), params)
    }


def _add(remembered: Cells, live: Cells) -> Cells:
    """The two counts per cell summed (a new dict: the remembered one is shared)."""
    total = dict(remembered)
    for ij, (n, geometry) in live.items():
        total[ij] = (total[ij][0] + n, geometry) if ij in total else (n, geometry)
    return total

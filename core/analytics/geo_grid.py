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

from core.analytics.scope import Scope

CELL_SHAPES = ("hex", "square")
MAX_CELLS = 250_000
BBox = tuple[float, float, float, float]

# Points in metres (UTM), from the tickets asked for.
_POINTS = """
SELECT ST_X(p.g) AS x, ST_Y(p.g) AS y FROM (
    SELECT ST_Transform(t.location::geometry, :srid) AS g
    FROM tickets t
    WHERE t.location && ST_MakeEnvelope(:min_lon, :min_lat, :max_lon, :max_lat, 4326)::geography
      AND ST_Covers(ST_MakeEnvelope(:min_lon, :min_lat, :max_lon, :max_lat, 4326),
                    t.location::geometry)
      AND t.created_at >= :lo AND t.created_at < :hi {statuses} {filters}
) AS p
"""
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
FROM ({indexed}) AS cells GROUP BY i, j ORDER BY n DESC, i, j
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
    """A GeoJSON FeatureCollection of the non-empty cells, busiest first."""
    if approximate_cells(bbox, size_m, shape) > MAX_CELLS:
        raise GridTooFine(f"that would be over {MAX_CELLS} cells; use a larger size or bbox")
    filters, params = scope.filter_sql("t")
    status_sql = " AND t.status = ANY(:statuses)" if statuses else ""
    points = _POINTS.format(statuses=status_sql, filters=filters)
    indexed = _HEXAGONS if shape == "hex" else _SQUARES
    cell = "ST_Hexagon" if shape == "hex" else "ST_Square"
    sql = _CELLS.format(points=points, cell=cell, indexed=indexed)
    params.update(
        srid=utm_srid(bbox), size=size_m, h=size_m * math.sqrt(3), lo=scope.start(),
        hi=scope.end(), statuses=statuses,
        min_lon=bbox[0], min_lat=bbox[1], max_lon=bbox[2], max_lat=bbox[3],
    )  # fmt: skip
    features = [
        {
            "type": "Feature",
            "id": f"{row.i}:{row.j}",
            "geometry": json.loads(row.geometry),
            "properties": {"count": int(row.n), "i": row.i, "j": row.j},
        }
        for row in session.execute(text(sql), params)
    ]
    return {"type": "FeatureCollection", "features": features}

"""Map cells: tickets counted in hexagons or squares of a fixed size in metres.

Cells are laid out in the UTM zone of the area asked for (metres on the ground, not
Web Mercator's stretched ones), then returned as WGS 84 GeoJSON polygons for Leaflet,
QGIS or kepler.gl. Each point falls in exactly one cell: a point on a shared edge goes
to the cell with the lowest (i, j).
"""

from __future__ import annotations

import json
import math
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

from core.analytics.scope import Scope

CELL_SHAPES = {"hex": ("ST_HexagonGrid", "ST_Hexagon"), "square": ("ST_SquareGrid", "ST_Square")}
MAX_CELLS = 250_000
BBox = tuple[float, float, float, float]

_CELLS = """
WITH pts AS (
    SELECT ST_Transform(t.location::geometry, :srid) AS g
    FROM tickets t
    WHERE t.location && ST_MakeEnvelope(:min_lon, :min_lat, :max_lon, :max_lat, 4326)::geography
      AND ST_Covers(ST_MakeEnvelope(:min_lon, :min_lat, :max_lon, :max_lat, 4326),
                    t.location::geometry)
      AND t.created_at >= :lo AND t.created_at < :hi {statuses} {filters}
), cells AS (
    SELECT c.i, c.j, count(*) AS n
    FROM pts CROSS JOIN LATERAL (
        SELECT h.i, h.j FROM {grid}(:size, pts.g) AS h
        WHERE ST_Intersects(h.geom, pts.g) ORDER BY h.i, h.j LIMIT 1
    ) AS c
    GROUP BY c.i, c.j
)
SELECT i, j, n, ST_AsGeoJSON(
    ST_Transform({cell}(:size, i, j, ST_SetSRID(ST_Point(0, 0), :srid)), 4326), 6
) AS geometry
FROM cells ORDER BY n DESC, i, j
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
    grid, cell = CELL_SHAPES[shape]
    filters, params = scope.filter_sql("t")
    status_sql = " AND t.status = ANY(:statuses)" if statuses else ""
    sql = _CELLS.format(grid=grid, cell=cell, statuses=status_sql, filters=filters)
    params.update(
        srid=utm_srid(bbox), size=size_m, lo=scope.start(), hi=scope.end(), statuses=statuses,
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

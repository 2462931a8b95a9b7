"""What a web worker does once before it takes traffic (gunicorn's post_worker_init),
so that its first request does not pay on the user's time for what every process pays
once: SQLAlchemy configuring its mappers, the first database connection, and that
backend loading PostGIS and the city's UTM projection (the first heatmap in a fresh
process spent about 30 ms on those alone).

One worker of those booting together also brings the default heatmaps up to date in
Redis (what beat does every HEATMAP_PRECOMPUTE_SECONDS, core/analytics/map_upkeep.py):
on a city's very first start, or after Redis lost them, beat's first run is still a
minute off, and the first manager to open the dashboard would count a month of tickets
(3.6–5.7x count(*) at a million), and every filtered one too (the maps' cubes:
core/analytics/cell_cube.py). About 1.7 s at that size for the six default maps, once
per boot.

Never fatal: a database that is down at boot is /readyz's to report, not a reason to
keep the worker from starting.
"""

from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import configure_mappers

from core.analytics import map_upkeep, shared_cells
from core.analytics.geo_grid import utm_srid

log = logging.getLogger(__name__)

# A point of the city in its map zone: loads PostGIS and PROJ's definition of the zone;
# the empty read of tickets loads the table's and its indexes' catalogue entries.
_WARM = "SELECT ST_Transform(ST_SetSRID(ST_Point(:lon, :lat), 4326), :srid)"


def warm_up(app: Flask) -> None:
    configure_mappers()
    bbox = app.config["SOSOFT"].SERVICE_AREA_BBOX
    centre = {"lon": (bbox[0] + bbox[2]) / 2, "lat": (bbox[1] + bbox[3]) / 2}
    try:
        with app.extensions["sosoft.db"].engine.connect() as conn:
            conn.execute(text(_WARM), {**centre, "srid": utm_srid(bbox)})
            conn.execute(text("SELECT map_x FROM tickets LIMIT 0"))
    except SQLAlchemyError as exc:
        log.warning("web worker not warmed up: database %s", type(exc).__name__)
        return
    _share_default_maps(app)


def _share_default_maps(app: Flask) -> None:
    settings = app.config["SOSOFT"]
    if not settings.HEATMAP_PRECOMPUTED or settings.HEATMAP_PRECOMPUTE_SECONDS <= 0:
        return
    shared = shared_cells.connect(settings.REDIS_URL)
    if not shared.claim("warm-up", settings.HEATMAP_PRECOMPUTE_SECONDS):
        return  # another worker booting now does it, or did a moment ago
    try:
        cells = map_upkeep.share_default_maps(app.extensions["sosoft.db"], settings, shared)
    except SQLAlchemyError as exc:
        log.warning("default heatmaps not shared at boot: database %s", type(exc).__name__)
        return
    log.info("default heatmaps shared at boot: %d cells", cells)

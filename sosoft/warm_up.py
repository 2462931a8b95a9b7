"""What a web worker does once before it takes traffic (gunicorn's post_worker_init),
so that its first request does not pay on the user's time for what every process pays
once: SQLAlchemy configuring its mappers, the first database connection, and that
backend loading PostGIS and the city's UTM projection (the first heatmap in a fresh
process spent about 30 ms on those alone).

Never fatal: a database that is down at boot is /readyz's to report, not a reason to
keep the worker from starting.
"""

from __future__ import annotations

import logging

from flask import Flask
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import configure_mappers

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

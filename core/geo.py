"""Geography: the service area, points, and the nearby search both the API
and the bot's duplicate check use."""

from __future__ import annotations

import math
from typing import Any

from geoalchemy2 import Geography, WKBElement, WKTElement
from geoalchemy2.shape import to_shape
from sqlalchemy import Select, cast, func, select
from sqlalchemy.orm import Session

from core.config import Settings
from core.models import Ticket
from core.models.tickets import OPEN_STATUSES


class OutsideServiceArea(ValueError):
    pass


def valid_coordinates(lat: float, lon: float) -> bool:
    return math.isfinite(lat) and math.isfinite(lon) and -90 <= lat <= 90 and -180 <= lon <= 180


def bbox_problem(bbox: tuple[float, ...]) -> str | None:
    """What is wrong with a (minLon, minLat, maxLon, maxLat) box, or None.

    The box is compared with geography, whose edges are great-circle arcs: an edge
    between antipodal points has no single arc (PostGIS refuses the query), and an
    edge longer than half the globe would take the short way round. So a box spans
    less than 180 degrees either way: far more than any city, and still a valid map view.
    """
    if len(bbox) != 4 or not all(math.isfinite(v) for v in bbox):
        return "expected minLon,minLat,maxLon,maxLat"
    min_lon, min_lat, max_lon, max_lat = bbox
    if not (-180 <= min_lon <= 180 and -180 <= max_lon <= 180):
        return "longitudes within ±180"
    if not (-90 <= min_lat <= 90 and -90 <= max_lat <= 90):
        return "latitudes within ±90"
    if not (min_lon < max_lon and min_lat < max_lat):
        return "min must be below max: minLon,minLat,maxLon,maxLat"
    if max_lon - min_lon >= 180 or max_lat - min_lat >= 180:
        return "a box spans less than 180 degrees of longitude and of latitude"
    return None


def check_in_service_area(settings: Settings, lat: float, lon: float) -> None:
    """Raise OutsideServiceArea unless (lat, lon) lies in the configured area."""
    if not valid_coordinates(lat, lon):
        raise OutsideServiceArea("latitude must be within ±90 and longitude within ±180")
    min_lon, min_lat, max_lon, max_lat = settings.SERVICE_AREA_BBOX
    if not (min_lat <= lat <= max_lat and min_lon <= lon <= max_lon):
        raise OutsideServiceArea(
            "this location is outside the city's service area "
            f"(lat {min_lat}..{max_lat}, lon {min_lon}..{max_lon})"
        )


def point(lat: float, lon: float):
    """A geography point for (lat, lon); PostGIS wants (lon, lat) order."""
    return cast(func.ST_SetSRID(func.ST_MakePoint(lon, lat), 4326), Geography(srid=4326))


def stored_point(lat: float, lon: float) -> WKTElement:
    """The same point as a value to store rather than an SQL expression, so a compiled
    INSERT takes it as a parameter (core.direct_rows). `repr` of a float reads back as
    the same float: the point is exactly the one `point` makes."""
    return WKTElement(f"POINT({lon!r} {lat!r})", srid=4326)


def lat_lon(location: WKBElement | None) -> tuple[float, float] | None:
    if location is None:
        return None
    shape = to_shape(location)
    return shape.y, shape.x


def nearby_open_tickets(
    session: Session,
    lat: float,
    lon: float,
    radius_m: float,
    *,
    category_id: int | None = None,
    limit: int = 20,
) -> list[tuple[Ticket, float]]:
    """Open tickets within `radius_m` metres, nearest first, with their distance."""
    query = nearby_open_query(Ticket, lat=lat, lon=lon, radius_m=radius_m, category_id=category_id)
    return [(ticket, float(dist)) for ticket, dist in session.execute(query.limit(limit))]


def nearby_open_query(
    *columns: Any, lat: float, lon: float, radius_m: float, category_id: int | None = None
) -> Select[Any]:
    """SELECT `columns` and the distance in metres (last) of the open tickets within
    `radius_m`, nearest first. ST_DWithin on geography uses the GiST index on
    tickets.location. (The webhook's duplicate check selects a few columns, not
    whole tickets: building ORM objects costs more than the search.) An approximate
    point (an area's centre) is nowhere near anything in particular: left out."""
    here = point(lat, lon)
    distance = func.ST_Distance(Ticket.location, here).label("distance_m")
    query = (
        select(*columns, distance)
        .where(
            Ticket.status.in_(OPEN_STATUSES),
            func.ST_DWithin(Ticket.location, here, radius_m),
            Ticket.location_approximate.is_(False),
        )
        .order_by(distance, Ticket.id)
    )
    if category_id is not None:
        query = query.where(Ticket.category_id == category_id)
    return query

"""Typed addresses looked up on a Nominatim-compatible geocoder (GEOCODER_URL).

Cities run their own (Nominatim, or anything that answers its `/search` API), so
nothing is called when GEOCODER_URL is unset. Answers are limited to the service
area twice: the request asks for it (`viewbox` + `bounded`), and every result
outside SERVICE_AREA_BBOX is dropped anyway, as are results that are not places
(a missing or non-numeric coordinate, an answer that is not a JSON list). A
timeout, a refused connection or an HTTP error is "nothing found": the citizen can
still share a pin, and the report keeps the address as typed.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from typing import Any

import requests

from core.config import Settings

log = logging.getLogger(__name__)

MAX_RESULTS = 5
MAX_QUERY = 300
MAX_LABEL = 120


@dataclass(frozen=True)
class Place:
    lat: float
    lon: float
    label: str  # short, as the citizen reads it back: "Moda Caddesi 25, Caferağa"


def geocode(settings: Settings, text: str, http: requests.Session) -> list[Place]:
    """Places matching `text` inside the service area, best first; [] when none or
    when the geocoder is unset, slow or broken."""
    query = " ".join((text or "").split())[:MAX_QUERY]
    if not settings.GEOCODER_URL or not query:
        return []
    min_lon, min_lat, max_lon, max_lat = settings.SERVICE_AREA_BBOX
    params = {
        "q": query,
        "format": "jsonv2",
        "addressdetails": "1",
        "limit": str(MAX_RESULTS),
        "viewbox": f"{min_lon},{max_lat},{max_lon},{min_lat}",
        "bounded": "1",
        "accept-language": settings.DEFAULT_LOCALE,
    }
    try:
        response = http.get(
            settings.GEOCODER_URL.rstrip("/") + "/search",
            params=params,
            timeout=settings.GEOCODER_TIMEOUT_SECONDS,
            # Nominatim's usage policy asks every client to name itself.
            headers={"User-Agent": f"SoSoft (+{settings.PUBLIC_BASE_URL})"},
        )
        response.raise_for_status()
        results = response.json()
    except (requests.RequestException, ValueError) as exc:
        log.warning("geocoder lookup failed: %s", type(exc).__name__)
        return []
    if not isinstance(results, list):
        return []
    places = (_place(item) for item in results[:MAX_RESULTS] if isinstance(item, dict))
    return [p for p in places if p is not None and _inside(settings, p)]


def _place(item: dict[str, Any]) -> Place | None:
    lat, lon = _coordinate(item.get("lat")), _coordinate(item.get("lon"))
    if lat is None or lon is None or not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    return Place(lat, lon, _label(item))


def _coordinate(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def _label(item: dict[str, Any]) -> str:
    """Road and number, and the neighbourhood, when the answer says them; else the
    first parts of its display name."""
    address = item.get("address") if isinstance(item.get("address"), dict) else {}
    road = _text(address.get("road"))
    street = " ".join(part for part in (road, _text(address.get("house_number"))) if part)
    area = next(
        (
            _text(address.get(key))
            for key in ("suburb", "neighbourhood", "quarter", "city_district", "town")
            if _text(address.get(key))
        ),
        "",
    )
    label = ", ".join(part for part in (street, area) if part)
    if not road:
        parts = [p.strip() for p in _text(item.get("display_name")).split(",") if p.strip()]
        label = ", ".join(parts[:3])
    return label[:MAX_LABEL] or "?"


def _text(value: Any) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _inside(settings: Settings, place: Place) -> bool:
    min_lon, min_lat, max_lon, max_lat = settings.SERVICE_AREA_BBOX
    return min_lat <= place.lat <= max_lat and min_lon <= place.lon <= max_lon

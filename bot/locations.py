"""Points typed in the chat: coordinates as people copy them, and map links.

"41.0082, 28.9784", "41.0082 28.9784", Turkish decimal commas ("41,0082 28,9784")
and the links map apps share ("https://maps.google.com/?q=41.0082,28.9784", with the
comma percent-encoded or an `@lat,lon,zoom` path) all give the point; a link that
holds no coordinates (a short link) is taken as a typed address instead.
"""

from __future__ import annotations

import re
from urllib.parse import unquote

BBox = tuple[float, float, float, float]

_DOT_PAIR = re.compile(r"^\s*(-?\d{1,2}(?:[.]\d+)?)\s*[,;/ ]\s*(-?\d{1,3}(?:[.]\d+)?)\s*$")
# Decimal commas need a space (or a semicolon) between the two numbers.
_COMMA_PAIR = re.compile(r"^\s*(-?\d{1,2}(?:,\d+)?)\s*[; ]\s*(-?\d{1,3}(?:,\d+)?)\s*$")
_LINK = re.compile(r"^\s*https?://\S+\s*$", re.IGNORECASE)
_IN_LINK = re.compile(r"(?:[?&](?:q|query|ll|daddr|destination)=|/@|/place/)"
                      r"\s*(-?\d{1,2}\.\d+)\s*,\s*(-?\d{1,3}\.\d+)")  # fmt: skip


def typed_coordinates(text: str) -> tuple[float, float] | None:
    """(lat, lon) typed or in a map link, or None."""
    match = _DOT_PAIR.match(text) or _COMMA_PAIR.match(text)
    if match is None and _LINK.match(text):
        match = _IN_LINK.search(unquote(text))
    if match is None:
        return None
    lat, lon = (float(part.replace(",", ".")) for part in match.groups())
    return (lat, lon) if -90 <= lat <= 90 and -180 <= lon <= 180 else None


def is_map_link(text: str) -> bool:
    return bool(_LINK.match(text))


def in_service_area(service_area: BBox, lat: float, lon: float) -> bool:
    min_lon, min_lat, max_lon, max_lat = service_area
    return min_lat <= lat <= max_lat and min_lon <= lon <= max_lon

"""Where a typed address roughly is, from the area names the project ships with.

When no geocoder is configured, or it finds nothing, an address that names one of
the city's districts (or a neighbourhood that only one district has) still tells
staff which part of the city to look at: the area's centre is kept as an
approximate point. It is never mistaken for the place itself (the ticket still
needs a precise location, and duplicate checks and hotspots leave it out).

The names are Istanbul's (core/districts.py); a district whose centre lies outside
the configured service area is not offered, so another city gets no Istanbul points.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from core.districts import DISTRICTS
from core.folding import fold

BBox = tuple[float, float, float, float]


@dataclass(frozen=True)
class Area:
    name: str  # as people read it: "Kadıköy", or "Caferağa, Kadıköy"
    lat: float
    lon: float


@dataclass(frozen=True)
class _Name:
    words: tuple[str, ...]
    area: Area


@lru_cache(maxsize=1)
def _names() -> tuple[tuple[_Name, ...], tuple[_Name, ...]]:
    """(district names, neighbourhood names that belong to one district only)."""
    districts = tuple(
        _Name(tuple(fold(d.name).split()), Area(d.name, d.lat, d.lon)) for d in DISTRICTS
    )
    district_words = {name.words for name in districts}
    counts = Counter(fold(hood) for d in DISTRICTS for hood in set(d.neighbourhoods))
    hoods = tuple(
        _Name(tuple(fold(hood).split()), Area(f"{hood}, {d.name}", d.lat, d.lon))
        for d in DISTRICTS
        for hood in d.neighbourhoods
        if counts[fold(hood)] == 1 and tuple(fold(hood).split()) not in district_words
    )
    return districts, hoods


def approximate_area(text: str, service_area: BBox) -> Area | None:
    """The district (or its centre, by a neighbourhood) that `text` names, or None.

    A district named wins over a neighbourhood; two districts named is no answer.
    """
    words = fold(text).split()
    districts, hoods = _names()
    for candidates, not_before in ((districts, _NEIGHBOURHOOD_WORDS), (hoods, frozenset())):
        found = {n.area for n in candidates if _contains(words, n.words, not_before)}
        found = {a for a in found if _inside(a, service_area)}
        if len(found) == 1:
            return found.pop()
        if found:
            return None
    return None


# "Fatih Mahallesi" is a neighbourhood of Esenyurt, not the district of Fatih.
_NEIGHBOURHOOD_WORDS = frozenset({"mahallesi", "mahalle", "mah", "mh"})


def _contains(words: list[str], name: tuple[str, ...], not_before: frozenset[str]) -> bool:
    """`name` stands in `words`, its last word perhaps with a suffix ("Kadıköy'de"),
    and not followed by one of `not_before`."""
    size = len(name)
    for start in range(len(words) - size + 1):
        window = words[start : start + size]
        following = words[start + size] if start + size < len(words) else ""
        if (
            window[:-1] == list(name[:-1])
            and _word_or_inflected(window[-1], name[-1])
            and following not in not_before
        ):
            return True
    return False


# Case endings an area name takes in an address: -de/-da (in), -den/-dan (from),
# -nin/-nın (of), -e/-a (to), -ye/-ya, and the apostrophe people put before them,
# which folding turns into a separate word.
_SUFFIXES = ("de", "da", "te", "ta", "den", "dan", "ten", "tan", "nin", "in", "un", "e", "a",
             "ye", "ya", "ndeki", "ndaki", "deki", "daki", "teki", "taki", "nde", "nda")  # fmt: skip


def _word_or_inflected(word: str, name: str) -> bool:
    return word == name or (word.startswith(name) and word[len(name) :] in _SUFFIXES)


def _inside(area: Area, service_area: BBox) -> bool:
    min_lon, min_lat, max_lon, max_lat = service_area
    return min_lat <= area.lat <= max_lat and min_lon <= area.lon <= max_lon

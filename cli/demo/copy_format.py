"""PostgreSQL COPY text format: one line per row, tab-separated, `\\N` for NULL.

Demo rows are formatted straight into COPY lines because building strings is far
cheaper than adapting Python values one by one, and COPY is the fastest way in.
"""

from __future__ import annotations

import re
import struct
from datetime import UTC, datetime
from functools import lru_cache

NULL = "\\N"
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]")
# EWKB header of a 2D point with an SRID: little endian, type 1 | SRID flag, 4326.
_POINT_HEADER = struct.pack("<BII", 1, 0x20000001, 4326)


def text(value: str | None) -> str:
    if value is None:
        return NULL
    return value.translate(_ESCAPES) if _NEEDS_ESCAPE.search(value) else value


def number(value: int | None) -> str:
    return NULL if value is None else str(value)


def boolean(value: bool | None) -> str:
    if value is None:
        return NULL
    return "t" if value else "f"


@lru_cache(maxsize=4096)
def _day(day_number: int) -> str:
    return datetime.fromtimestamp(day_number * 86400, UTC).strftime("%Y-%m-%d ")


# Every second of a day, formatted once: timestamps are the most frequent field.
_CLOCK = tuple(f"{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}+00" for s in range(86400))


def timestamp(epoch_seconds: int | None) -> str:
    """A UTC timestamptz literal for whole epoch seconds."""
    if epoch_seconds is None:
        return NULL
    day, second = divmod(epoch_seconds, 86400)
    return _day(day) + _CLOCK[second]


def point(lat: float, lon: float) -> str:
    """Hex EWKB of a WGS 84 point, which geography(Point,4326) accepts as input."""
    return (_POINT_HEADER + struct.pack("<dd", lon, lat)).hex()


def line(*fields: str) -> str:
    """One COPY line from already formatted fields."""
    return "\t".join(fields) + "\n"

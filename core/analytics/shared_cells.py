"""Heatmap cells shared between processes through Redis, so that a freshly started web
process's first map reads what another process (or beat) counted instead of counting a
month of a busy city itself.

Three kinds of entry, all exact whenever they are used (core/analytics/geo_grid.py):
- a map's counts with the snapshot they were counted in: a reader adds the ticket moves
  that snapshot did not see, as it does with its own remembered counts. An entry lives
  `ttl` seconds after it was last written (geo_grid.RECOUNT_SECONDS), well within the
  time moves are kept, so its snapshot's moves are always still there;
- a default map's cube (core/analytics/cell_cube.py), its counts per cell and filter
  combination with their snapshot, kept the same way: a filtered map with no count of
  its own starts from it;
- a grid's cell polygons (GeoJSON text per cell id): a cell's polygon never changes, so
  they are only ever added to, and kept `POLYGONS_TTL_SECONDS` after the last addition.

Redis is a cache here, never the truth: any error (down, slow, full) makes the map be
computed as without it, and Redis is left alone for `PAUSE_AFTER_ERROR_SECONDS` so
that a hanging Redis costs one request a timeout, not every request.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from array import array
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np
from redis import Redis, RedisError

from core.analytics.cell_cube import Cube

log = logging.getLogger(__name__)

PREFIX = "sosoft:heatmap"
POLYGONS_TTL_SECONDS = 6 * 3600
PAUSE_AFTER_ERROR_SECONDS = 30.0
Cell = tuple[int, int]


@dataclass(frozen=True)
class SharedCount:
    """A map's counts as another process left them: `taken` is the snapshot they were
    counted in (geo_grid's `_counted`), `age` seconds ago that entry was written."""

    taken: dict[str, Any]
    counts: dict[Cell, int]
    age: float


class SharedCells:
    """The shared store; every method fails soft (None, {} or nothing written)."""

    def __init__(self, client: Redis | None) -> None:
        self.client = client
        self._paused_until = 0.0
        self._lock = threading.Lock()

    def reachable(self) -> bool:
        return bool(self._call(lambda c: c.ping()))

    def counts(self, map_id: str, ttl: int) -> SharedCount | None:
        """The map's shared counts, or None (none, or Redis unavailable)."""
        found = self._entry(f"{PREFIX}:cells:{map_id}", ttl)
        if found is None:
            return None
        header, body, age = found
        flat = array("i")
        flat.frombytes(body)
        counts = dict(zip(zip(flat[0::3], flat[1::3], strict=True), flat[2::3], strict=True))
        return SharedCount(json.loads(header), counts, age)

    def keep_counts(
        self, map_id: str, taken: dict[str, Any], counts: dict[Cell, int], ttl: int
    ) -> None:
        flat = array("i", (v for (i, j), n in counts.items() for v in (i, j, n)))
        value = json.dumps(taken).encode() + b"\n" + flat.tobytes()
        self._call(lambda c: c.set(f"{PREFIX}:cells:{map_id}", value, ex=ttl))

    def cube(self, map_id: str, ttl: int) -> tuple[Cube, float] | None:
        """The map's shared cube and its age in seconds, or None."""
        found = self._entry(f"{PREFIX}:cube:{map_id}", ttl)
        if found is None:
            return None
        header, body, age = found
        try:
            head = json.loads(header)
            rows = np.frombuffer(body, dtype="<i4").reshape(-1, 7)
            cube = Cube(head["taken"], rows, tuple(head["channels"]), tuple(head["statuses"]))
        except (ValueError, KeyError, TypeError):
            log.warning("heatmap cube %s unreadable: counted without it", map_id)
            return None
        return cube, age

    def _entry(self, key: str, ttl: int) -> tuple[bytes, bytes, float] | None:
        """An entry written as a header line and a body, and its age in seconds (it was
        written with `ttl`); None when there is none or Redis is unavailable."""
        found = self._call(lambda c: c.pipeline().get(key).pttl(key).execute())
        if not found or found[0] is None:
            return None
        raw, left_ms = found
        header, _, body = raw.partition(b"\n")
        return header, body, max(0.0, ttl - max(left_ms, 0) / 1000)

    def keep_cube(self, map_id: str, cube: Cube, ttl: int) -> None:
        """Channels and statuses by name in the header, the rows as little-endian int32."""
        head = {"taken": cube.taken, "channels": cube.channels, "statuses": cube.statuses}
        value = json.dumps(head).encode() + b"\n" + cube.rows.astype("<i4").tobytes()
        self._call(lambda c: c.set(f"{PREFIX}:cube:{map_id}", value, ex=ttl))

    def polygons(self, grid_id: str, cells: list[Cell]) -> dict[Cell, str]:
        """The polygons of those of `cells` some process has built."""
        if not cells:
            return {}
        fields = [f"{i}:{j}" for i, j in cells]
        found = self._call(lambda c: c.hmget(f"{PREFIX}:polygons:{grid_id}", fields))
        if not found:
            return {}
        return {ij: raw.decode() for ij, raw in zip(cells, found, strict=True) if raw is not None}

    def keep_polygons(self, grid_id: str, polygons: dict[Cell, str]) -> None:
        if not polygons:
            return
        key = f"{PREFIX}:polygons:{grid_id}"
        mapping = {f"{i}:{j}": text for (i, j), text in polygons.items()}

        def write(client: Redis) -> None:
            with client.pipeline() as pipe:
                pipe.hset(key, mapping=mapping).expire(key, POLYGONS_TTL_SECONDS).execute()

        self._call(write)

    def claim(self, name: str, seconds: float) -> bool:
        """True for the one process that claims `name` in the next `seconds` (a web
        worker among several booting at once); False for the others, and when Redis is
        unavailable."""
        key = f"{PREFIX}:claim:{name}"
        return bool(self._call(lambda c: c.set(key, b"1", nx=True, ex=max(int(seconds), 1))))

    def _call(self, operation: Any) -> Any:
        if self.client is None or time.monotonic() < self._paused_until:
            return None
        try:
            return operation(self.client)
        except RedisError as exc:
            with self._lock:
                self._paused_until = time.monotonic() + PAUSE_AFTER_ERROR_SECONDS
            log.warning(
                "heatmap cells not shared for %.0f s: Redis %s",
                PAUSE_AFTER_ERROR_SECONDS,
                type(exc).__name__,
            )
            return None


def connect(redis_url: str) -> SharedCells:
    """A store on its own client with short timeouts: waiting long on a cache would
    cost more than computing the map."""
    client = Redis.from_url(redis_url, socket_connect_timeout=0.5, socket_timeout=1.0)
    return SharedCells(client)


def stable_id(parts: Iterable[object]) -> str:
    """A key for `parts` that every process computes alike (repr of plain values)."""
    return hashlib.sha1(repr(tuple(parts)).encode(), usedforsecurity=False).hexdigest()

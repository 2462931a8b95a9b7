"""What analytics readers compute from slow-changing data, remembered in this process.

Two kinds of entry, both exact whenever they are used:
- the rollup's part of an answer (`remembered`, keyed by `rollups.Split.key`): rows of
  `analytics_daily` change only when a refresh recomputes days, which writes a new
  `refreshed_at` into the key, and a write that takes something away marks its day
  dirty in the writer's own transaction, which changes the key's dirty days (that day is
  then computed live). What writes add (change rows) is read and added on every call.
- heatmaps (`peek`/`remember`, core/analytics/geo_grid.py): cell counts with the
  snapshot they were counted in, brought up to date on every call.

Bounded by weight (an answer's size in rough units: one map cell, about 2 kB, or one
small answer), least recently used first out: a worker holds at most about 60 MB.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from typing import TypeVar

T = TypeVar("T")
MAX_ENTRIES = 256
MAX_WEIGHT = 30_000
MAX_ONE = MAX_WEIGHT // 4  # heavier answers are not kept

_entries: OrderedDict[Hashable, tuple[object, int]] = OrderedDict()
_weight = 0
_lock = threading.Lock()


def remembered(
    key: Hashable | None, compute: Callable[[], T], weight: Callable[[T], int] = lambda _: 1
) -> T:
    """`compute()`, or its remembered value under `key`; never remembered when key is
    None or the answer alone weighs over `MAX_ONE`. Values are shared
    between requests: callers must not change them."""
    global _weight
    if key is None:
        return compute()
    with _lock:
        if key in _entries:
            _entries.move_to_end(key)
            return _entries[key][0]  # type: ignore[return-value]
    value = compute()
    size = weight(value)
    if size > MAX_ONE:
        return value
    with _lock:
        if key not in _entries:
            _entries[key] = (value, size)
            _weight += size
        _evict()
    return value


def peek(key: Hashable) -> object | None:
    """The value remembered under `key`, or None."""
    with _lock:
        found = _entries.get(key)
        if found is None:
            return None
        _entries.move_to_end(key)
        return found[0]


def remember(key: Hashable, value: object, weight: int = 1) -> None:
    """Remember `value` under `key`, replacing what was there (not when it weighs over
    `MAX_ONE`). For answers kept up to date by their callers (core/analytics/geo_grid.py);
    values are shared between requests: callers must not change them."""
    global _weight
    if weight > MAX_ONE:
        return
    with _lock:
        if key in _entries:
            _weight -= _entries.pop(key)[1]
        _entries[key] = (value, weight)
        _weight += weight
        _evict()


def _evict() -> None:
    global _weight
    while len(_entries) > MAX_ENTRIES or _weight > MAX_WEIGHT:
        _, (_, dropped) = _entries.popitem(last=False)
        _weight -= dropped


def forget_all() -> None:
    global _weight
    with _lock:
        _entries.clear()
        _weight = 0

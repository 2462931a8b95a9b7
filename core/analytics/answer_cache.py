"""Answers read from clean rollup days, remembered in this process until the rollup changes.

A clean day's rows in `analytics_daily` change only in a refresh, and every refresh
writes a new `refreshed_at`; a write to a ticket makes its days dirty at once, in the
writer's own transaction. So an answer over days of which none is dirty, keyed by the
`refreshed_at` read in the same statement as the dirty days (`rollups.clean_key`), is
exact for as long as that key is what a reader sees: a refresh gives a new key, and a
write in between makes a day dirty, which gives no key at all (computed live again).

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
        while len(_entries) > MAX_ENTRIES or _weight > MAX_WEIGHT:
            _, (_, dropped) = _entries.popitem(last=False)
            _weight -= dropped
    return value


def forget_all() -> None:
    global _weight
    with _lock:
        _entries.clear()
        _weight = 0

"""Exact percentiles (what PostgreSQL's `percentile_cont` gives) of durations.

The rollup keeps each row's durations sorted. A period's durations are gathered once
per rollup version into one sorted array per group (remembered: see `Split` in
core/analytics/rollups.py); the few added since (change rows, dirty days) are merged in
per request in linear time, so the period is never sorted again on a read.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

import numpy as np

METRICS = ("first_response_s", "resolution_s")
FRACTIONS = (0.5, 0.9)
EMPTY = np.zeros(0, dtype=np.int32)

Sorted = dict[str, dict[Any, np.ndarray]]  # metric → group → sorted durations


def gathered(rows: Iterable[Any], *, total: bool) -> Sorted:
    """Per metric and group (`row.grp`; every row also under None when `total`, or
    when the rows are not grouped), the rows' durations as one sorted array."""
    parts: dict[str, dict[Any, list]] = {m: defaultdict(list) for m in METRICS}
    for row in rows:
        for metric in METRICS:
            values = getattr(row, metric)
            if not values:
                continue
            parts[metric][row.grp].append(values)
            if total and row.grp is not None:
                parts[metric][None].append(values)
    return {
        metric: {grp: _sorted(arrays) for grp, arrays in groups.items()}
        for metric, groups in parts.items()
    }


def _sorted(arrays: list) -> np.ndarray:
    values = np.concatenate([np.asarray(a, dtype=np.int32) for a in arrays])
    values.sort(kind="stable")
    return values


def merged(remembered: Sorted, added: Sorted) -> Sorted:
    """`remembered` with `added` merged in (new arrays: the remembered ones are shared)."""
    result = {metric: dict(groups) for metric, groups in remembered.items()}
    for metric, groups in added.items():
        for grp, small in groups.items():
            big = result[metric].get(grp, EMPTY)
            result[metric][grp] = np.insert(big, np.searchsorted(big, small), small)
    return result


def summary(values: np.ndarray | None) -> tuple[int, list[float] | None]:
    """(how many, [p50, p90] in seconds) of sorted `values`; None when empty."""
    if values is None or not len(values):
        return 0, None
    return len(values), [percentile_cont(values, f) for f in FRACTIONS]


def percentile_cont(values: np.ndarray, fraction: float) -> float:
    h = (len(values) - 1) * fraction
    low = math.floor(h)
    v1 = float(values[low])
    v2 = float(values[min(low + 1, len(values) - 1)])
    return v1 + (h - low) * (v2 - v1)

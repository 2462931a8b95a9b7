"""A default map's counts broken down by everything a heatmap can be filtered on: per
cell, category, team, channel and status, how many tickets (a "cube").

Beat keeps one per default map in Redis next to the map's own count, both exact at the
same snapshot (core/analytics/map_upkeep.py). A freshly started process asked for the
same map with filters (a category, a team, a channel, statuses, any combination) then
sums the cube's matching rows instead of counting a month of tickets, and brings that
count up to date with the filtered moves since the cube's snapshot like any remembered
count (core/analytics/geo_grid.py): the answer is what a count from scratch gives.

The rows are one int32 array (numpy), so that picking a filter's rows out of a busy
month's tens of thousands and summing them per cell costs milliseconds; channel and
status are small ints into the cube's own lists, a ticket without a team `NO_TEAM`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from core.analytics.scope import Scope
from core.models.tickets import CHANNELS, STATUSES

NO_TEAM = -1
# More moves than this (after a bulk load) are added by summing the cube again.
MERGED_MOVES = 500
# The columns of `Cube.rows`.
CELL_I, CELL_J, CATEGORY, TEAM, CHANNEL, STATUS, N = range(7)
Counts = dict[tuple[int, int], int]


@dataclass(frozen=True)
class Cube:
    """`rows` (int32, one row per cell and combination, sorted by cell): i, j,
    category_id, team_id (NO_TEAM for none), channel and status (indexes into
    `channels`/`statuses`), tickets; exact in the snapshot `taken`."""

    taken: dict[str, Any]
    rows: np.ndarray
    channels: tuple[str, ...]
    statuses: tuple[str, ...]


def built(taken: dict[str, Any], data: bytes | None) -> Cube:
    """A cube exact in `taken` of `data`, rows as the database writes them (big-endian
    int32, channel and status numbered as in CHANNELS and STATUSES; see geo_grid's
    `_CUBE_ROWS`), one per cell and combination (its GROUP BY); rows of 0 (moves that
    cancel out) left out."""
    rows = np.frombuffer(data or b"", dtype=">i4").reshape(-1, 7).astype(np.int32)
    return Cube(taken, _by_cell(rows[rows[:, N] != 0]), CHANNELS, STATUSES)


def added(cube: Cube, moves: Cube) -> Cube:
    """`cube` with `moves` (a cube of the signed moves since: -1 as a ticket was, +1 as
    it is) added, exact in the moves' snapshot. Both are numbered alike (`current`)."""
    if not len(moves.rows):
        rows = cube.rows
    elif len(moves.rows) > MERGED_MOVES:
        rows = _summed(np.concatenate((cube.rows, moves.rows)))
    else:
        rows = _merged(cube.rows, moves.rows)
    return Cube(moves.taken, rows, cube.channels, cube.statuses)


def current(cube: Cube) -> bool:
    """Whether `cube` numbers channels and statuses as this code does (one written by
    another version is counted again rather than added to)."""
    return cube.channels == CHANNELS and cube.statuses == STATUSES


def counts(cube: Cube, scope: Scope, statuses: Sequence[str]) -> Counts:
    """Tickets per cell among those matching `scope`'s filters and `statuses` (any
    status when empty): what the map's count from scratch was in the cube's snapshot."""
    rows = cube.rows
    keep = np.ones(len(rows), dtype=bool)
    if scope.category_id is not None:
        keep &= rows[:, CATEGORY] == scope.category_id
    if scope.team_id is not None:
        keep &= rows[:, TEAM] == scope.team_id
    if scope.channel is not None:
        keep &= rows[:, CHANNEL] == _index(cube.channels, scope.channel)
    if statuses:
        keep &= np.isin(rows[:, STATUS], [_index(cube.statuses, s) for s in statuses])
    picked = rows[keep] if not keep.all() else rows
    if not len(picked):
        return {}
    # Sorted by cell: each cell's rows are one run, summed at once.
    starts = _run_starts(picked[:, :CATEGORY])
    sums = np.add.reduceat(picked[:, N], starts)
    cells = zip(picked[starts, CELL_I].tolist(), picked[starts, CELL_J].tolist(), strict=True)
    return {ij: n for ij, n in zip(cells, sums.tolist(), strict=True) if n}


def _index(names: tuple[str, ...], name: str) -> int:
    """`name`'s index, or -1 (matches no row) for one the cube has never seen."""
    return names.index(name) if name in names else -1


def _merged(rows: np.ndarray, moves: np.ndarray) -> np.ndarray:
    """`rows` with a few `moves` added one by one, each found in its cell's run (a
    minute's moves: sorting the whole cube again took 30 ms at 70,000 rows)."""
    keys = _cell_keys(rows)
    total = rows.copy()
    new = []
    for move, key in zip(moves, _cell_keys(moves).tolist(), strict=True):
        lo, hi = np.searchsorted(keys, key, "left"), np.searchsorted(keys, key, "right")
        same = np.flatnonzero((rows[lo:hi, CATEGORY:N] == move[CATEGORY:N]).all(axis=1))
        if len(same):
            total[lo + same[0], N] += move[N]
        else:
            new.append(move)
    if new:
        total = _by_cell(np.concatenate((total, np.array(new, dtype=np.int32))))
    return total[total[:, N] != 0]


def _summed(rows: np.ndarray) -> np.ndarray:
    """Rows of the same cell and combination summed into one, zeros left out, sorted by
    cell (then combination)."""
    if not len(rows):
        return rows
    order = np.lexsort(tuple(rows[:, c] for c in (STATUS, CHANNEL, TEAM, CATEGORY, CELL_J, CELL_I)))
    rows = rows[order]
    starts = _run_starts(rows[:, :N])
    out = np.column_stack((rows[starts, :N], np.add.reduceat(rows[:, N], starts)))
    return out[out[:, N] != 0].astype(np.int32)


def _by_cell(rows: np.ndarray) -> np.ndarray:
    return rows[np.argsort(_cell_keys(rows), kind="stable")]


def _cell_keys(rows: np.ndarray) -> np.ndarray:
    """One int64 per row, ordered as its cell (i, then j)."""
    return (rows[:, CELL_I].astype(np.int64) << 32) + (rows[:, CELL_J].astype(np.int64) + 2**31)


def _run_starts(keys: np.ndarray) -> np.ndarray:
    """Where each run of equal rows of `keys` (sorted) begins."""
    changed = (np.diff(keys, axis=0) != 0).any(axis=1)
    return np.flatnonzero(np.concatenate(([True], changed)))

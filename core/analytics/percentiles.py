"""Exact percentiles (as `percentile_cont`) of the rollup's duration arrays without
sorting every value of the period.

Each rollup row keeps its durations sorted. One query reads a few evenly spaced
samples of every row; they bound how many values lie below any number, which gives a
narrow bracket around each wanted rank. A second query counts, per row, the values
under the bracket (`width_bucket` is a binary search in a sorted array) and returns
only the values inside it; the wanted ranks are then read off directly. If a bracket
ever misses (it cannot by construction, but the check is cheap), that one is asked
again with an open bracket.
"""

from __future__ import annotations

import math
from collections import defaultdict
from typing import Any

import numpy as np
from sqlalchemy import text
from sqlalchemy.orm import Session

METRICS = ("first_response_s", "resolution_s")
FRACTIONS = (0.5, 0.9)
SAMPLES = 16
LOWEST, HIGHEST = -(2**31), 2**31 - 1

_SAMPLE = """
WITH daily AS ({daily}),
arrays AS MATERIALIZED (
    -- Copied once out of TOAST storage, instead of once per sample taken.
    SELECT {group} AS grp, {copies} FROM daily d
)
SELECT grp, {columns} FROM arrays
"""
_SAMPLE_COLUMN = "cardinality({m}) AS n_{m}, ARRAY[{picks}] AS s_{m}"
_PICK = "{m}[CAST(ceil(cardinality({m}) * {j} / {s}.0) AS integer)]"
_BRACKETS = """
WITH daily AS ({daily}),
probes AS (
    SELECT * FROM unnest(CAST(:probe_pid AS integer[]), CAST(:probe_metric AS integer[]),
        CAST(:probe_grp AS text[]), CAST(:probe_lo AS integer[]), CAST(:probe_hi AS integer[]),
        CAST(:probe_r1 AS bigint[]), CAST(:probe_r2 AS bigint[]))
    AS p(pid, metric, grp, lo, hi, r1, r2)
),
arrays AS MATERIALIZED (
    -- Copied once out of TOAST storage, instead of once per probe.
    SELECT CAST({group} AS text) AS g, {copies} FROM daily d
),
cut AS (
    SELECT p.pid, width_bucket(p.lo, x.a) AS below,
        x.a[width_bucket(p.lo, x.a) + 1 : width_bucket(p.hi, x.a)] AS mid
    FROM probes p
    JOIN LATERAL (
        SELECT CASE p.metric {cases} END AS a, r.g FROM arrays r
    ) AS x ON p.grp IS NULL OR x.g = p.grp
),
below AS (SELECT pid, sum(below) AS below FROM cut GROUP BY pid),
inside AS (SELECT pid, array_agg(v ORDER BY v) AS vals FROM cut, unnest(mid) AS v GROUP BY pid)
SELECT b.pid, b.below, coalesce(cardinality(i.vals), 0) AS inside,
    i.vals[p.r1 - b.below] AS v1, i.vals[p.r2 - b.below] AS v2
FROM below b JOIN probes p ON p.pid = b.pid LEFT JOIN inside i ON i.pid = b.pid
"""


def percentiles(
    session: Session, daily_sql: str, params: dict, group: str, *, total: bool
) -> dict[str, dict[Any, tuple[int, list[float] | None]]]:
    """{metric: {group key: (count, [p50, p90] in seconds or None)}}; key None = total."""
    rows = _samples(session, daily_sql, params, group, total)
    probes: list[tuple[str, Any, float, int, int, int, int]] = []
    result: dict[str, dict[Any, tuple[int, list[float] | None]]] = {m: {} for m in METRICS}
    for (metric, key), parts in rows.items():
        n = sum(count for count, _ in parts)
        result[metric][key] = (n, None)
        if n == 0:
            continue
        wanted = []
        for fraction in FRACTIONS:
            h = (n - 1) * fraction
            r1 = math.floor(h) + 1
            wanted.append((h, r1, min(r1 + 1, n)))
        brackets = _brackets(parts, [(r1, r2) for _, r1, r2 in wanted])
        for (h, r1, r2), (lo, hi) in zip(wanted, brackets, strict=True):
            probes.append((metric, key, h, r1, r2, lo, hi))
    answers = _read_brackets(session, daily_sql, params, group, probes)
    for probe, (v1, v2) in zip(probes, answers, strict=True):
        metric, key, h, *_ = probe
        n, found = result[metric][key]
        value = v1 + (h - math.floor(h)) * (v2 - v1)
        result[metric][key] = (n, [*(found or []), value])
    return result


def _samples(session, daily_sql, params, group, total) -> dict[tuple[str, Any], list]:
    columns = ", ".join(
        _SAMPLE_COLUMN.format(
            m=m, picks=", ".join(_PICK.format(m=m, j=j, s=SAMPLES) for j in range(1, SAMPLES + 1))
        )
        for m in METRICS
    )
    sql = _SAMPLE.format(daily=daily_sql, group=group, columns=columns, copies=_copies())
    parts: dict[tuple[str, Any], list] = defaultdict(list)
    for row in session.execute(text(sql), params):
        for metric in METRICS:
            n = getattr(row, f"n_{metric}") or 0
            if not n:
                continue
            sample = (n, getattr(row, f"s_{metric}"))
            if row.grp is not None:
                parts[(metric, row.grp)].append(sample)
            if total or row.grp is None:
                parts[(metric, None)].append(sample)
    for metric in METRICS:
        parts.setdefault((metric, None), [])
    return parts


def _copies() -> str:
    return ", ".join(f"d.{m} || CAST('{{}}' AS integer[]) AS {m}" for m in METRICS)


def _brackets(
    parts: list[tuple[int, list[int]]], ranks: list[tuple[int, int]]
) -> list[tuple[int, int]]:
    """Per (r1, r2): (lo, hi) with surely fewer than r1 values <= lo and at least r2
    values <= hi.

    Sample j of a row with n values sits at position ceil(n*j/S), so the samples <= v
    tell, per row, at least how many values are <= v; the true count exceeds that by
    less than the row's widest gap between samples (summed: `slack`).
    """
    counts = np.array([n for n, _ in parts], dtype=np.int64)
    samples = np.array([sample for _, sample in parts], dtype=np.int64)
    steps = np.arange(1, SAMPLES + 1, dtype=np.int64)
    positions = -((-counts[:, None] * steps[None, :]) // SAMPLES)  # ceil
    gaps = np.diff(positions, axis=1, prepend=0)
    slack = int(gaps.max(axis=1).sum())
    order = np.argsort(samples, axis=None, kind="stable")
    values = samples.ravel()[order]
    at_least = np.cumsum(gaps.ravel()[order])
    # At the last copy of a value, the running count is the bound for that value.
    last_copy = np.append(values[1:] != values[:-1], True)
    last_index = np.maximum.accumulate(np.where(last_copy, np.arange(len(values)), -1))
    result = []
    for r1, r2 in ranks:
        i_hi = int(np.searchsorted(at_least, r2, side="left"))
        hi = int(values[i_hi]) if i_hi < len(values) else HIGHEST
        i_lo = int(np.searchsorted(at_least, r1 - slack, side="right")) - 1
        lo = int(values[last_index[i_lo]]) if i_lo >= 0 and last_index[i_lo] >= 0 else LOWEST
        result.append((lo, hi))
    return result


def _read_brackets(session, daily_sql, params, group, probes) -> list[tuple[float, float]]:
    if not probes:
        return []
    found = _query_brackets(session, daily_sql, params, group, probes)
    missed = [i for i, answer in enumerate(found) if answer is None]
    if missed:
        wide = [(*probes[i][:5], LOWEST, HIGHEST) for i in missed]
        for i, answer in zip(
            missed, _query_brackets(session, daily_sql, params, group, wide), strict=True
        ):
            found[i] = answer
    return found  # type: ignore[return-value]


def _query_brackets(session, daily_sql, params, group, probes) -> list[tuple[float, float] | None]:
    cases = " ".join(f"WHEN {i} THEN r.{m}" for i, m in enumerate(METRICS))
    sql = _BRACKETS.format(daily=daily_sql, group=group, cases=cases, copies=_copies())
    rows = session.execute(
        text(sql),
        {
            **params,
            "probe_pid": list(range(len(probes))),
            "probe_metric": [METRICS.index(p[0]) for p in probes],
            "probe_grp": [None if p[1] is None else str(p[1]) for p in probes],
            "probe_lo": [p[5] for p in probes],
            "probe_hi": [p[6] for p in probes],
            "probe_r1": [p[3] for p in probes],
            "probe_r2": [p[4] for p in probes],
        },
    )
    by_pid = {row.pid: row for row in rows}
    answers: list[tuple[float, float] | None] = []
    for pid, (_, _, _, r1, r2, _, _) in enumerate(probes):
        row = by_pid.get(pid)
        if row is not None and row.below < r1 and r2 <= row.below + row.inside:
            answers.append((float(row.v1), float(row.v2)))
        else:
            answers.append(None)
    return answers

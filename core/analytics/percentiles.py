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
from itertools import accumulate
from typing import Any

from sqlalchemy import text
from sqlalchemy.orm import Session

METRICS = ("first_response_s", "resolution_s")
FRACTIONS = (0.5, 0.9)
SAMPLES = 16
LOWEST, HIGHEST = -(2**31), 2**31 - 1

_SAMPLE = """
WITH daily AS ({daily})
SELECT {group} AS grp, {columns} FROM daily
"""
_SAMPLE_COLUMN = (
    "cardinality({m}) AS n_{m}, "
    "ARRAY(SELECT {m}[CAST(ceil(cardinality({m}) * g / {s}.0) AS integer)] "
    "FROM generate_series(1, {s}) AS g) AS s_{m}"
)
_BRACKETS = """
WITH daily AS ({daily}),
probes AS (
    SELECT * FROM unnest(CAST(:pid AS integer[]), CAST(:metric AS integer[]),
        CAST(:grp AS text[]), CAST(:lo AS integer[]), CAST(:hi AS integer[]))
    AS p(pid, metric, grp, lo, hi)
),
cut AS (
    SELECT p.pid, width_bucket(p.lo, x.a) AS below,
        x.a[width_bucket(p.lo, x.a) + 1 : width_bucket(p.hi, x.a)] AS mid
    FROM probes p
    JOIN LATERAL (
        SELECT CASE p.metric {cases} END AS a, CAST({group} AS text) AS g FROM daily d
    ) AS x ON p.grp IS NULL OR x.g = p.grp
),
below AS (SELECT pid, sum(below) AS below FROM cut GROUP BY pid),
inside AS (SELECT pid, array_agg(v ORDER BY v) AS vals FROM cut, unnest(mid) AS v GROUP BY pid)
SELECT below.pid, below.below, inside.vals FROM below LEFT JOIN inside ON inside.pid = below.pid
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
        for fraction in FRACTIONS:
            h = (n - 1) * fraction
            r1 = math.floor(h) + 1
            r2 = min(r1 + 1, n)
            lo, hi = _bracket(parts, r1, r2)
            probes.append((metric, key, h, r1, r2, lo, hi))
    answers = _read_brackets(session, daily_sql, params, group, probes)
    for probe, (v1, v2) in zip(probes, answers, strict=True):
        metric, key, h, *_ = probe
        n, found = result[metric][key]
        value = v1 + (h - math.floor(h)) * (v2 - v1)
        result[metric][key] = (n, [*(found or []), value])
    return result


def _samples(session, daily_sql, params, group, total) -> dict[tuple[str, Any], list]:
    columns = ", ".join(_SAMPLE_COLUMN.format(m=m, s=SAMPLES) for m in METRICS)
    sql = _SAMPLE.format(daily=daily_sql, group=group, columns=columns)
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


def _bracket(parts: list[tuple[int, list[int]]], r1: int, r2: int) -> tuple[int, int]:
    """(lo, hi) with surely fewer than r1 values <= lo and at least r2 values <= hi.

    Sample j of a row with n values sits at position ceil(n*j/S), so the samples <= v
    tell, per row, at least how many values are <= v; the true count exceeds that by
    less than the row's widest gap between samples.
    """
    pooled: list[tuple[int, int]] = []
    slack = 0
    for n, sample in parts:
        positions = [math.ceil(n * j / SAMPLES) for j in range(1, SAMPLES + 1)]
        gaps = [b - a for a, b in zip([0, *positions], positions, strict=False)]
        slack += max(gaps)
        pooled.extend(zip(sample, gaps, strict=True))
    pooled.sort()
    values = [v for v, _ in pooled]
    at_least = list(accumulate(w for _, w in pooled))
    lo, hi = LOWEST, HIGHEST
    for i, (value, count) in enumerate(zip(values, at_least, strict=True)):
        if count >= r2:
            hi = value
            break
        # At the last copy of `value`, `count` is the bound for `value` itself.
        last_copy = i + 1 == len(values) or values[i + 1] != value
        if last_copy and count + slack <= r1:
            lo = value
    return lo, hi


def _read_brackets(session, daily_sql, params, group, probes) -> list[tuple[float, float]]:
    if not probes:
        return []
    found = _query_brackets(session, daily_sql, params, group, probes)
    missed = [i for i, answer in enumerate(found) if answer is None]
    if missed:
        wide = [(*probes[i][:5], LOWEST, HIGHEST) for i in missed]
        for i, answer in zip(missed, _query_brackets(session, daily_sql, params, group, wide), strict=True):
            found[i] = answer
    return found  # type: ignore[return-value]


def _query_brackets(session, daily_sql, params, group, probes) -> list[tuple[float, float] | None]:
    cases = " ".join(f"WHEN {i} THEN d.{m}" for i, m in enumerate(METRICS))
    sql = _BRACKETS.format(daily=daily_sql, group=group, cases=cases)
    rows = session.execute(
        text(sql),
        {
            **params,
            "pid": list(range(len(probes))),
            "metric": [METRICS.index(p[0]) for p in probes],
            "grp": [None if p[1] is None else str(p[1]) for p in probes],
            "lo": [p[5] for p in probes],
            "hi": [p[6] for p in probes],
        },
    )
    by_pid = {row.pid: (int(row.below or 0), row.vals or []) for row in rows}
    answers: list[tuple[float, float] | None] = []
    for pid, (_, _, _, r1, r2, _, _) in enumerate(probes):
        below, vals = by_pid.get(pid, (0, []))
        if below < r1 and r2 <= below + len(vals):
            answers.append((float(vals[r1 - below - 1]), float(vals[r2 - below - 1])))
        else:
            answers.append(None)
    return answers

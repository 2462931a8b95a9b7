"""The bracketed percentile search gives exactly what percentile_cont gives."""

from __future__ import annotations

import random

import pytest
from sqlalchemy import text

from core.analytics.percentiles import percentiles


def _daily_sql(rows: list[tuple[str, list[int], list[int]]]) -> tuple[str, dict]:
    params, values = {}, []
    for i, (group, first, resolution) in enumerate(rows):
        params.update({f"g{i}": group, f"f{i}": sorted(first), f"r{i}": sorted(resolution)})
        values.append(f"(CAST(:g{i} AS text), CAST(:f{i} AS integer[]), CAST(:r{i} AS integer[]))")
    sql = f"SELECT * FROM (VALUES {', '.join(values)}) AS d(g, first_response_s, resolution_s)"  # noqa: S608
    return sql, params


def _expected(db, values: list[int]) -> list[float] | None:
    if not values:
        return None
    return list(
        db.execute(
            text(
                "SELECT percentile_cont(ARRAY[0.5, 0.9]) WITHIN GROUP (ORDER BY v) "
                "FROM unnest(CAST(:v AS integer[])) AS v"
            ),
            {"v": values},
        ).scalar()
    )


@pytest.mark.parametrize("seed", range(20))
def test_matches_percentile_cont(db, seed):
    rng = random.Random(seed)
    spread = rng.choice([5, 50, 10**6])  # few distinct values (ties) or many
    rows = [
        (
            rng.choice(["a", "b", "c"]),
            [rng.randint(0, spread) for _ in range(rng.choice([0, 1, 3, 17, 200]))],
            [rng.randint(-10, spread) for _ in range(rng.choice([0, 2, 40]))],
        )
        for _ in range(rng.randint(1, 60))
    ]
    sql, params = _daily_sql(rows)
    result = percentiles(db, sql, params, "g", total=True)
    for key in ("a", "b", "c", None):
        mine = [r for r in rows if key is None or r[0] == key]
        for metric, index in (("first_response_s", 1), ("resolution_s", 2)):
            values = [v for r in mine for v in r[index]]
            if key is not None and not values and (metric, key) not in result:
                continue
            count, found = result[metric].get(key, (0, None))
            assert count == len(values)
            expected = _expected(db, values)
            if expected is None:
                assert found is None
            else:
                assert found == pytest.approx(expected), (key, metric)

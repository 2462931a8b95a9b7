"""Percentiles of the rollup's durations, remembered ones merged with those added since,
are exactly what PostgreSQL's percentile_cont gives over all of them."""

from __future__ import annotations

import random
from types import SimpleNamespace

import pytest
from sqlalchemy import text

from core.analytics import percentiles


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


def _rows(rng: random.Random, spread: int, many: int) -> list[SimpleNamespace]:
    """Rollup-like rows: a group and sorted durations per metric."""
    return [
        SimpleNamespace(
            grp=rng.choice(["a", "b", "c"]),
            first_response_s=sorted(
                rng.randint(0, spread) for _ in range(rng.choice([0, 1, 3, 17, 200]))
            ),
            resolution_s=sorted(rng.randint(-10, spread) for _ in range(rng.choice([0, 2, 40]))),
        )
        for _ in range(rng.randint(0, many))
    ]


@pytest.mark.parametrize("seed", range(20))
def test_remembered_and_added_durations_match_percentile_cont(db, seed):
    rng = random.Random(seed)
    spread = rng.choice([5, 50, 10**6])  # few distinct values (ties) or many
    remembered, added = _rows(rng, spread, 60), _rows(rng, spread, 5)
    result = percentiles.merged(
        percentiles.gathered(remembered, total=True), percentiles.gathered(added, total=True)
    )
    for key in ("a", "b", "c", None):
        mine = [r for r in remembered + added if key is None or r.grp == key]
        for metric in percentiles.METRICS:
            values = [v for r in mine for v in getattr(r, metric)]
            count, found = percentiles.summary(result[metric].get(key))
            assert count == len(values)
            expected = _expected(db, values)
            if expected is None:
                assert found is None
            else:
                assert found == pytest.approx(expected), (key, metric)


def test_merging_leaves_the_remembered_arrays_alone():
    remembered = percentiles.gathered(
        [SimpleNamespace(grp=None, first_response_s=[1, 5], resolution_s=[])], total=False
    )
    kept = remembered["first_response_s"][None].copy()
    added = percentiles.gathered(
        [SimpleNamespace(grp=None, first_response_s=[3], resolution_s=[2])], total=False
    )
    result = percentiles.merged(remembered, added)
    assert result["first_response_s"][None].tolist() == [1, 3, 5]
    assert result["resolution_s"][None].tolist() == [2]
    assert remembered["first_response_s"][None].tolist() == kept.tolist()
    assert None not in remembered["resolution_s"]

"""The dashboard's trend chart: created, resolved and backlog per day (week for long
periods) from core.analytics.trends, the API's /trends, drawn as an SVG on the server
(no chart library, no inline style for the Content-Security-Policy to refuse)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

WIDTH, HEIGHT, PAD = 800, 180, 24
SERIES = ("created", "resolved", "backlog")


@dataclass(frozen=True)
class TrendChart:
    width: int
    height: int
    lines: dict[str, str]  # series -> SVG polyline points
    top: int
    first: str
    last: str
    buckets: int


def interval_for(days: int) -> str:
    return "day" if days <= 92 else "week" if days <= 731 else "month"


def trend_chart(buckets: list[dict[str, Any]]) -> TrendChart | None:
    if not buckets:
        return None
    top = max(1, *(b[name] or 0 for b in buckets for name in SERIES))
    step = (WIDTH - 2 * PAD) / max(1, len(buckets) - 1)

    def points(name: str) -> str:
        return " ".join(
            f"{PAD + i * step:.1f},{HEIGHT - PAD - (b[name] or 0) / top * (HEIGHT - 2 * PAD):.1f}"
            for i, b in enumerate(buckets)
        )

    return TrendChart(WIDTH, HEIGHT, {name: points(name) for name in SERIES}, top,
                      str(buckets[0]["start"]), str(buckets[-1]["end"]), len(buckets))  # fmt: skip

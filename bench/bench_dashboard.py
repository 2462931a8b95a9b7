"""The managers' dashboard: its first paint (the page with the KPI tiles, the trend
chart and the team and category tables) next to the analytics API calls that show
the same numbers (kpis, teams, categories, trends), in the same run; and the map's
layer next to the API's heatmap GeoJSON.

    .venv/bin/python bench/bench_dashboard.py --tickets 20000

Same database and set-up as bench_console.py (`sosoft_bench_console`, topped up with
`flask demo-data`); in-process test client, a manager signed in to the console by its
session cookie and to the API by a bearer token. Target (issue 18): page p50 at most
1.5x the sum of the four calls' p50.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_console import DEFAULT_URL, checked, timed  # noqa: E402
from bench_db import ensure_database, percentiles, ticket_count, top_up  # noqa: E402
from sqlalchemy import select  # noqa: E402

from core.config import Settings  # noqa: E402
from core.models import User  # noqa: E402
from core.people.console_sessions import start_session  # noqa: E402
from core.people.tokens import issue_access_token  # noqa: E402

TARGET_RATIO = 1.5
CALLS = ("kpis", "teams", "categories", "trends")
PERIODS = ("", "?channel=whatsapp", "?from=2025-01-01&to=2025-12-31")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=6)
    parser.add_argument(
        "--database-url", default=os.environ.get("BENCH_CONSOLE_DATABASE_URL", DEFAULT_URL)
    )
    args = parser.parse_args()
    ensure_database(args.database_url)
    top_up(args.database_url, args.tickets, args.seed)
    settings = Settings.from_env(
        {}, APP_ENV="development", DATABASE_URL=args.database_url, RATELIMIT_ENABLED=False,
        LOG_LEVEL="WARNING",
    )  # fmt: skip

    from sosoft import create_app

    app = create_app(settings)
    with app.extensions["sosoft.db"].session() as session:
        manager = session.scalar(
            select(User).where(User.role == "manager", User.is_active).order_by(User.id)
        )
        if manager is None:
            raise SystemExit("no active manager in the bench database (run demo-data)")
        cookie = start_session(session, settings, manager)
        session.commit()
        token, _ = issue_access_token(settings, manager)
    console, api = app.test_client(), app.test_client()
    console.set_cookie("sosoft_console", cookie, path="/console/")
    bearer = {"Authorization": f"Bearer {token}"}

    def page(i: int) -> object:
        return checked(console.get("/console/dashboard" + PERIODS[i % len(PERIODS)]), "dashboard")

    def calls(i: int) -> list[object]:
        query = PERIODS[i % len(PERIODS)]
        return [checked(api.get(f"/api/v1/analytics/{c}{query}", headers=bearer), c) for c in CALLS]

    print(f"\n{ticket_count(args.database_url):,} tickets; {args.runs} calls each after "
          f"{args.warmup} warm-up; in-process Flask test client\n")  # fmt: skip
    p50, p99 = percentiles(timed(page, args.runs, args.warmup))
    a50, a99 = percentiles(timed(calls, args.runs, args.warmup))
    ratio = p50 / a50
    flag = f"  (over the {TARGET_RATIO:g}x target)" if ratio > TARGET_RATIO else ""
    print(f"{'scenario':32} {'p50 ms':>8} {'p99':>8}")
    print(f"{'dashboard first paint':32} {p50:8.2f} {p99:8.2f}")
    print(f"{'the 4 analytics calls, summed':32} {a50:8.2f} {a99:8.2f}")
    print(f"ratio {ratio:.2f}{flag}")
    layer = console.get("/console/dashboard/heatmap").data
    geojson = api.get("/api/v1/analytics/heatmap", headers=bearer).data
    print(f"\nmap layer {len(layer) / 1024:.1f} KB, API heatmap {len(geojson) / 1024:.1f} KB"
          f" ({'the same bytes' if layer == geojson else 'different'})")  # fmt: skip


if __name__ == "__main__":
    main()

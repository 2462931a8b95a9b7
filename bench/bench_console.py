"""Staff console speed: the inbox's first page and a ticket page, each next to the
REST API call that answers the same question, in the same run.

    .venv/bin/python bench/bench_console.py --tickets 20000

Uses its own database (`sosoft_bench_console` by default: the console's migration is
not on every branch, so the shared `sosoft_bench` is left alone), created, migrated
and topped up with `flask demo-data` like bench_tickets.py. Every call goes through
the Flask app in process (test client), signed in as a support user: the console by
its session cookie, the API by a bearer token. Printed: p50/p99 of each and the ratio
console / API (the issue's target: p50 at most 2x), the cost of the counts per status
when the cache is cold, and what the inbox's first load transfers (page, script,
style sheet).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_db import ensure_database, percentiles, ticket_count, top_up  # noqa: E402
from sqlalchemy import select, text  # noqa: E402

from core.config import Settings  # noqa: E402
from core.models import User  # noqa: E402
from core.people.console_sessions import start_session  # noqa: E402
from core.people.tokens import issue_access_token  # noqa: E402

DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/sosoft_bench_console"
OPEN = "status=new&status=in_progress&status=escalated"
TARGET_RATIO = 2.0


def timed(call: Callable[[int], object], runs: int, warmup: int) -> list[float]:
    for i in range(warmup):
        call(i)
    samples = []
    for i in range(runs):
        start = time.perf_counter()
        call(warmup + i)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


def checked(response, what: str):
    if response.status_code != 200:
        raise SystemExit(f"{what}: {response.status_code} {response.get_data(as_text=True)[:300]}")
    return response


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=200, help="Timed calls per scenario.")
    parser.add_argument("--warmup", type=int, default=20)
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
    database = app.extensions["sosoft.db"]
    with database.session() as session:
        support = session.scalar(
            select(User).where(User.role == "support", User.is_active).order_by(User.id)
        )
        if support is None:
            raise SystemExit("no active support user in the bench database (run demo-data)")
        cookie = start_session(session, settings, support)
        session.commit()
        token, _ = issue_access_token(settings, support)
    with database.engine.connect() as conn:
        ids = list(conn.scalars(text("SELECT id FROM tickets TABLESAMPLE SYSTEM (5) LIMIT 2000")))
    random.Random(args.seed).shuffle(ids)
    count = ticket_count(args.database_url)

    console = app.test_client()
    console.set_cookie("sosoft_console", cookie, path="/console/")
    api = app.test_client()
    bearer = {"Authorization": f"Bearer {token}"}
    sorts = ("due", "newest", "priority")

    pairs = {
        "inbox first page": (
            lambda i: checked(console.get(f"/console/inbox?{OPEN}&team=any&sort={sorts[i % 3]}"), "inbox"),
            lambda i: checked(api.get(f"/api/v1/tickets?{OPEN}&sort={sorts[i % 3]}&limit=50", headers=bearer), "list"),
        ),
        "ticket page": (
            lambda i: checked(console.get(f"/console/tickets/{ids[i % len(ids)]}"), "ticket page"),
            lambda i: checked(api.get(f"/api/v1/tickets/{ids[i % len(ids)]}", headers=bearer), "detail"),
        ),
        # What a REST client needs for the same page: the detail, the timeline, the thread.
        "ticket page vs 3 calls": (
            lambda i: checked(console.get(f"/console/tickets/{ids[i % len(ids)]}"), "ticket page"),
            lambda i: [
                checked(api.get(f"/api/v1/tickets/{ids[i % len(ids)]}{part}", headers=bearer), part)
                for part in ("", "/events", "/messages")
            ],
        ),
    }  # fmt: skip
    print(
        f"\n{count:,} tickets; {args.runs} calls each after {args.warmup} warm-up; in-process Flask test client\n"
    )
    print(f"{'scenario':24} {'console p50':>12} {'p99':>8} {'API p50':>9} {'p99':>8} {'ratio':>6}")
    for name, (page, rest) in pairs.items():
        c50, c99 = percentiles(timed(page, args.runs, args.warmup))
        a50, a99 = percentiles(timed(rest, args.runs, args.warmup))
        ratio = c50 / a50
        flag = f"  (over the {TARGET_RATIO:g}x target)" if ratio > TARGET_RATIO else ""
        print(f"{name:24} {c50:12.2f} {c99:8.2f} {a50:9.2f} {a99:8.2f} {ratio:6.2f}{flag}")

    poll = percentiles(
        timed(
            lambda i: checked(console.get("/console/inbox/poll?after=0"), "poll"),
            args.runs,
            args.warmup,
        )
    )
    redis_client = app.extensions["sosoft.redis"]

    def cold_counts(_i: int) -> object:
        redis_client.delete("console:status-counts")
        return checked(console.get("/console/inbox/poll?after=0"), "poll")

    cold = percentiles(timed(cold_counts, max(10, args.runs // 10), 2))
    print(f"{'inbox poll (cached)':24} {poll[0]:12.2f} {poll[1]:8.2f}")
    print(
        f"{'poll, counts cold':24} {cold[0]:12.2f} {cold[1]:8.2f}   (the count per status, at most once per 15 s)"
    )

    first_load = len(console.get(f"/console/inbox?{OPEN}&team=any&sort=due").data)
    for asset in ("/console/static/console.js", "/console/static/console.css"):
        with console.get(asset) as response:
            first_load += len(response.data)
    print(
        f"\ninbox first load: {first_load / 1024:.0f} KB (page, script, style sheet; uncompressed)"
    )


if __name__ == "__main__":
    main()

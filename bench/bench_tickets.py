"""Ticket API speed at city scale: list, deep page, nearby and detail.

    .venv/bin/python bench/bench_tickets.py --tickets 1000000

Uses its own database (`sosoft_bench` by default): creates and migrates it when
missing, adds any ticket index the models define but the database lacks, and tops it
up with `flask demo-data` only when it holds fewer tickets than asked (it never
deletes anything; other benchmarks share it).

Every call goes through the Flask app in process (the test client: routing, token
check, the caller's user row, validation, SQL, JSON), signed in as a manager so no
visibility filter narrows the work. Each scenario's p50/p99 is printed next to a
bare primary-key `SELECT` on the same database in the same run, and their ratio.
Parameters vary from call to call (status, category, point, ticket) so the figures
are not one cached plan on one cached page.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

from flask.testing import FlaskClient

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_db import DEFAULT_URL, ensure_database, percentiles, ticket_count, top_up  # noqa: E402
from sqlalchemy import Engine, select, text  # noqa: E402

from admin_api.pagination import encode_cursor  # noqa: E402
from core.config import Settings  # noqa: E402
from core.models import User  # noqa: E402
from core.people.tokens import issue_access_token  # noqa: E402

TARGET_P50_MS = 20.0


def timed(call: Callable[[int], object], runs: int, warmup: int) -> list[float]:
    for i in range(warmup):
        call(i)
    samples = []
    for i in range(runs):
        start = time.perf_counter()
        call(warmup + i)
        samples.append((time.perf_counter() - start) * 1000)
    return samples


class Workload:
    """Parameters drawn once from the data, so every scenario has real values."""

    def __init__(self, engine: Engine, rng: random.Random, runs: int) -> None:
        with engine.connect() as conn:
            self.max_id = conn.scalar(text("SELECT max(id) FROM tickets"))
            self.categories = list(conn.scalars(text("SELECT id FROM categories")))
            points = conn.execute(
                text(
                    "SELECT ST_Y(location::geometry), ST_X(location::geometry) FROM tickets "
                    "TABLESAMPLE SYSTEM (1) WHERE location IS NOT NULL LIMIT :n"
                ),
                {"n": runs * 2},
            ).all()
            total = conn.scalar(
                text("SELECT reltuples::bigint FROM pg_class WHERE relname = 'tickets'")
            )
            # Deep pages: keys 50 %–95 % of the way down the newest-first list.
            self.deep_keys = [
                tuple(
                    conn.execute(
                        text(
                            "SELECT created_at, id FROM tickets "
                            "ORDER BY created_at DESC, id DESC OFFSET :o LIMIT 1"
                        ),
                        {"o": int(total * share)},
                    ).one()
                )
                for share in (0.5, 0.65, 0.8, 0.95)
            ]
        self.points = [(float(lat), float(lon)) for lat, lon in points] or [(41.01, 28.98)]
        self.ids = [rng.randint(1, self.max_id) for _ in range(runs * 4)]
        self.rng = rng


STATUS_MIX = ("new", "in_progress", "resolved", "new,in_progress", "closed")
SEARCH_WORDS = ("çukur", "lamba", "çöp", "ağaç", "trafik ışığı")
# The same words as typed on a keyboard without Turkish letters.
FOLDED_WORDS = ("cukur", "lambalar", "cop", "agac", "trafik isigi")


def scenarios(client: FlaskClient, headers: dict[str, str], work: Workload) -> dict[str, Callable]:
    def get(url: str) -> object:
        response = client.get(url, headers=headers)
        if response.status_code != 200:
            raise SystemExit(
                f"{url}: {response.status_code} {response.get_data(as_text=True)[:300]}"
            )
        return response

    def list_filtered(i: int) -> object:
        status = STATUS_MIX[i % len(STATUS_MIX)]
        category = work.categories[i % len(work.categories)]
        return get(f"/api/v1/tickets?status={status}&category={category}&limit=50")

    def deep_page(i: int) -> object:
        cursor = encode_cursor(work.deep_keys[i % len(work.deep_keys)])
        return get(f"/api/v1/tickets?limit=50&cursor={cursor}")

    def nearby(i: int) -> object:
        lat, lon = work.points[i % len(work.points)]
        return get(f"/api/v1/tickets/nearby?lat={lat}&lon={lon}&radius_m=250")

    def text_search(i: int) -> object:
        return get(f"/api/v1/tickets?q={SEARCH_WORDS[i % len(SEARCH_WORDS)]}&limit=50")

    def folded_search(i: int) -> object:
        return get(f"/api/v1/tickets?q={FOLDED_WORDS[i % len(FOLDED_WORDS)]}&limit=50")

    def detail(i: int) -> object:
        ticket_id = work.ids[i % len(work.ids)]
        response = client.get(f"/api/v1/tickets/{ticket_id}", headers=headers)
        if response.status_code not in (200, 404):  # ids have gaps only if rows were deleted
            raise SystemExit(f"detail: {response.status_code}")
        return response

    return {
        "list status+category": list_filtered,
        "keyset page deep": deep_page,
        "nearby 250 m": nearby,
        "ticket detail": detail,
        "text search q=": text_search,
        "search without letters": folded_search,
    }


def primary_key_select(engine: Engine, work: Workload) -> Callable[[int], object]:
    conn = engine.connect()

    def call(i: int) -> object:
        return conn.execute(
            text("SELECT * FROM tickets WHERE id = :id"), {"id": work.ids[i % len(work.ids)]}
        ).first()

    return call


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=300, help="Timed calls per scenario.")
    parser.add_argument("--warmup", type=int, default=30)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
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
        manager = session.scalar(select(User).where(User.role == "manager", User.is_active))
        if manager is None:
            raise SystemExit("no active manager in the bench database (run demo-data)")
        token, _ = issue_access_token(settings, manager)
    headers = {"Authorization": f"Bearer {token}"}
    work = Workload(database.engine, random.Random(args.seed), args.runs)
    count = ticket_count(args.database_url)

    baseline = percentiles(timed(primary_key_select(database.engine, work), args.runs, args.warmup))
    client = app.test_client()
    print(
        f"\n{count:,} tickets; {args.runs} calls each after {args.warmup} warm-up; in-process Flask test client\n"
    )
    print(f"{'scenario':24} {'p50 ms':>8} {'p99 ms':>8} {'p50 / pk':>9}")
    print(f"{'bare pk SELECT':24} {baseline[0]:8.2f} {baseline[1]:8.2f} {1:9.1f}")
    for name, call in scenarios(client, headers, work).items():
        p50, p99 = percentiles(timed(call, args.runs, args.warmup))
        targeted = name.startswith(("list", "keyset", "nearby"))
        flag = "  (over the 20 ms target)" if targeted and p50 >= TARGET_P50_MS else ""
        print(f"{name:24} {p50:8.2f} {p99:8.2f} {p50 / baseline[0]:9.1f}{flag}")


if __name__ == "__main__":
    main()

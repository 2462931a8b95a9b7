"""Analytics and export speed at city scale, in one run.

    .venv/bin/python bench/bench_analytics.py --tickets 1000000

Uses its own database (`sosoft_bench` by default): creates and migrates it when
missing, and tops it up with `flask demo-data` only when it holds fewer tickets than
asked (it never deletes anything; other benchmarks share it). Then it reports:

- every analytics endpoint's p50/p99 (in-process through the Flask app, JSON included)
  next to a bare `SELECT count(*) FROM tickets`, and their ratio (target ≤ 1.0);
- the CSV export of every ticket through a real gunicorn web process: rows/s next to
  PostgreSQL's own `COPY (SELECT …) TO STDOUT WITH CSV` of the same columns (target
  ≥ 50 %), and the web process's peak memory (target < 200 MB).
"""

from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_db import DEFAULT_URL, ensure_database, libpq_url, percentiles, ticket_count, top_up  # noqa: E402
from sqlalchemy import select, text  # noqa: E402

from core.analytics import hotspots, rollups  # noqa: E402
from core.config import Settings  # noqa: E402
from core.db import Database  # noqa: E402
from core.exports import export_query  # noqa: E402
from core.models import User  # noqa: E402
from core.ticket_queries import TicketFilters  # noqa: E402
from core.tokens import issue_access_token  # noqa: E402

ENDPOINTS = (
    "kpis",
    "teams",
    "categories",
    "trends?interval=day",
    "trends?interval=week",
    "trends?interval=month",
    "heatmap?cell=hex&size_m=250",
    "heatmap?cell=square&size_m=500",
    "hotspots?limit=10",
)


def time_count(url: str, runs: int) -> tuple[float, float]:
    samples = []
    with psycopg.connect(libpq_url(url)) as conn:
        for i in range(runs + 3):
            start = time.perf_counter()
            conn.execute("SELECT count(*) FROM tickets").fetchone()
            if i >= 3:  # warm-up
                samples.append(time.perf_counter() - start)
    return percentiles(samples)


def manager_headers(database: Database, settings: Settings) -> dict[str, str]:
    with database.transaction() as session:
        user = session.scalar(select(User).where(User.role == "manager", User.is_active).limit(1))
        if user is None:
            raise SystemExit("no active manager in the bench database (run demo-data)")
        token, _ = issue_access_token(settings, user)
    return {"Authorization": f"Bearer {token}"}


def time_endpoints(settings: Settings, headers: dict[str, str], runs: int) -> dict:
    from web import create_app

    app = create_app(settings)
    client = app.test_client()
    results = {}
    for endpoint in ENDPOINTS:
        url = f"/api/v1/analytics/{endpoint}"
        samples = []
        for i in range(runs + 2):
            start = time.perf_counter()
            response = client.get(url, headers=headers)
            elapsed = time.perf_counter() - start
            if response.status_code != 200:
                raise SystemExit(f"{url}: {response.status_code} {response.json}")
            if i >= 2:
                samples.append(elapsed)
        results[endpoint] = percentiles(samples)
    return results


def time_copy(url: str, settings: Settings) -> tuple[int, float]:
    sql, params = export_query(
        TicketFilters(), settings.PUBLIC_BASE_URL, datetime.now(UTC), for_csv=True
    )
    with psycopg.connect(libpq_url(url)) as conn, conn.cursor() as cursor:
        start = time.perf_counter()
        with cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv)", params) as copy:
            for _ in copy:
                pass
        return cursor.rowcount, time.perf_counter() - start


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def peak_rss_mb(pids: list[int]) -> float:
    peak = 0
    for pid in pids:
        try:
            for line in Path(f"/proc/{pid}/status").read_text().splitlines():
                if line.startswith("VmHWM:"):
                    peak = max(peak, int(line.split()[1]))
        except FileNotFoundError:
            continue
    return peak / 1024


def time_http_csv(url: str, headers: dict[str, str]) -> tuple[int, float, float]:
    """rows, seconds and peak RSS (MB) of a gunicorn worker streaming the whole CSV."""
    port = free_port()
    env = {**os.environ, "DATABASE_URL": url, "WEB_CONCURRENCY": "1", "PORT": str(port)}
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-w", "1", "-b", f"127.0.0.1:{port}",
         "--timeout", "600", "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(100):
            try:
                requests.get(f"{base}/healthz", timeout=1)
                break
            except requests.RequestException:  # still starting
                time.sleep(0.2)
        children = subprocess.run(
            ["pgrep", "-P", str(server.pid)], capture_output=True, text=True, check=False
        ).stdout.split()
        pids = [server.pid, *map(int, children)]
        start = time.perf_counter()
        newlines = 0
        with requests.get(
            f"{base}/api/v1/analytics/exports/tickets.csv",
            headers=headers,
            stream=True,
            timeout=600,
        ) as response:
            response.raise_for_status()
            for chunk in response.iter_content(chunk_size=1 << 20):
                newlines += chunk.count(b"\n")
        seconds = time.perf_counter() - start
        return newlines, seconds, peak_rss_mb(pids)
    finally:
        server.terminate()
        server.wait(timeout=30)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--runs", type=int, default=50)
    parser.add_argument("--database-url", default=os.environ.get("BENCH_DATABASE_URL", DEFAULT_URL))
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--skip-endpoints", action="store_true")
    args = parser.parse_args()

    ensure_database(args.database_url)
    top_up(args.database_url, args.tickets, args.seed)
    settings = Settings.from_env(
        {}, DATABASE_URL=args.database_url, APP_ENV="development", LOG_LEVEL="WARNING",
        RATELIMIT_ENABLED=False,
    )  # fmt: skip
    database = Database(settings)
    with database.transaction() as session:
        start = time.perf_counter()
        days = rollups.refresh(session, settings.CITY_TIMEZONE)
        print(f"rollup refresh: {days} days in {time.perf_counter() - start:.1f} s")
    with database.transaction() as session:  # what beat does every minute
        start = time.perf_counter()
        retaken = hotspots.refresh_snapshot(session, settings.SERVICE_AREA_BBOX)
        print(f"hotspot snapshot retaken: {retaken} in {time.perf_counter() - start:.1f} s")
    with database.engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("VACUUM ANALYZE tickets"))
    n = ticket_count(args.database_url)
    headers = manager_headers(database, settings)

    if not args.skip_endpoints:
        report_endpoints(args, settings, headers, n)
    if not args.skip_export:
        report_export(args, settings, headers)


def report_endpoints(args: argparse.Namespace, settings: Settings, headers: dict, n: int) -> None:
    count_p50, count_p99 = time_count(args.database_url, args.runs)
    print(f"\n{n:,} tickets; {args.runs} runs each (after warm-up); default period (last 30 days)")
    print(f"{'':34} {'p50 ms':>9} {'p99 ms':>9} {'p50 ratio':>10} {'p99 ratio':>10}")
    print(f"{'bare count(*) of all tickets':34} {count_p50 * 1e3:9.1f} {count_p99 * 1e3:9.1f}")
    for endpoint, (p50, p99) in time_endpoints(settings, headers, args.runs).items():
        print(
            f"{'GET /analytics/' + endpoint:34} {p50 * 1e3:9.1f} {p99 * 1e3:9.1f}"
            f" {p50 / count_p50:10.2f} {p99 / count_p99:10.2f}"
        )


def report_export(args: argparse.Namespace, settings: Settings, headers: dict) -> None:
    copy_rows, copy_seconds = time_copy(args.database_url, settings)
    lines, http_seconds, rss = time_http_csv(args.database_url, headers)
    print(f"\nCSV of all tickets ({copy_rows:,} rows)")
    print(
        f"  PostgreSQL COPY … TO STDOUT WITH CSV: {copy_rows / copy_seconds:12,.0f} rows/s ({copy_seconds:.1f} s)"
    )
    print(
        f"  GET /analytics/exports/tickets.csv:    {copy_rows / http_seconds:12,.0f} rows/s "
        f"({http_seconds:.1f} s, {copy_seconds / http_seconds:.0%} of COPY; {lines:,} lines)"
    )
    print(f"  web process peak RSS: {rss:.0f} MB")


if __name__ == "__main__":
    main()

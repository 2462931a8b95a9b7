"""Analytics and export speed at city scale, in one run.

    .venv/bin/python bench/bench_analytics.py --tickets 1000000

Uses its own database (`sosoft_bench` by default): creates and migrates it when
missing, and tops it up with `flask demo-data` only when it holds fewer tickets than
asked (it never deletes anything; other benchmarks share it). Then it reports:

- every analytics endpoint's p50/p99 (in-process through the Flask app, JSON included)
  next to a bare `SELECT count(*) FROM tickets` timed in the same run, and their ratio
  (target ≤ 1.0), in two modes: *steady* (nothing written between requests: cached
  answers and snapshots) and *live* (before every timed request one realistic write is
  committed, untimed, and beat runs every few writes: see bench/live_writes.py), then a
  few common filters in live mode, and what those writes cost;
- the CSV export of every ticket through a real gunicorn web process: rows/s next to
  PostgreSQL's own `COPY (SELECT …) TO STDOUT WITH CSV` of the same columns (target
  ≥ 50 %), and the web process's peak memory (target < 200 MB).
"""

from __future__ import annotations

import argparse
import gc
import os
import socket
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import psycopg
import requests

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench_db import (  # noqa: E402
    DEFAULT_URL,
    ensure_database,
    libpq_url,
    percentiles,
    shift_to_today,
    ticket_count,
    top_up,
    window_size,
)
from live_writes import LiveWrites, Write, no_write  # noqa: E402
from sqlalchemy import select, text  # noqa: E402

from core.analytics import map_upkeep, rollups, shared_cells, upkeep  # noqa: E402
from core.config import Settings  # noqa: E402
from core.db import Database  # noqa: E402
from core.models import User  # noqa: E402
from core.people.tokens import issue_access_token  # noqa: E402
from core.tickets.exports import export_query  # noqa: E402
from core.tickets.queries import TicketFilters  # noqa: E402

# A district-sized viewport (Kadıköy, about 5 km x 4.5 km): where 100 m maps are read.
DISTRICT = "29.00,40.97,29.06,41.01"
ENDPOINTS = (
    "kpis",
    "teams",
    "categories",
    "trends?interval=day",
    "trends?interval=week",
    "trends?interval=month",
    "heatmap?cell=hex&size_m=250",
    "heatmap?cell=square&size_m=500",
    "heatmap?cell=square&size_m=250",
    "heatmap?cell=hex&size_m=1000",
    f"heatmap?cell=hex&size_m=100&bbox={DISTRICT}",
    f"heatmap?cell=square&size_m=100&bbox={DISTRICT}",
    "hotspots?limit=10",
)
# Common filters, spot-checked in live mode ({category}/{team}: a real id).
FILTERED = (
    "kpis?category={category}",
    "teams?channel=whatsapp",
    "categories?team={team}",
    "trends?interval=week&category={category}",
    "heatmap?cell=hex&size_m=250&category={category}",
    "heatmap?cell=hex&size_m=250&status=new&status=in_progress",
    "heatmap?cell=square&size_m=500&team={team}",
    "heatmap?cell=square&size_m=1000&channel=sms",
    "heatmap?cell=hex&size_m=500&status=new&status=in_progress",
    "hotspots?limit=10&category={category}",
    "hotspots?limit=10&team={team}",
    "hotspots?limit=10&channel=sms",
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


def time_endpoints(app, endpoints: tuple[str, ...], runs: int, before: Write) -> dict:
    """(p50, p99, first call) per endpoint; `before()` runs untimed before every request."""
    client = app.test_client()
    database, settings = app.extensions["sosoft.db"], app.config["SOSOFT"]
    results = {}
    for endpoint in endpoints:
        headers = manager_headers(database, settings)  # a fresh token: live runs are long
        url = f"/api/v1/analytics/{endpoint}"
        samples, first = [], None
        for i in range(runs + 2):
            before()
            start = time.perf_counter()
            response = client.get(url, headers=headers)
            elapsed = time.perf_counter() - start
            if response.status_code != 200:
                raise SystemExit(f"{url}: {response.status_code} {response.json}")
            if i >= 2:
                samples.append(elapsed)
            first = elapsed if first is None else first
        results[endpoint] = (*percentiles(samples), first)
    return results


def time_copy(url: str, settings: Settings) -> tuple[int, float]:
    sql, params = export_query(TicketFilters(), settings, datetime.now(UTC), fmt="csv")
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
    parser.add_argument(
        "--redis-url", default=os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/0"),
        help="where heatmap cells are shared (its sosoft:heatmap:* keys are emptied)",
    )  # fmt: skip
    parser.add_argument(
        "--skip-first-calls", action="store_true",
        help="skip the first calls timed in freshly started processes",
    )  # fmt: skip
    parser.add_argument(
        "--first-runs", type=int, default=3,
        help="freshly started processes per endpoint and mode (median and slowest)",
    )  # fmt: skip
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--skip-endpoints", action="store_true")
    parser.add_argument(
        "--modes", default="steady,live", help="steady, live or both (comma-separated)"
    )
    parser.add_argument(
        "--beat-every", type=int, default=20,
        help="live mode: run beat's refresh after this many writes (0: never)",
    )  # fmt: skip
    parser.add_argument("--only", help="time only endpoints starting with this")
    args = parser.parse_args()

    ensure_database(args.database_url)
    top_up(args.database_url, args.tickets, args.seed)
    shifted = shift_to_today(args.database_url)
    if shifted:
        print(f"dataset's dates moved {shifted} days forward: its newest ticket is of today")
    settings = Settings.from_env(
        {}, DATABASE_URL=args.database_url, REDIS_URL=args.redis_url, APP_ENV="development",
        LOG_LEVEL="WARNING", RATELIMIT_ENABLED=False,
    )  # fmt: skip
    database = Database(settings)
    start = time.perf_counter()
    with database.transaction() as session:  # the whole rollup, as after a deploy
        days = rollups.refresh(session, settings.CITY_TIMEZONE, fold_after=0, full=bool(shifted))
    upkeep.refresh_all(database, settings)  # what beat does every minute
    print(
        f"rollup and hotspot snapshot refreshed ({days} days) in {time.perf_counter() - start:.1f} s"
    )
    shared = shared_cells.connect(settings.REDIS_URL)
    forget_shared_maps(shared)  # nothing another run left
    start = time.perf_counter()
    cells = map_upkeep.share_default_maps(database, settings, shared)  # beat, too
    print(
        f"beat shared the default heatmaps ({', '.join(settings.HEATMAP_PRECOMPUTED)}:"
        f" {cells:,} cells) in Redis, counted from scratch, in {time.perf_counter() - start:.2f} s"
    )
    upkeep.vacuum(database, ("tickets", "feedback", "escalations", "analytics_daily"))
    n = ticket_count(args.database_url)
    headers = manager_headers(database, settings)

    if not args.skip_endpoints:
        report_endpoints(args, settings, database, n)
    if not args.skip_first_calls:
        report_first_calls(args, settings, database, shared)
    if not args.skip_export:
        report_export(args, settings, headers)


def report_endpoints(
    args: argparse.Namespace, settings: Settings, database: Database, n: int
) -> None:
    from sosoft import create_app

    app = create_app(settings)
    gc.freeze()  # as wsgi.py does in every web process after building the app
    modes = args.modes.split(",")
    writes = LiveWrites(database, settings, args.seed, args.beat_every)
    count = time_count(args.database_url, args.runs)
    endpoints = tuple(e for e in ENDPOINTS if not args.only or e.startswith(args.only))
    print(f"\n{n:,} tickets; {args.runs} runs each (after warm-up); default period (last 30 days)")
    print(f"live: one committed write before every request, beat every {args.beat_every} writes")
    print(
        "window: tickets created in the default period when the mode started;"
        " first: the endpoint's first call in this process (its ratio to the p50 count):"
        " its database connection is warm, and Redis holds the default maps beat shared"
        " (cold first calls: see the fresh processes below)"
    )
    print(
        f"{'':54} {'p50 ms':>8} {'p99 ms':>8} {'p50 ratio':>9} {'p99 ratio':>9}"
        f" {'first ms':>8} {'first ratio':>11} {'window':>8}"
    )
    print(f"{'bare count(*) of all tickets':54} {count[0] * 1e3:8.1f} {count[1] * 1e3:8.1f}")
    for mode in modes:
        before = writes if mode == "live" else no_write
        if mode == "live":
            writes.beat()  # start from a fresh rollup, as right after a beat
        window = window_size(args.database_url)
        results = time_endpoints(app, endpoints, args.runs, before)
        _print_rows(mode, results, count, window)
    if "live" in modes and (not args.only or args.only.startswith("heatmap")):
        window = window_size(args.database_url)
        wanted = tuple(e for e in filtered(database) if not args.only or e.startswith(args.only))
        results = time_endpoints(app, wanted, args.runs // 2, writes)
        _print_rows("live", results, count, window)
    recount = time_count(args.database_url, args.runs)
    print(
        f"{'bare count(*) again, after the runs':54} {recount[0] * 1e3:8.1f} {recount[1] * 1e3:8.1f}"
    )
    if writes.timings:
        print("\nwrites in live mode (each its own committed transaction)")
        for kind, samples in sorted(writes.timings.items()):
            p50, p99 = percentiles(samples)
            print(
                f"  {kind:10} n={len(samples):4}  p50 {p50 * 1e3:7.1f} ms  p99 {p99 * 1e3:7.1f} ms"
            )


def _print_rows(mode: str, results: dict, count: tuple[float, float], window: int) -> None:
    for endpoint, (p50, p99, first) in results.items():
        print(
            f"{mode + ' /' + endpoint:54} {p50 * 1e3:8.1f} {p99 * 1e3:8.1f}"
            f" {p50 / count[0]:9.2f} {p99 / count[1]:9.2f}"
            f" {first * 1e3:8.1f} {first / count[0]:11.2f} {window:8,}"
        )


def forget_shared_maps(shared: shared_cells.SharedCells) -> None:
    """Empty the heatmap cells shared in Redis: as before any process has counted one."""
    client = shared.client
    for key in client.scan_iter(match=f"{shared_cells.PREFIX}:*", count=1000):
        client.delete(key)


def report_first_calls(
    args: argparse.Namespace, settings: Settings, database: Database,
    shared: shared_cells.SharedCells,
) -> None:  # fmt: skip
    """Each endpoint's first call in freshly started processes (bench/first_call.py,
    `--first-runs` processes each, median and slowest), twice: *cold*, Redis holding no
    heatmap cells (the very first start: nobody has counted anything); and *after beat*,
    Redis holding exactly what beat shared (the default maps), then a few writes
    committed (a city does not stop between beat and a start)."""
    wanted = [
        e for e in (*ENDPOINTS, *filtered(database)) if not args.only or e.startswith(args.only)
    ]  # fmt: skip
    token = manager_headers(database, settings)["Authorization"].removeprefix("Bearer ")
    writes = LiveWrites(database, settings, args.seed + 1, beat_every=0)
    first: dict[str, dict[str, list[float]]] = {"cold": {}, "after beat": {}}
    for endpoint in wanted:
        first["cold"][endpoint] = []
        for _ in range(args.first_runs):
            forget_shared_maps(shared)
            first["cold"][endpoint].append(_first_call(args, endpoint, token))
    forget_shared_maps(shared)
    writes.beat()
    beats = _saved(shared)
    for endpoint in wanted:
        first["after beat"][endpoint] = []
        for _ in range(args.first_runs):
            _restore(shared, beats)  # what beat shared, nothing the last process added
            for _ in range(3):
                writes()
            first["after beat"][endpoint].append(_first_call(args, endpoint, token))
    count = time_count(args.database_url, args.runs)
    window = window_size(args.database_url)
    print(
        "\nfirst call in a freshly started process (warmed up as a gunicorn worker is:"
        " one pooled connection with PostGIS loaded; nothing remembered in the process;"
        " PostgreSQL's buffers and the OS cache are warm);"
        f" median and slowest of {args.first_runs} processes"
    )
    print(
        "cold: Redis holds no heatmap cells; after beat: Redis holds what beat shared"
        f" (the default maps {', '.join(settings.HEATMAP_PRECOMPUTED)}), and 3 writes were"
        f" committed since; count(*) p50 {count[0] * 1e3:.1f} ms"
    )
    print(
        f"{'':54} {'cold ms':>8} {'ratio':>6} {'slowest':>7}"
        f" {'after beat ms':>13} {'ratio':>6} {'slowest':>7} {'window':>8}"
    )
    for endpoint in wanted:
        cold, warm = first["cold"][endpoint], first["after beat"][endpoint]
        print(
            f"{'/' + endpoint:54} {statistics.median(cold) * 1e3:8.1f}"
            f" {statistics.median(cold) / count[0]:6.2f} {max(cold) / count[0]:7.2f}"
            f" {statistics.median(warm) * 1e3:13.1f} {statistics.median(warm) / count[0]:6.2f}"
            f" {max(warm) / count[0]:7.2f} {window:8,}"
        )


def _saved(shared: shared_cells.SharedCells) -> dict[bytes, tuple[bytes, int]]:
    client = shared.client
    keys = list(client.scan_iter(match=f"{shared_cells.PREFIX}:*", count=1000))
    return {key: (client.dump(key), client.pttl(key)) for key in keys}


def _restore(shared: shared_cells.SharedCells, saved: dict[bytes, tuple[bytes, int]]) -> None:
    forget_shared_maps(shared)
    for key, (value, ttl_ms) in saved.items():
        shared.client.restore(key, max(ttl_ms, 0), value, replace=True)


def _first_call(args: argparse.Namespace, endpoint: str, token: str) -> float:
    result = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "first_call.py"), args.database_url,
         args.redis_url, endpoint],
        cwd=ROOT, env={**os.environ, "BENCH_TOKEN": token}, capture_output=True, text=True,
        check=True,
    )  # fmt: skip
    return float(result.stdout.strip().splitlines()[-1])


def filtered(database: Database) -> tuple[str, ...]:
    """FILTERED with the busiest category and team of the bench data."""
    with database.transaction() as session:
        category, team = session.execute(
            text(
                "SELECT (SELECT category_id FROM tickets GROUP BY 1 ORDER BY count(*) DESC LIMIT 1),"
                " (SELECT team_id FROM tickets WHERE team_id IS NOT NULL"
                "  GROUP BY 1 ORDER BY count(*) DESC LIMIT 1)"
            )
        ).one()
    return tuple(e.format(category=category, team=team) for e in FILTERED)


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

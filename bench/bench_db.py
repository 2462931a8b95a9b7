"""What the 1,000,000-ticket benchmarks share: the bench database, loaded once
with demo-data and reused, and the percentile arithmetic."""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
from pathlib import Path

import psycopg
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine

from core.models import Comment, Ticket

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/sosoft_bench"


def libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def ensure_database(url: str) -> None:
    """Create and migrate the database when missing; add indexes the models gained since."""
    name = url.rsplit("/", 1)[1]
    admin = libpq_url(url).rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = url
    command.upgrade(config, "head")
    engine = create_engine(url)
    try:
        for index in (*Ticket.__table__.indexes, *Comment.__table__.indexes):
            index.create(engine, checkfirst=True)
    finally:
        engine.dispose()


def ticket_count(url: str) -> int:
    with psycopg.connect(libpq_url(url)) as conn:
        return conn.execute("SELECT count(*) FROM tickets").fetchone()[0]


def top_up(url: str, wanted: int, seed: int) -> None:
    have = ticket_count(url)
    if have >= wanted:
        print(f"{have} tickets present; reusing them", file=sys.stderr)
        return
    print(f"{have} tickets present; loading {wanted - have} with demo-data", file=sys.stderr)
    env = {**os.environ, "DATABASE_URL": url}
    subprocess.run(
        [sys.executable, "-m", "flask", "--app", "wsgi", "demo-data",
         "--tickets", str(wanted - have), "--seed", str(seed)],
        cwd=ROOT, env=env, check=True,
    )  # fmt: skip
    vacuum(url)


# What demo-data writes with dates in it: shifted together, so a ticket's history keeps
# its shape.
DATED_TABLES = (
    "tickets", "ticket_events", "comments", "feedback", "escalations", "messages", "photos",
    "ticket_followers",
)  # fmt: skip
SHIFT_BATCH = 50_000


def dataset_age_days(url: str) -> int:
    """Whole days since the newest ticket was created (0 for a dataset of today)."""
    with psycopg.connect(libpq_url(url)) as conn:
        age = conn.execute("SELECT now() - max(created_at) FROM tickets").fetchone()[0]
    return age.days if age is not None else 0


def shift_to_today(url: str) -> int:
    """Move every date of the demo data forward by whole days, so the newest ticket is
    of today and the last 30 days hold what they held when the data was generated (a
    figure must not depend on the dataset's age). Returns the days shifted.

    Batches of their own transactions, with the tables' triggers off for this session
    (`session_replication_role`, a superuser's): what they keep (rollup, hotspot
    snapshot, map moves) is rebuilt from scratch by the bench right after."""
    days = dataset_age_days(url)
    if days < 1:
        return 0
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        for table in DATED_TABLES:
            columns = [
                row[0]
                for row in conn.execute(
                    "SELECT column_name FROM information_schema.columns WHERE table_schema ="
                    " 'public' AND table_name = %s AND data_type = 'timestamp with time zone'",
                    (table,),
                )
            ]
            if not columns:
                continue
            sets = ", ".join(f"{c} = {c} + make_interval(days => {days})" for c in columns)
            key = "ticket_id" if table == "ticket_followers" else "id"
            last = conn.execute(f"SELECT coalesce(max({key}), 0) FROM {table}").fetchone()[0]  # noqa: S608
            for start in range(0, last + 1, SHIFT_BATCH):
                conn.execute(
                    f"UPDATE {table} SET {sets} WHERE {key} >= %s AND {key} < %s",  # noqa: S608
                    (start, start + SHIFT_BATCH),
                )
        conn.execute("RESET session_replication_role")
        conn.execute("DELETE FROM analytics_ticket_moves")
        conn.execute("INSERT INTO analytics_hotspot_changes DEFAULT VALUES")
    vacuum(url)
    return days


def window_size(url: str, days: int = 30) -> int:
    """Tickets created in the last `days` days: what a default-period figure counts."""
    with psycopg.connect(libpq_url(url)) as conn:
        return conn.execute(
            "SELECT count(*) FROM tickets WHERE created_at >= now() - make_interval(days => %s)",
            (days,),
        ).fetchone()[0]


def vacuum(url: str) -> None:
    """VACUUM ANALYZE the freshly loaded tables, as autovacuum would soon after in a
    running city: until then a GIN index's pending list (text search) is read row by
    row, and a search that takes 1 ms takes 600."""
    with psycopg.connect(url.replace("+psycopg", ""), autocommit=True) as conn:
        for table in ("tickets", "comments", "ticket_events", "messages", "users"):
            conn.execute(f"VACUUM (ANALYZE) {table}")


def percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    return statistics.median(ordered), p99

"""Notification delivery benchmark: 10,000 status changes, two real Celery workers, a
local stand-in for Twilio's Messages API. Reports messages delivered per second against
the configured rate, lost (must be 0) and duplicated (must be 0); then the same with one
worker killed with `kill -9` half-way through.

    .venv/bin/python -m bench.bench_notifications [--changes 10000] [--rate 200]
        [--modes live,backlog,kill]

Uses its own database (BENCH_DATABASE_URL, rebuilt from the migrations) and Redis
database (BENCH_REDIS_URL, flushed). The beat relay is played by this process every few
seconds with shortened thresholds, so a killed worker's messages come back within the run.
"""

from __future__ import annotations

import argparse
import os
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import redis
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, select, text

from bench.fake_twilio import FakeTwilio
from bench.worker_processes import (
    REPO,
    kill_hard,
    start_worker,
    stop,
    wait_until_consuming,
    worker_env,
)
from core.config import Settings
from core.db import Database
from core.messaging import outbox
from core.messaging.outbox_relay import relay
from core.models import Message, Ticket
from core.tickets.workflow import apply_transition
from tasks.celery_app import make_celery

BENCH_DATABASE_URL = os.environ.get(
    "BENCH_DATABASE_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/sosoft_bench_notify"
)
BENCH_REDIS_URL = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
PRODUCERS = 4
RELAY_EVERY_SECONDS = 3.0


@dataclass
class Result:
    name: str
    expected: int
    accepted: int
    lost: int
    duplicated: int
    delivered_per_second: float
    seconds: float


def bench_settings(rate: float, twilio_url: str) -> Settings:
    return Settings.from_env(
        {},
        APP_ENV="test",
        LOG_LEVEL="WARNING",
        DATABASE_URL=BENCH_DATABASE_URL,
        DATABASE_POOL_SIZE=10,
        REDIS_URL=BENCH_REDIS_URL,
        PUBLIC_BASE_URL="https://sosoft.example",
        TWILIO_ENABLED=True,
        TWILIO_ACCOUNT_SID="AC" + "0" * 32,
        TWILIO_AUTH_TOKEN="bench-token",  # noqa: S106 - a fake for the local stand-in
        TWILIO_WHATSAPP_FROM="+14155238886",
        TWILIO_SMS_FROM="SOSOFT",
        TWILIO_API_BASE_URL=twilio_url,
        WHATSAPP_MESSAGES_PER_SECOND=rate,
        SMS_MESSAGES_PER_SECOND=rate,
        OUTBOX_RELAY_AFTER_SECONDS=10,
        SENDING_STALE_SECONDS=15,
    )


def rebuild_schema() -> None:
    config = Config(str(REPO / "alembic.ini"))
    config.set_main_option("script_location", str(REPO / "migrations"))
    config.attributes["database_url"] = BENCH_DATABASE_URL
    config.attributes["configure_logger"] = False
    engine = create_engine(BENCH_DATABASE_URL)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    command.upgrade(config, "head")


def create_tickets(database: Database, count: int) -> list[int]:
    """`count` citizens who wrote on WhatsApp just now, each with a new ticket."""
    from core.tickets.seed_data import seed_defaults

    with database.transaction() as session:
        seed_defaults(session)
        for table in ("messages", "ticket_events", "tickets", "conversations", "users"):
            session.execute(text(f"TRUNCATE {table} RESTART IDENTITY CASCADE"))
        session.execute(
            text(
                "INSERT INTO users (phone, full_name, locale)"
                " SELECT '+90534' || lpad(i::text, 7, '0'), 'Bench ' || i,"
                "  CASE WHEN i % 2 = 0 THEN 'tr' ELSE 'en' END"
                " FROM generate_series(1, :n) AS i"
            ),
            {"n": count},
        )
        session.execute(
            text(
                "INSERT INTO conversations (address, user_id, channel, locale, last_inbound_at)"
                " SELECT phone, id, 'whatsapp', locale, now() FROM users"
            )
        )
        session.execute(
            text(
                "INSERT INTO tickets (reporter_id, category_id, description, channel, address,"
                "  team_id, due_at)"
                " SELECT u.id, c.id, 'Bench çukur', 'whatsapp', 'Kadıköy', c.default_team_id,"
                "  now() + interval '3 days'"
                " FROM users u CROSS JOIN (SELECT * FROM categories ORDER BY id LIMIT 1) c"
            )
        )
        return list(session.scalars(select(Ticket.id).order_by(Ticket.id)))


def change_statuses(database: Database, ticket_ids: list[int]) -> None:
    """One transaction per change, as the API does, from a few threads."""

    def work(ids: list[int]) -> None:
        for ticket_id in ids:
            with database.transaction() as session:
                ticket = session.get(Ticket, ticket_id, with_for_update=True)
                apply_transition(session, ticket, "in_progress", actor=None, role="support")

    threads = [
        threading.Thread(target=work, args=(ticket_ids[i::PRODUCERS],)) for i in range(PRODUCERS)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def settled(database: Database, expected: int) -> bool:
    with database.transaction() as session:
        done = session.scalar(
            text(
                "SELECT count(*) FROM messages WHERE direction = 'outbound'"
                " AND status NOT IN ('pending', 'sending')"
            )
        )
    return done >= expected


def run(name: str, changes: int, rate: float, mode: str, log_dir: Path) -> Result:
    """`mode`: "live" (changes made while two workers send), "backlog" (all changes
    committed first, then two workers drain the queue), "kill" (live, and one worker is
    `kill -9`ed when half the messages are out)."""
    with FakeTwilio(latency=0.01) as twilio:
        settings = bench_settings(rate, twilio.base_url)
        outbox.install(settings)
        database = Database(settings)
        broker = redis.Redis.from_url(BENCH_REDIS_URL)
        broker.flushdb()
        ticket_ids = create_tickets(database, changes)
        producer = threading.Thread(target=_produce, args=(name, database, ticket_ids))
        if mode == "backlog":
            producer.start()
            producer.join()
            print(f"  {name}: {broker.llen('celery')} send tasks waiting in Redis")
        env = worker_env({k: v for k, v in vars(settings).items() if k.isupper() and v is not None})
        workers = [start_worker(env, f"{name}{i}", 8, log_dir) for i in (1, 2)]
        stop_relay = threading.Event()
        try:
            wait_until_consuming(make_celery(settings), [f"{name}1", f"{name}2"])
            threading.Thread(
                target=_relay_loop, args=(database, settings, stop_relay), daemon=True
            ).start()
            started = time.monotonic()
            if mode != "backlog":
                producer.start()
            if mode == "kill":
                while len(twilio.accepted) < changes // 2:
                    time.sleep(0.01)
                kill_hard(workers[0])
                print(f"  {name}: killed worker 1 (kill -9) at {len(twilio.accepted)} sent")
            producer.join()
            while not settled(database, changes):
                time.sleep(0.2)
            seconds = time.monotonic() - started
        finally:
            stop_relay.set()
            for worker in workers:
                stop(worker)
        return _score(name, database, twilio, changes, seconds)


def _produce(name: str, database: Database, ticket_ids: list[int]) -> None:
    started = time.monotonic()
    change_statuses(database, ticket_ids)
    took = time.monotonic() - started
    print(
        f"  {name}: {len(ticket_ids)} status changes committed in {took:.1f} s"
        f" ({len(ticket_ids) / took:.0f}/s)",
        flush=True,
    )


def _relay_loop(database: Database, settings: Settings, stop_relay: threading.Event) -> None:
    while not stop_relay.wait(RELAY_EVERY_SECONDS):
        relay(database, settings)


def _score(
    name: str, database: Database, twilio: FakeTwilio, expected: int, seconds: float
) -> Result:
    with database.transaction() as session:
        rows = session.execute(
            select(Message.address, Message.body, Message.status).where(
                Message.direction == "outbound", Message.kind == "in_progress"
            )
        ).all()
    wanted = {(f"whatsapp:{address}", body) for address, body, _ in rows}
    accepted = Counter((m.to, m.body) for m in twilio.accepted)
    lost = len(wanted - set(accepted)) + (expected - len(rows))
    duplicated = sum(n - 1 for n in accepted.values() if n > 1)
    times = sorted(m.at for m in twilio.accepted)
    span = times[-1] - times[0] if len(times) > 1 else float("nan")
    return Result(
        name=name,
        expected=expected,
        accepted=len(twilio.accepted),
        lost=lost,
        duplicated=duplicated,
        delivered_per_second=(len(times) - 1) / span,
        seconds=seconds,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--changes", type=int, default=10_000)
    parser.add_argument("--rate", type=float, default=200.0, help="messages/s per sender")
    parser.add_argument("--modes", default="live,backlog,kill", help="which runs, in order")
    args = parser.parse_args()

    rebuild_schema()
    log_dir = Path(tempfile.mkdtemp(prefix="bench-notify-"))
    results = [run(mode, args.changes, args.rate, mode, log_dir) for mode in args.modes.split(",")]
    print(
        f"\nconfigured rate: {args.rate:.0f} messages/s (WhatsApp sender); worker logs in {log_dir}"
    )
    print(
        f"{'run':<8} {'changes':>8} {'sent':>7} {'lost':>5} {'dup':>4} {'msg/s':>8} {'total s':>8}"
    )
    for r in results:
        print(
            f"{r.name:<8} {r.expected:>8} {r.accepted:>7} {r.lost:>5} {r.duplicated:>4}"
            f" {r.delivered_per_second:>8.1f} {r.seconds:>8.1f}"
        )


if __name__ == "__main__":
    main()

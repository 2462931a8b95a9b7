"""The Twilio webhook under load, next to a bare Flask endpoint, in one run.

    .venv/bin/python bench/bench_webhook.py [--rounds 3] [--seconds 10] [--concurrency 32]
                                            [--no-floor]

Starts the app with the production gunicorn settings (`gunicorn -c gunicorn.conf.py
wsgi:app`, APP_ENV=production) on 127.0.0.1 against its own database
(`sosoft_bench_bot`, rebuilt from the migrations every run), and beside it a bare Flask
app returning a constant TwiML reply (bench/bare_twiml_app.py) under the same settings.
Many simulated phones each run a full report conversation (first contact, consent,
name, menu, category, description, location pin, skip photo, confirm) with requests
signed like Twilio's, in parallel, over loopback only.

A third server, the floor (bench/floor_twiml_app.py), does only what no webhook that
keeps each message can skip: it reads the form, checks the signature and runs the
webhook's own two statements (lock and store, save the reply) in one transaction,
then answers a constant reply. Its ratio to the bare endpoint bounds the webhook's.

The servers take turns at full load, round after round, so a machine that slows
down for a while (these are shared) slows a round of each rather than one side of the
comparison. Reported: messages/s and p50/p99 latency of every phase, the median of the
rounds' throughput ratios (issue 19's targets: the webhook at 80 % or more of the
floor, its web-server CPU per message at most 1.3x the floor's), and the webhook's
p50/p99 with the load paced at half its median rate (target p99 < 50 ms). Latency in the paced run counts from the moment a message was due, so a
server falling behind shows in the numbers. The load generator shares the machine's
CPUs with the servers: both sides of the comparison pay that equally.

Also reported: CPU milliseconds per message at full load, split into the web server
(gunicorn master and workers), PostgreSQL (its own processes and the backends of the
bench database) and this load generator, read from /proc. Their sum, bare over
webhook, is the throughput ratio the machine would give if nothing else ran on it:
a second process busy on a shared machine skews the two phases' throughputs, much
less their CPU cost.
"""

from __future__ import annotations

import argparse
import http.client
import os
import queue
import random
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from twilio.request_validator import RequestValidator

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from alembic import command  # noqa: E402
from alembic.config import Config  # noqa: E402

from core.config import Settings  # noqa: E402
from core.db import Database  # noqa: E402
from core.tickets.seed_data import seed_defaults  # noqa: E402

DEFAULT_DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/sosoft_bench_bot"
PATH = "/bot/twilio/inbound"
AUTH_TOKEN = "bench-auth-token"  # noqa: S105 - a throwaway token for the loopback bench
ACCOUNT_SID = "AC" + "b" * 32
CONVERSATION = (
    ("Merhaba", None),
    ("EVET", None),
    ("1", None),  # the WhatsApp profile name
    ("1", None),  # new report
    ("aydinlatma", None),
    ("Sokak lambası iki gündür yanmıyor, köşe karanlık", None),
    ("", "pin"),
    ("geç", None),
    ("EVET", None),
)


# --- the database and the servers --------------------------------------------------------


def libpq_url(url: str) -> str:
    return url.replace("postgresql+psycopg://", "postgresql://")


def fresh_database(url: str) -> None:
    name = url.rsplit("/", 1)[1]
    admin = libpq_url(url).rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')
    with psycopg.connect(libpq_url(url), autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")
    config = Config(str(ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(ROOT / "migrations"))
    config.attributes["database_url"] = url
    config.attributes["configure_logger"] = False
    command.upgrade(config, "head")
    database = Database(Settings.from_env({}, DATABASE_URL=url))
    with database.transaction() as session:
        seed_defaults(session)
    database.dispose()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_gunicorn(app_path: str, port: int, env: dict[str, str]) -> subprocess.Popen:
    (ROOT / "var").mkdir(exist_ok=True)
    process = subprocess.Popen(
        [str(ROOT / ".venv/bin/gunicorn"), "-c", "gunicorn.conf.py", app_path],
        cwd=ROOT,
        env={**os.environ, **env, "HOST": "127.0.0.1", "PORT": str(port)},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.2)
    process.kill()
    raise SystemExit(f"gunicorn for {app_path} did not start")


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


# --- the simulated phones ----------------------------------------------------------------------


@dataclass
class Target:
    port: int
    validator: RequestValidator = field(default_factory=lambda: RequestValidator(AUTH_TOKEN))

    def post(self, params: dict[str, str]) -> tuple[int, str]:
        url = f"http://127.0.0.1:{self.port}{PATH}"
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "X-Twilio-Signature": self.validator.compute_signature(url, params),
        }
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        try:
            conn.request("POST", PATH, urllib.parse.urlencode(params), headers)
            response = conn.getresponse()
            return response.status, response.read().decode()
        finally:
            conn.close()


class Phone:
    """One citizen's full report conversation, one message at a time."""

    def __init__(self, number: int) -> None:
        self.address = f"+90532{number:07d}"
        self.steps: Iterator[tuple[str, str | None]] = iter(CONVERSATION)
        self.sent = 0
        rng = random.Random(number)
        # Spread over the city so the duplicate check rarely fires (it is answered if it does).
        self.pin = (f"{rng.uniform(40.95, 41.15):.6f}", f"{rng.uniform(28.75, 29.25):.6f}")

    def next_params(self) -> dict[str, str] | None:
        step = next(self.steps, None)
        if step is None:
            return None
        body, kind = step
        self.sent += 1
        params = {
            "MessageSid": f"SM{secrets.token_hex(16)}",
            "AccountSid": ACCOUNT_SID,
            "From": f"whatsapp:{self.address}",
            "To": "whatsapp:+14155238886",
            "Body": body,
            "NumMedia": "0",
            "ProfileName": "Bench",
        }
        if kind == "pin":
            params.update(Latitude=self.pin[0], Longitude=self.pin[1])
        return params

    def heard(self, reply: str) -> None:
        # "This looks like #123 … 2: report a new one": answer it like a citizen would.
        if "#" in reply and "2:" in reply and "received" not in reply and "alındı" not in reply:
            self.steps = iter([("2", None)])


class Phones:
    def __init__(self, start: int) -> None:
        self.next_number = start
        self.lock = threading.Lock()

    def new(self) -> Phone:
        with self.lock:
            self.next_number += 1
            return Phone(self.next_number)


@dataclass
class Result:
    seconds: float
    latencies: list[float]
    errors: int
    cpu_ms: float = float("nan")  # all CPU (server, PostgreSQL, client) per message
    web_cpu_ms: float = float("nan")  # the web server's share of it

    @property
    def rate(self) -> float:
        return len(self.latencies) / self.seconds

    def percentile(self, p: int) -> float:
        if len(self.latencies) < 2:
            return float("nan")
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[p - 1] * 1000


def send(target: Target, phone: Phone, params: dict[str, str]) -> bool:
    try:
        status, body = target.post(params)
    except OSError:
        return False
    phone.heard(body)
    return status == 200


def full_load(target: Target, phones: Phones, concurrency: int, seconds: float) -> Result:
    """Closed loop: every thread runs conversations back to back until time is up."""
    latencies: list[float] = []
    errors = [0]
    deadline = time.perf_counter() + seconds

    def worker() -> None:
        phone = phones.new()
        while time.perf_counter() < deadline:
            params = phone.next_params()
            if params is None:
                phone = phones.new()
                continue
            began = time.perf_counter()
            ok = send(target, phone, params)
            latencies.append(time.perf_counter() - began)
            errors[0] += not ok

    started = time.perf_counter()
    threads = [threading.Thread(target=worker) for _ in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return Result(time.perf_counter() - started, latencies, errors[0])


def paced_load(target: Target, phones: Phones, rate: float, seconds: float) -> Result:
    """Open loop: a message is due every 1/rate s, from whichever phone is waiting."""
    latencies: list[float] = []
    errors = [0]
    ready: queue.SimpleQueue[Phone] = queue.SimpleQueue()

    def one(phone: Phone, params: dict[str, str], due: float) -> None:
        ok = send(target, phone, params)
        latencies.append(time.perf_counter() - due)
        errors[0] += not ok
        ready.put(phone)

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=256) as pool:
        sent = 0
        while True:
            due = started + sent / rate
            if due - started >= seconds:
                break
            time.sleep(max(0.0, due - time.perf_counter()))
            try:
                phone = ready.get_nowait()
            except queue.Empty:
                phone = phones.new()  # every waiting phone is busy: a new one writes
            params = phone.next_params()
            if params is None:
                phone = phones.new()
                params = phone.next_params()
            pool.submit(one, phone, params, due)  # type: ignore[arg-type]
            sent += 1
    return Result(time.perf_counter() - started, latencies, errors[0])


# --- where the CPU goes -------------------------------------------------------------------------

CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of one process so far (0 when it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (FileNotFoundError, ProcessLookupError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS


def children(parent: int) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(parent)], capture_output=True, text=True)
    return [int(pid) for pid in found.stdout.split()]


def postgres_processes(database: str) -> list[int]:
    """The server's own processes (WAL writer, checkpointer, …) and the backends
    connected to `database`: not other databases' sessions on a shared machine."""
    found = subprocess.run(["pgrep", "-a", "-u", "postgres"], capture_output=True, text=True)
    pids = []
    for line in found.stdout.splitlines():
        pid, _, command = line.partition(" ")
        client = "(" in command or "[local]" in command
        if not client or f" {database} " in command:
            pids.append(int(pid))
    return pids


@dataclass
class CpuMeter:
    """CPU seconds spent by the web server (master and workers), PostgreSQL (every
    backend of the local server) and this load generator, over one phase."""

    server: int
    database: str
    before: dict[str, float] = field(default_factory=dict)

    def groups(self) -> dict[str, list[int]]:
        return {
            "web": [self.server, *children(self.server)],
            "postgres": postgres_processes(self.database),
            "client": [os.getpid()],
        }

    def read(self) -> dict[str, float]:
        return {name: sum(map(cpu_seconds, pids)) for name, pids in self.groups().items()}

    def start(self) -> None:
        self.before = self.read()

    def per_message(self, messages: int) -> dict[str, float]:
        """Milliseconds of CPU per message, by group, since `start`."""
        after = self.read()
        return {
            name: 1000 * (after[name] - self.before.get(name, 0.0)) / max(messages, 1)
            for name in after
        }


# --- the run -----------------------------------------------------------------------------------


@dataclass
class Server:
    name: str
    process: subprocess.Popen
    target: Target
    phones: Phones
    database: str

    def full_load(self, args: argparse.Namespace) -> Result:
        """One full-load phase, with the CPU it cost per message by group."""
        meter = CpuMeter(self.process.pid, self.database)
        meter.start()
        result = full_load(self.target, self.phones, args.concurrency, args.seconds)
        cpu = meter.per_message(len(result.latencies))
        result.cpu_ms = sum(cpu.values())
        result.web_cpu_ms = cpu["web"]
        shares = "  ".join(f"{group} {ms:.2f}" for group, ms in cpu.items())
        print(
            f"  {self.name:8} {result.rate:8.1f} msg/s  p50 {result.percentile(50):7.1f} ms"
            f"  p99 {result.percentile(99):7.1f} ms  errors {result.errors}"
            f"  | CPU ms/msg: {shares}",
            flush=True,
        )
        return result


def report_half_rate(server: Server, rate: float, args: argparse.Namespace) -> Result:
    half = paced_load(server.target, server.phones, rate / 2, args.seconds)
    print(
        f"  {server.name:8} at {half.rate:.1f} msg/s (half its median rate): "
        f"p50 {half.percentile(50):.1f} ms  p99 {half.percentile(99):.1f} ms  errors {half.errors}",
        flush=True,
    )
    return half


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url", default=DEFAULT_DATABASE)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--seconds", type=float, default=10.0, help="per phase")
    parser.add_argument("--rounds", type=int, default=3, help="webhook, then bare, this often")
    parser.add_argument("--warmup", type=float, default=3.0)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument(
        "--no-floor",
        dest="floor",
        action="store_false",
        help="skip bench/floor_twiml_app.py (the webhook's unavoidable work alone)",
    )
    args = parser.parse_args()

    fresh_database(args.database_url)
    media_dir = tempfile.mkdtemp(prefix="sosoft-bench-media-")
    port, bare_port = free_port(), free_port()
    env = {
        "APP_ENV": "production",
        "JWT_SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "PUBLIC_BASE_URL": f"http://127.0.0.1:{port}",
        "TWILIO_ENABLED": "false",
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "STORAGE_BACKEND": "local",
        "MEDIA_DIR": media_dir,
        "LOG_LEVEL": "WARNING",
    }
    print(
        f"CPUs: {os.cpu_count()}, load threads: {args.concurrency}, "
        f"{args.rounds} rounds of {args.seconds:.0f} s per server"
    )
    database = args.database_url.rsplit("/", 1)[1]
    floor_port = free_port()
    webhook = Server(
        "webhook", start_gunicorn("wsgi:app", port, env), Target(port), Phones(0), database
    )
    bare = Server(
        "bare",
        start_gunicorn("bench.bare_twiml_app:app", bare_port, {**env, "PUBLIC_BASE_URL": ""}),
        Target(bare_port),
        Phones(5_000_000),
        database,
    )
    servers = [webhook, bare]
    if args.floor:
        floor_env = {**env, "PUBLIC_BASE_URL": f"http://127.0.0.1:{floor_port}"}
        floor_app = start_gunicorn("bench.floor_twiml_app:app", floor_port, floor_env)
        servers.insert(
            1, Server("floor", floor_app, Target(floor_port), Phones(9_000_000), database)
        )
    try:
        for server in servers:  # workers connect, caches fill
            full_load(server.target, server.phones, args.concurrency, args.warmup)
        # The servers stay up and take turns: a machine that slows down for a while
        # slows one round of each, not one side of the comparison.
        rounds = []
        for number in range(1, args.rounds + 1):
            print(f"round {number}", flush=True)
            rounds.append({server.name: server.full_load(args) for server in servers})
        half = report_half_rate(webhook, statistics.median(r["webhook"].rate for r in rounds), args)
    finally:
        for server in servers:
            stop(server.process)
    if args.floor:
        print(
            f"floor/bare throughput, median of {len(rounds)} rounds: "
            f"{_median_ratio(rounds, 'floor', 'bare')} (the most any webhook that stores "
            f"each message can reach here); webhook/floor: "
            f"{_median_ratio(rounds, 'webhook', 'floor')} (target >= 80%); webhook/floor web "
            f"CPU per message: {_median_web_cpu(rounds, 'webhook', 'floor')} (target <= 1.3x)"
        )
    ratios = sorted(r["webhook"].rate / r["bare"].rate for r in rounds)
    by_cpu = sorted(r["bare"].cpu_ms / r["webhook"].cpu_ms for r in rounds)
    print(
        f"webhook/bare throughput, median of {len(rounds)} rounds: "
        f"{statistics.median(ratios):.0%} (rounds {', '.join(f'{r:.0%}' for r in ratios)}); "
        f"by CPU per message, which another process on the machine "
        f"disturbs less: {statistics.median(by_cpu):.0%}; webhook p99 at half its max rate: "
        f"{half.percentile(99):.1f} ms (target < 50 ms); "
        f"load average after: {os.getloadavg()[0]:.1f}"
    )


def _median_web_cpu(rounds: list[dict[str, Result]], top: str, bottom: str) -> str:
    """The median over rounds of `top`'s web-server CPU per message over `bottom`'s."""
    ratio = statistics.median(r[top].web_cpu_ms / r[bottom].web_cpu_ms for r in rounds)
    return f"{ratio:.2f}x"


def _median_ratio(rounds: list[dict[str, Result]], top: str, bottom: str) -> str:
    """The median over rounds of `top`'s throughput over `bottom`'s, and the same by
    CPU per message."""
    rate = statistics.median(r[top].rate / r[bottom].rate for r in rounds)
    cpu = statistics.median(r[bottom].cpu_ms / r[top].cpu_ms for r in rounds)
    return f"{rate:.0%} ({cpu:.0%} by CPU)"


if __name__ == "__main__":
    main()

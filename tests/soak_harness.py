"""SoSoft as a city runs it, on services of its own, for the soak and fault suite.

`Stack` starts a PostgreSQL cluster of its own (tests/scratch_postgres.py), a redis-server
on a free port, and the Twilio stand-in (bench/fake_twilio.py); runs the Procfile's
`release`, then `web` (gunicorn, several workers), `worker` (Celery prefork, two
children or more) and `beat`, exactly as the Procfile starts them, with the sweeps'
intervals shortened (settings, see `FAST`) so every schedule fires within minutes.

The faults a supervisor or an operator meets are methods: kill -9 a gunicorn worker,
the Celery child that is sending (held by the stand-in before or after Twilio took
the message), the worker's parent (then restarted as a supervisor would), Redis stopped
and started again, PostgreSQL restarted. Nothing waits a fixed time: every wait polls
a condition until a deadline.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from bench.fake_twilio import FakeTwilio, HoldMode
from core.config import Settings
from tests.procfile_processes import start_process
from tests.scratch_postgres import ScratchCluster, free_port

ACCOUNT_SID = "AC" + "5" * 32
AUTH_TOKEN = "soak-auth-token-0123456789abcdef"
WHATSAPP_FROM = "+14155238886"
SMS_FROM = "+14155238887"

# The sweeps run every few seconds instead of every minute (the settings of issue 13).
FAST: dict[str, str] = {
    "OUTBOX_RELAY_AFTER_SECONDS": "4",
    "SENDING_STALE_SECONDS": "8",
    "OUTBOX_RELAY_INTERVAL_SECONDS": "2",
    "MEDIA_RELAY_INTERVAL_SECONDS": "3",
    "CONVERSATION_EXPIRY_INTERVAL_SECONDS": "10",
    "SLA_SWEEP_INTERVAL_SECONDS": "2",
    "AUTO_CLOSE_INTERVAL_SECONDS": "2",
    # Closed 20 s after resolution.
    "AUTO_CLOSE_DAYS": str(20 / 86400),
    "RETENTION_CRON": "* * * * *",
    "ANALYTICS_REFRESH_SECONDS": "20",
    "SEND_RETRY_BASE_SECONDS": "1",
    "SEND_RETRY_MAX_SECONDS": "8",
    "SMS_MESSAGES_PER_SECOND": "50",
}


def recovery_seconds(settings: Settings) -> float:
    """How long after a fault ends (the service back) a message may still be pending or
    sending, read from the code: a row whose enqueue was lost is relayed by the first
    relay run after it is OUTBOX_RELAY_AFTER_SECONDS old; a photo never fetched likewise
    by the media relay; a row a dead worker left in `sending` by the first relay run
    after it is SENDING_STALE_SECONDS old. Runs come every *_INTERVAL_SECONDS."""
    relay = settings.OUTBOX_RELAY_INTERVAL_SECONDS
    return max(
        settings.OUTBOX_RELAY_AFTER_SECONDS + max(relay, settings.MEDIA_RELAY_INTERVAL_SECONDS),
        settings.SENDING_STALE_SECONDS + relay,
    )


def wait_until(condition: Callable[[], Any], timeout: float, what: str, every: float = 0.1) -> Any:
    """Poll `condition` until it is truthy (returned) or `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            value = condition()
        except RuntimeError:  # a process died: no use waiting
            raise
        except Exception:  # a service still coming up
            value = None
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what}: not within {timeout:.0f} s")
        time.sleep(every)


def children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(p) for p in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def owner_of_connection(local_port: int, among: list[int]) -> int | None:
    """Which of the processes `among` holds the TCP socket bound to `local_port`."""
    inodes = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            parts = line.split()
            if int(parts[1].rsplit(":", 1)[1], 16) == local_port:
                inodes.add(parts[9])
    for pid in among:
        for fd in Path(f"/proc/{pid}/fd").glob("*"):
            try:
                target = os.readlink(fd)
            except OSError:
                continue
            if target.startswith("socket:[") and target[8:-1] in inodes:
                return pid
    return None


class Redis:
    """A redis-server of its own: no persistence, stopped and started on one port."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.log = workdir / "redis.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                ["redis-server", "--port", str(self.port), "--bind", "127.0.0.1",
                 "--save", "", "--appendonly", "no"],
                stdout=log, stderr=log, start_new_session=True,
            )  # fmt: skip
        import redis

        client = redis.Redis(port=self.port, socket_connect_timeout=0.5)
        wait_until(client.ping, 20, "redis-server answering")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


class Stack:
    """The whole deployment; `start()`, the faults, then `stop()`."""

    def __init__(
        self, workdir: Path, *, web_workers: int = 3, concurrency: int = 2, **settings: str
    ) -> None:
        self.workdir = workdir
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.pg = ScratchCluster()
        self.redis = Redis(workdir)
        self.twilio = FakeTwilio(log_path=workdir / "twilio-sends.jsonl")
        self.port = free_port()
        self.processes: dict[str, subprocess.Popen] = {}
        self._log_starts: dict[str, int] = {}
        self.env = {
            "APP_ENV": "production",
            "LOG_LEVEL": "INFO",
            "JWT_SECRET_KEY": "soak-jwt-secret-0123456789abcdef0123456789",
            "DATABASE_URL": self.pg.url,
            "DATABASE_CONNECT_TIMEOUT_SECONDS": "2",
            "REDIS_URL": self.redis.url,
            "PORT": str(self.port),
            "PUBLIC_BASE_URL": f"http://127.0.0.1:{self.port}",
            "WEB_CONCURRENCY": str(web_workers),
            "WORKER_CONCURRENCY": str(concurrency),
            "TWILIO_ENABLED": "true",
            "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
            "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
            "TWILIO_WHATSAPP_FROM": WHATSAPP_FROM,
            "TWILIO_SMS_FROM": SMS_FROM,
            "TWILIO_API_BASE_URL": self.twilio.base_url,
            "TWILIO_TIMEOUT_SECONDS": "5",
            "MEDIA_DIR": str(workdir / "media"),
            "BEAT_SCHEDULE_FILE": str(workdir / "celerybeat-schedule"),
            "GUNICORN_CONTROL_SOCKET": str(workdir / "gunicorn.ctl"),
            **FAST,
            **settings,
        }
        self.settings = Settings.from_env(self.env)
        self._engine: Engine | None = None

    # --- lifecycle -----------------------------------------------------------------------

    def start(self) -> Stack:
        self.twilio.__enter__()
        self.pg.start()
        self.redis.start()
        release = start_process("release", self.env, self.workdir / "release.log")
        if release.wait(180) != 0:
            raise RuntimeError(f"release failed: {(self.workdir / 'release.log').read_text()}")
        for name in ("web", "worker", "beat"):
            self.start_process(name)
        wait_until(lambda: self.get("/readyz").status_code == 200, 60, "web ready")
        self.wait_worker_ready()
        return self

    def stop(self) -> None:
        for process in self.processes.values():
            _stop(process)
        self.twilio.__exit__()
        self.redis.stop()
        if self._engine is not None:
            self._engine.dispose()
        self.pg.destroy()

    def start_process(self, name: str) -> subprocess.Popen:
        log = self.workdir / f"{name}.log"
        self._log_starts[name] = log.stat().st_size if log.exists() else 0
        self.processes[name] = start_process(name, self.env, log)
        return self.processes[name]

    def log_since_start(self, name: str) -> str:
        with (self.workdir / f"{name}.log").open("rb") as log:
            log.seek(self._log_starts[name])
            return log.read().decode(errors="replace")

    def wait_worker_ready(self, timeout: float = 60) -> None:
        """Until the worker last started logs "celery@host ready." (its children consume)."""
        worker = self.processes["worker"]

        def ready() -> bool:
            if worker.poll() is not None:
                raise RuntimeError(f"worker exited: {self.log_since_start('worker')[-2000:]}")
            return " ready." in self.log_since_start("worker")

        wait_until(ready, timeout, "worker ready", every=0.2)

    # --- talking to it -----------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def get(self, path: str, **kwargs: Any) -> requests.Response:
        return requests.get(self.base_url + path, timeout=10, **kwargs)

    @property
    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = create_engine(self.pg.url, pool_pre_ping=True, pool_size=2)
        return self._engine

    def sql(self, statement: str, **params: Any) -> list[Any]:
        with self.engine.begin() as connection:
            result = connection.execute(text(statement), params)
            return list(result) if result.returns_rows else []

    # --- faults ------------------------------------------------------------------------

    def web_workers(self) -> list[int]:
        return children(self.processes["web"].pid)

    def kill_web_worker(self) -> int:
        """kill -9 one gunicorn worker; the master forks a new one."""
        before = self.web_workers()
        victim = before[0]
        os.kill(victim, signal.SIGKILL)
        wait_until(
            lambda: victim not in self.web_workers() and len(self.web_workers()) >= len(before),
            30,
            "gunicorn replacing its worker",
        )
        return victim

    def worker_children(self) -> list[int]:
        return children(self.processes["worker"].pid)

    def kill_sending_child(self, mode: HoldMode, trigger: Callable[[], Any]) -> int:
        """Hold the next send at the stand-in, kill -9 the Celery child making it."""
        self.twilio.hold(mode)
        try:
            trigger()
            port = self.twilio.wait_held(60)
            victim = wait_until(
                lambda: owner_of_connection(port, self.worker_children()), 10, "the sending child"
            )
            os.kill(victim, signal.SIGKILL)
            wait_until(lambda: not alive(victim), 10, "the child gone")
        finally:
            self.twilio.release()
        # The parent forks a replacement.
        wait_until(lambda: len(self.worker_children()) >= 2, 30, "a new child forked")
        return victim

    def kill_worker_parent(self) -> dict[str, Any]:
        """kill -9 the Celery parent, then restart it as a supervisor would (systemd
        ends what is left of the unit first)."""
        worker = self.processes["worker"]
        orphans = self.worker_children()
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait()
        started = time.monotonic()
        try:
            wait_until(lambda: not any(alive(p) for p in orphans), 15, "orphaned children exit")
            orphans_left = 0
        except TimeoutError:
            orphans_left = sum(1 for p in orphans if alive(p))
        orphans_exit_s = time.monotonic() - started
        _kill_group(worker.pid)
        self.start_process("worker")
        self.wait_worker_ready()
        return {"orphans_left": orphans_left, "orphans_exit_s": round(orphans_exit_s, 1)}

    def stop_redis(self) -> None:
        self.redis.stop()

    def start_redis(self) -> None:
        self.redis.start()

    def restart_postgres(self) -> None:
        self.pg.restart()


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(pgid, signal.SIGKILL)


def _stop(process: subprocess.Popen, timeout: float = 20) -> None:
    if process.poll() is not None:
        _kill_group(process.pid)
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout)
    except (subprocess.TimeoutExpired, ProcessLookupError):
        pass
    _kill_group(process.pid)
    process.wait()

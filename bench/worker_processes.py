"""Real `celery -A tasks worker` processes for benchmarks and multi-worker tests."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path

from celery import Celery

REPO = Path(__file__).resolve().parent.parent
CELERY = str(Path(sys.executable).with_name("celery"))


def worker_env(settings: Mapping[str, object]) -> dict[str, str]:
    """The environment of a worker: ours, with `settings` as SoSoft variables."""
    env = dict(os.environ)
    env.update({name: _env_value(value) for name, value in settings.items()})
    return env


def _env_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return ",".join(str(v) for v in value)
    return str(value)


def start_worker(
    env: Mapping[str, str], name: str, concurrency: int, log_dir: Path
) -> subprocess.Popen:
    """One worker process (thread pool: sending is waiting on Twilio and on the rate)."""
    # The child keeps its own copy of the descriptor; ours is closed on return.
    with (log_dir / f"{name}.log").open("ab") as log:
        return subprocess.Popen(
            [
                CELERY,
                "-A",
                "tasks",
                "worker",
                "--pool",
                "threads",
                "--concurrency",
                str(concurrency),
                "--hostname",
                f"{name}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                "--loglevel",
                "WARNING",
            ],
            cwd=REPO,
            env=dict(env),
            stdout=log,
            stderr=log,
            start_new_session=True,  # its own process group, so kill -9 takes all of it
        )


def wait_until_consuming(app: Celery, names: list[str], timeout: float = 60.0) -> None:
    """Wait until every named worker answers a ping (so it is consuming)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        replies = app.control.ping(timeout=0.5)
        answered = {host.split("@", 1)[0] for reply in replies for host in reply}
        if set(names) <= answered:
            return
    raise TimeoutError(f"workers {names} did not start")


def kill_hard(process: subprocess.Popen) -> None:
    """`kill -9` the worker and everything it started, as a crashed machine would."""
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()


def stop(process: subprocess.Popen, timeout: float = 20.0) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout)
    except subprocess.TimeoutExpired:
        kill_hard(process)

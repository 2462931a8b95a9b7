"""Gunicorn settings for the SoSoft web process (`gunicorn -c gunicorn.conf.py wsgi:app`).

Everything tunable comes from the environment (then .env), so the same file serves a
laptop, docker-compose and production. See .env.example for the variables.
"""

from __future__ import annotations

import os
from pathlib import Path

from dotenv import load_dotenv

# Same rule as the app: a variable already in the environment wins over .env.
# (Read here too because bind/workers are decided before the app is imported.)
load_dotenv(Path(__file__).with_name(".env"), override=False)


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    return int(raw) if raw else default


def _cpus() -> int:
    # Respect a CPU affinity mask (taskset, some containers) where the OS offers one.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


# Loopback by default: a developer machine should not expose the API to its network.
# Containers and hosts behind a proxy set HOST=0.0.0.0.
_host = os.environ.get("HOST", "").strip() or "127.0.0.1"
if ":" in _host and not _host.startswith("["):
    _host = f"[{_host}]"  # IPv6 literal
bind = f"{_host}:{_int('PORT', 8000)}"

# Sync workers: every request is short (webhooks answer with TwiML in well under
# Twilio's 15 s limit; anything slow goes through the outbox to Celery), and each
# worker keeps its own small SQLAlchemy pool (DATABASE_POOL_SIZE). The classic
# 2*cores+1 is capped at 8 so a big machine does not open dozens of DB connections
# per instance; scale by running more instances instead. WEB_CONCURRENCY overrides.
workers = _int("WEB_CONCURRENCY", min(2 * _cpus() + 1, 8))
worker_class = "sync"
# WEB_THREADS > 1 makes gunicorn switch the sync worker to gthread on its own;
# each thread then needs its own DB connection, so keep DATABASE_POOL_SIZE >= threads.
threads = _int("WEB_THREADS", 1)

# A request still running after 30 s is stuck (Twilio has given up long before):
# the worker is killed and replaced. On shutdown/reload in-flight requests get
# the same 30 s to finish.
timeout = 30
graceful_timeout = 30
# A little longer than zero so a proxy/load balancer in front can reuse
# connections; it must stay below the proxy's own idle timeout (commonly 60 s).
keepalive = 5

# Logs go to stdout/stderr: honcho, docker and systemd collect them from there.
accesslog = "-"
# The path without the query string (%(U)s, not the request line): queries can carry
# phone numbers (user search), which must never reach a log.
access_log_format = '%(h)s "%(m)s %(U)s" %(s)s %(B)s %(M)sms "%({x-request-id}o)s"'
errorlog = "-"
loglevel = os.environ.get("LOG_LEVEL", "info").lower()

# Which proxies may set X-Forwarded-For/-Proto. Twilio signs the public https URL,
# so behind a TLS-terminating proxy its address must be listed here (or "*" when
# only the proxy can reach this port). Default: the same host only.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "").strip() or "127.0.0.1,::1"

# Workers are forked after the master imports nothing of the app: database pools,
# Redis clients and the Twilio session are created per worker, never shared across fork.
preload_app = False


def post_worker_init(worker) -> None:
    """Each worker warms itself up before its first request (sosoft/warm_up.py).
    Only SoSoft's app: these settings also serve the benchmarks' bare and floor
    endpoints (bench/bench_webhook.py), whose workers must boot as they are."""
    from sosoft.warm_up import warm_up

    config = getattr(worker.wsgi, "config", None)
    if config is not None and "SOSOFT" in config:
        warm_up(worker.wsgi)


# The worker heartbeat file is touched constantly; on tmpfs that never blocks on a
# slow disk (docker's overlay filesystem in particular).
# (gunicorn creates it with mkstemp, so a shared directory is fine.)
_shm = "/dev/shm"  # noqa: S108
if os.path.isdir(_shm) and os.access(_shm, os.W_OK):
    worker_tmp_dir = _shm

# Gunicorn >= 25 opens a control socket, by default one per user in $HOME; keep it
# inside this checkout's var/ so two instances on one machine do not collide
# (GUNICORN_CONTROL_SOCKET moves it: the soak suite runs one beside `make run`).
# (Older gunicorn ignores the unknown setting.)
control_socket = os.environ.get("GUNICORN_CONTROL_SOCKET", "").strip() or "var/gunicorn.ctl"

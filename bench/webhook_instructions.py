"""The webhook's cost per message in CPU instructions, next to the floor's, in one run:

    .venv/bin/python bench/webhook_instructions.py [--phones 20]

The same signed 9-message conversations as bench/bench_webhook.py (first contact to a
confirmed report), handed straight to each WSGI app in process (no HTTP server, no
load generator), once through the app (`wsgi:app`, production settings) and once
through the floor (bench/floor_twiml_app.py: form, signature, the two statements).
Each runs under valgrind's callgrind, which counts the instructions the process
executes while the conversations run (the app's start and a warm-up round are left
out): the same code and data give the same count on a busy machine as on an idle
one, to a few hundredths of a percent, where CPU time under load moves by tens of
percent from run to run. So a change of a few percent to the webhook shows here
before it shows in bench_webhook.py's throughput. PostgreSQL's own work is not
counted (another process); waiting for it costs the web process no instructions.

Prints instructions per message for both and their ratio (the in-process side of
issue 19's web CPU target of 1.3x; under gunicorn both also pay for the HTTP server,
which brings the ratio down). Takes about three minutes: Python runs some 50 times
slower under valgrind.
"""

from __future__ import annotations

import argparse
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import bench_webhook  # noqa: E402

DATABASE = "postgresql+psycopg://postgres@127.0.0.1:5432/sosoft_bench_instructions"
APPS = {"webhook": "wsgi", "floor": "bench.floor_twiml_app"}
BASE_URL = "http://127.0.0.1:9"  # never connected to: requests go straight to the app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phones", type=int, default=20, help="conversations counted")
    parser.add_argument("--database-url", default=DATABASE)
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--child", choices=sorted(APPS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        run_child(args)
        return
    bench_webhook.fresh_database(args.database_url)
    messages = args.phones * len(bench_webhook.CONVERSATION)
    counts = {name: count_instructions(name, args) for name in APPS}
    print(
        f"{messages} messages ({args.phones} conversations of {len(bench_webhook.CONVERSATION)}) each"
    )
    for name, count in counts.items():
        print(f"  {name:8} {count / messages / 1e6:6.3f} M instructions a message")
    ratio = counts["webhook"] / counts["floor"]
    print(f"webhook / floor: {ratio:.2f}x (in process; issue 19's web CPU target: 1.3x)")


def count_instructions(name: str, args: argparse.Namespace) -> int:
    with tempfile.TemporaryDirectory(prefix="sosoft-callgrind-") as scratch:
        out = Path(scratch) / "callgrind.out"
        command = [
            "valgrind", "--tool=callgrind", "--instr-atstart=no",
            f"--callgrind-out-file={out}", sys.executable, __file__, "--child", name,
            "--phones", str(args.phones), "--database-url", args.database_url,
            "--redis-url", args.redis_url,
        ]  # fmt: skip
        # Same hash seed in every run: dict and set layouts, and so the count, repeat.
        env = {**os.environ, **app_environment(args), "PYTHONHASHSEED": "0"}
        result = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
        if result.returncode != 0:
            raise SystemExit(f"{name}: valgrind failed\n{result.stderr[-2000:]}")
        found = re.search(r"Collected : (\d+)", result.stderr)
        if found is None or int(found.group(1)) == 0:
            raise SystemExit(f"{name}: callgrind counted nothing\n{result.stderr[-2000:]}")
        return int(found.group(1))


def app_environment(args: argparse.Namespace) -> dict[str, str]:
    """As bench_webhook.py starts the servers (production settings)."""
    return {
        "APP_ENV": "production",
        "JWT_SECRET_KEY": secrets.token_urlsafe(48),
        "DATABASE_URL": args.database_url,
        "REDIS_URL": args.redis_url,
        "PUBLIC_BASE_URL": BASE_URL,
        "TWILIO_ENABLED": "false",
        "TWILIO_AUTH_TOKEN": bench_webhook.AUTH_TOKEN,
        "TWILIO_ACCOUNT_SID": bench_webhook.ACCOUNT_SID,
        "STORAGE_BACKEND": "local",
        "MEDIA_DIR": tempfile.mkdtemp(prefix="sosoft-bench-media-"),
        "LOG_LEVEL": "ERROR",
    }


def run_child(args: argparse.Namespace) -> None:
    """Inside valgrind: build the app, warm it up, count the conversations only."""
    import importlib

    from twilio.request_validator import RequestValidator
    from werkzeug.test import EnvironBuilder

    app = importlib.import_module(APPS[args.child]).app
    validator = RequestValidator(bench_webhook.AUTH_TOKEN)
    url = BASE_URL + bench_webhook.PATH
    # Each app its own phones: the floor's conversations are not the webhook's.
    first = {"webhook": 0, "floor": 5_000_000}[args.child]

    def requests(start: int, phones: int) -> list[dict]:
        built = []
        for number in range(start, start + phones):
            phone = bench_webhook.Phone(number)
            while (params := phone.next_params()) is not None:
                signature = validator.compute_signature(url, params)
                builder = EnvironBuilder(
                    path=bench_webhook.PATH, method="POST", data=params, base_url=BASE_URL,
                    headers={"X-Twilio-Signature": signature},
                )  # fmt: skip
                built.append(builder.get_environ())
        return built

    def answer(environ: dict) -> None:
        statuses: list[str] = []
        body = b"".join(app(environ, lambda status, _headers, _exc=None: statuses.append(status)))
        if not statuses or not statuses[0].startswith("200"):
            raise SystemExit(f"{args.child}: {statuses} {body[:200]!r}")

    for environ in requests(first, 5):  # connections, caches and prepared statements
        answer(environ)
    counted = requests(first + 1000, args.phones)  # built before counting starts
    _instrument("on")
    for environ in counted:
        answer(environ)
    _instrument("off")


def _instrument(state: str) -> None:
    """callgrind_control reaches the running valgrind through a file it polls: a moment
    is left for it to take effect before the counted work starts or after it ends."""
    subprocess.run(["callgrind_control", "-i", state, str(os.getpid())], capture_output=True)
    time.sleep(1.0)


if __name__ == "__main__":
    main()

"""The soak and fault suite, long version (issue 13): SoSoft as the Procfile runs it, many
phones reporting and staff working throughout, and one fault after another. For each
fault it prints messages in (webhooks answered 200), resent (webhook attempts not
answered 200, sent again with the same MessageSid as Twilio does), out (sends Twilio
accepted), lost, duplicated, the backlog when the fault was over (messages to send and
photos to fetch) and the recovery time (from the fault's end until the last message
queued before it was sent; traffic goes on meanwhile), and checks what
tests/soak_checks.py checks. The short version runs in `make test`
(tests/test_soak.py).

    flock /tmp/sosoft-bench.lock .venv/bin/python bench/soak.py [--phones 12] [--json out.json]
"""

from __future__ import annotations

import argparse
import json
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.soak_checks import check, unsettled, wait_settled
from tests.soak_harness import Stack, recovery_seconds, wait_until
from tests.soak_traffic import Ledger, Traffic, make_traffic

REDIS_DOWN_SECONDS = 30.0
# A person typing: each phone sends a report (ten messages) about every eight seconds,
# far more than a city's chat, yet a load two cores drain between faults.
THINK = 0.4
BETWEEN_REPORTS = 3.0
# Webhooks answered before the fault, and again after it, at the least.
AROUND_FAULT = 20


def faults(stack: Stack) -> list[tuple[str, Callable[[], Any]]]:
    def redis_away() -> None:
        stack.stop_redis()
        down = time.monotonic()
        # Citizens keep reporting meanwhile; the wait polls so the traffic can be seen.
        wait_until(
            lambda: time.monotonic() - down >= REDIS_DOWN_SECONDS,
            REDIS_DOWN_SECONDS + 5,
            "Redis away long enough",
            every=0.5,
        )
        stack.start_redis()

    return [
        ("none (baseline)", lambda: None),
        ("kill -9 a gunicorn worker", stack.kill_web_worker),
        (
            "kill -9 the sending child, after Twilio took it",
            lambda: stack.kill_sending_child("after_accept", lambda: None),
        ),
        (
            "kill -9 the sending child, before Twilio got it",
            lambda: stack.kill_sending_child("before_accept", lambda: None),
        ),
        ("kill -9 the worker's parent, restarted", stack.kill_worker_parent),
        (f"Redis stopped {REDIS_DOWN_SECONDS:.0f} s", redis_away),
        ("PostgreSQL restarted", stack.restart_postgres),
    ]


def run_fault(
    stack: Stack,
    ledger: Ledger,
    traffic: Traffic,
    name: str,
    inject: Callable[[], Any],
    seconds: float,
) -> dict[str, Any]:
    """Traffic for `seconds` before the fault and as long after it, then settle and check."""
    sends_before = len(stack.twilio.accepted)
    in_before, resent_before = len(ledger.acknowledged), ledger.non_200
    traffic.start(think=THINK, between_reports=BETWEEN_REPORTS)
    started = time.monotonic()
    try:
        _traffic_for(ledger, in_before, started, seconds)
        detail = inject()
        fault_over = time.monotonic()
        [now] = wait_until(lambda: stack.sql("SELECT clock_timestamp() AS at"), 60, "database")
        backlog = unsettled(stack)
        _traffic_for(ledger, len(ledger.acknowledged), fault_over, seconds)
    finally:
        traffic.stop()
    bound = recovery_seconds(stack.settings)
    try:
        wait_settled(stack, bound + 180)
        recovery = _recovery(stack, now.at)
    except TimeoutError:
        recovery = float("nan")
    figures = check(stack, ledger)
    return {
        "fault": name,
        "in": len(ledger.acknowledged) - in_before,
        "resent": ledger.non_200 - resent_before,
        "out": len(stack.twilio.accepted) - sends_before,
        "lost": figures.lost + figures.inbound_missing,
        "duplicated": figures.duplicated + figures.inbound_stored_twice,
        "backlog": backlog,
        "recovery_s": round(recovery, 1),
        "bound_s": bound,
        "phase_s": round(time.monotonic() - started, 1),
        "clean": figures.clean,
        "problems": figures.problems[:10],
        "detail": detail if isinstance(detail, dict) else None,
        "totals": {
            "tickets": figures.tickets,
            "confirmed": figures.reports_confirmed,
            "sent": figures.sent,
            "kinds": figures.kinds,
        },
    }


def _traffic_for(ledger: Ledger, acknowledged: int, since: float, seconds: float) -> None:
    wait_until(
        lambda: (
            time.monotonic() - since >= seconds
            and len(ledger.acknowledged) >= acknowledged + AROUND_FAULT
        ),
        seconds + 180,
        "traffic flowing",
        every=0.5,
    )


def _recovery(stack: Stack, fault_over: Any) -> float:
    """Seconds from the fault's end until the last message queued before it was sent."""
    [row] = stack.sql(
        "SELECT extract(epoch FROM max(sent_at) - :t) AS s FROM messages"
        " WHERE direction = 'outbound' AND created_at <= :t",
        t=fault_over,
    )
    return max(float(row.s or 0.0), 0.0)


def _interrupted(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt(signal.Signals(signum).name)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--phones", type=int, default=12)
    parser.add_argument(
        "--seconds", type=float, default=20, help="traffic before each fault and after it"
    )
    parser.add_argument(
        "--twilio-latency", type=float, default=0.1, help="seconds the stand-in takes per send"
    )
    parser.add_argument("--json", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the logs' folder")
    args = parser.parse_args()
    # Stopped with SIGTERM (or SIGINT, which a background job ignores): still clean up.
    signal.signal(signal.SIGTERM, _interrupted)
    signal.signal(signal.SIGINT, _interrupted)
    workdir = Path(tempfile.mkdtemp(prefix="sosoft-soak-bench-"))
    stack = Stack(workdir)
    results = []
    try:
        started = time.monotonic()
        stack.start()
        stack.twilio.latency = args.twilio_latency
        print(f"stack up in {time.monotonic() - started:.0f} s (logs in {workdir})", flush=True)
        ledger, traffic = make_traffic(stack, args.phones)
        header = (
            f"{'fault':50} {'in':>5} {'resent':>6} {'out':>5} {'lost':>4} {'dup':>4}"
            f" {'backlog':>7} {'recovery':>9}"
        )
        print(header, flush=True)
        for name, inject in faults(stack):
            result = run_fault(stack, ledger, traffic, name, inject, args.seconds)
            results.append(result)
            backlog = "-" if result["backlog"] is None else result["backlog"]
            print(
                f"{name:50} {result['in']:5} {result['resent']:6} {result['out']:5}"
                f" {result['lost']:4} {result['duplicated']:4} {backlog:>7}"
                f" {result['recovery_s']:8.1f}s"
                + ("" if result["clean"] else f"  PROBLEMS: {result['problems']}"),
                flush=True,
            )
        print(f"bound (recovery_seconds of the soak settings): {results[0]['bound_s']} s")
        print(f"totals: {results[-1]['totals']}")
    finally:
        stack.stop()
        if args.json:
            args.json.write_text(json.dumps(results, indent=1, ensure_ascii=False))
        if not args.keep:
            shutil.rmtree(workdir, ignore_errors=True)
    return 0 if all(r["clean"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())

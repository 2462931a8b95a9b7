"""What must hold after every fault, read from the database and the Twilio stand-in's log.

- every inbound message answered 200 is stored, once (MessageSid);
- every report the bot confirmed is one ticket, and no ticket was opened unconfirmed;
- every outbound message is sent exactly once: the stand-in accepted each row that
  SoSoft holds as sent once, under the SID SoSoft stored, and nothing else;
- nothing stays `pending` or `sending` (nor a photo unfetched) past its recovery time;
- web, worker and beat are still running (none exited on the fault).
"""

from __future__ import annotations

import contextlib
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from typing import Any

from tests.soak_harness import Stack, recovery_seconds
from tests.soak_traffic import Ledger

SENT = ("queued", "sent", "delivered", "read", "undelivered")


@dataclass
class Figures:
    inbound_acknowledged: int = 0
    inbound_missing: int = 0
    inbound_stored_twice: int = 0
    reports_confirmed: int = 0
    tickets: int = 0
    tickets_not_confirmed: int = 0
    outbound_rows: int = 0
    sent: int = 0
    duplicated: int = 0
    lost: int = 0
    wrong_sid: int = 0
    unknown_sends: int = 0
    failed: int = 0
    unsettled: int = 0
    kinds: dict[str, int] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)

    @property
    def clean(self) -> bool:
        return not self.problems

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def unsettled(stack: Stack, older_than: float = 0.0) -> int:
    """Outbound rows still to send, and inbound photos still to fetch (created more than
    `older_than` seconds ago: beat's sweeps keep writing new ones)."""
    [row] = stack.sql(
        "SELECT (SELECT count(*) FROM messages WHERE direction = 'outbound'"
        "   AND status IN ('pending', 'sending') AND created_at < now() - make_interval(secs => :s))"
        " + (SELECT count(*) FROM messages WHERE direction = 'inbound' AND media <> '[]'::jsonb"
        "   AND created_at < now() - make_interval(secs => :s)"
        "   AND jsonb_path_exists(media, '$[*] ? (!exists(@.state))')) AS n",
        s=older_than,
    )
    return int(row.n)


def wait_settled(stack: Stack, timeout: float) -> float:
    """Seconds until nothing is left to send or fetch; TimeoutError past `timeout`."""
    started = time.monotonic()
    deadline = started + timeout
    while True:
        with contextlib.suppress(Exception):  # the database itself coming back
            if unsettled(stack) == 0:
                return time.monotonic() - started
        if time.monotonic() > deadline:
            raise TimeoutError(f"still unsettled after {timeout:.0f} s: {unsettled(stack)} rows")
        time.sleep(0.2)


def check(stack: Stack, ledger: Ledger) -> Figures:
    figures = Figures()
    # A supervisor would restart a process that exited; the suite wants none to.
    for name, process in stack.processes.items():
        if process.poll() is not None:
            figures.problems.append(f"{name} exited with {process.returncode}")
    _inbound(stack, ledger, figures)
    _tickets(stack, ledger, figures)
    _outbound(stack, figures)
    # Older than the recovery time: past it, nothing may be waiting any more.
    figures.unsettled = unsettled(stack, recovery_seconds(stack.settings))
    if figures.unsettled:
        figures.problems.append(
            f"{figures.unsettled} rows pending, sending or unfetched past the recovery time"
        )
    return figures


def _inbound(stack: Stack, ledger: Ledger, figures: Figures) -> None:
    with ledger.lock:
        acknowledged = set(ledger.acknowledged)
    stored = Counter(
        row.twilio_sid
        for row in stack.sql("SELECT twilio_sid FROM messages WHERE direction = 'inbound'")
    )
    figures.inbound_acknowledged = len(acknowledged)
    figures.inbound_missing = sum(1 for sid in acknowledged if stored[sid] == 0)
    figures.inbound_stored_twice = sum(1 for n in stored.values() if n > 1)
    if figures.inbound_missing:
        figures.problems.append(f"{figures.inbound_missing} webhooks answered 200 not stored")
    if figures.inbound_stored_twice:
        figures.problems.append(f"{figures.inbound_stored_twice} inbound SIDs stored twice")


def _tickets(stack: Stack, ledger: Ledger, figures: Figures) -> None:
    with ledger.lock:
        confirmed = {phone: sorted(numbers) for phone, numbers in ledger.confirmed.items()}
    opened: dict[str, list[int]] = {}
    for row in stack.sql(
        "SELECT u.phone, t.number FROM tickets t JOIN users u ON u.id = t.reporter_id"
        " ORDER BY t.number"
    ):
        opened.setdefault(row.phone, []).append(int(row.number))
    figures.reports_confirmed = sum(len(n) for n in confirmed.values())
    figures.tickets = sum(len(n) for n in opened.values())
    for phone, numbers in confirmed.items():
        if opened.get(phone, []) != numbers:
            figures.problems.append(
                f"{phone}: confirmed {numbers}, tickets {opened.get(phone, [])}"
            )
    # A report the citizen never saw confirmed (the reply lost with a killed worker)
    # must still be one ticket only; the ledger cannot tell, so unconfirmed ones are counted.
    figures.tickets_not_confirmed = sum(
        len(set(numbers) - set(confirmed.get(phone, []))) for phone, numbers in opened.items()
    )


def _outbound(stack: Stack, figures: Figures) -> None:
    rows = stack.sql(
        "SELECT id, status, twilio_sid, kind, error_message FROM messages"
        " WHERE direction = 'outbound'"
    )
    with stack.twilio.lock:
        accepted = list(stack.twilio.accepted)
    sends = Counter(a.message_id for a in accepted)
    sids: dict[int | None, set[str]] = {}
    for a in accepted:
        sids.setdefault(a.message_id, set()).add(a.sid)
    ids = {row.id for row in rows}
    figures.outbound_rows = len(rows)
    figures.duplicated = sum(n - 1 for n in sends.values() if n > 1)
    figures.unknown_sends = sum(n for mid, n in sends.items() if mid not in ids)
    kinds: Counter[str] = Counter()
    for row in rows:
        if row.status in SENT:
            figures.sent += 1
            kinds[row.kind or "?"] += 1
            if sends[row.id] == 0:
                figures.lost += 1
                figures.problems.append(f"message {row.id} ({row.kind}) {row.status}, never sent")
            elif row.twilio_sid not in sids.get(row.id, set()):
                figures.wrong_sid += 1
                figures.problems.append(f"message {row.id} stored a SID Twilio never gave it")
        elif row.status == "failed":
            figures.failed += 1
            figures.problems.append(f"message {row.id} ({row.kind}) failed: {row.error_message}")
        elif row.status == "skipped" and sends[row.id]:
            figures.problems.append(f"message {row.id} skipped, yet sent")
    figures.kinds = dict(kinds)
    if figures.duplicated:
        dupes = [mid for mid, n in sends.items() if n > 1]
        figures.problems.append(f"{figures.duplicated} duplicate sends (rows {dupes[:10]})")
    if figures.unknown_sends:
        figures.problems.append(f"{figures.unknown_sends} sends of no outbound row")

"""What the soak suite drives a running SoSoft with: citizens texting the bot through
Twilio-signed webhooks (whole reports: category, description, a pin, a photo, among
them a "photo" that is not an image) and staff moving tickets through the API.

A webhook is resent with the same MessageSid until it is answered 200, as Twilio does
with the connection overrides SoSoft asks for (`rc=3&rp=ct,5xx`): every send is kept in
the ledger, so a check can ask the database for each acknowledged one.
"""

from __future__ import annotations

import contextlib
import itertools
import re
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from sqlalchemy import text
from twilio.request_validator import RequestValidator

from bench.fake_twilio import NOT_AN_IMAGE
from core.people.tokens import issue_access_token
from tests.soak_harness import ACCOUNT_SID, AUTH_TOKEN, WHATSAPP_FROM, Stack

INBOUND = "/bot/twilio/inbound"
CREATED = re.compile(r"#(\d{3,})")
MANAGER_PHONE = "+905329990001"


@dataclass
class Ledger:
    """Every webhook sent and what came of it, shared by all driver threads."""

    acknowledged: set[str] = field(default_factory=set)  # MessageSids answered 200
    unanswered: set[str] = field(default_factory=set)  # never got a 200 before giving up
    attempts: int = 0
    non_200: int = 0
    confirmed: dict[str, list[int]] = field(default_factory=dict)  # phone -> ticket numbers
    transitions: int = 0
    transition_errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class Citizen:
    """One phone on WhatsApp, reporting over and over."""

    def __init__(self, stack: Stack, ledger: Ledger, index: int) -> None:
        self.stack = stack
        self.ledger = ledger
        self.index = index
        self.number = f"+90532{index:07d}"
        self.http = requests.Session()
        self.validator = RequestValidator(AUTH_TOKEN)
        self.reports = 0
        self.registered = False
        self.think = 0.0  # seconds a person takes to type the next message

    def send(self, body: str = "", **extra: str) -> str:
        params = {
            "MessageSid": f"SM{uuid.uuid4().hex}",
            "AccountSid": ACCOUNT_SID,
            "From": f"whatsapp:{self.number}",
            "To": f"whatsapp:{WHATSAPP_FROM}",
            "Body": body,
            "NumMedia": "0",
            "ProfileName": f"Komşu {self.index}",
            **extra,
        }
        url = self.stack.settings.PUBLIC_BASE_URL + INBOUND
        headers = {"X-Twilio-Signature": self.validator.compute_signature(url, params)}
        if self.think:
            time.sleep(self.think)  # traffic shaping: a person typing, not a wait for state
        deadline = time.monotonic() + 120
        delay = 0.2
        while True:
            with self.ledger.lock:
                self.ledger.attempts += 1
            try:
                response = self.http.post(
                    self.stack.base_url + INBOUND, data=params, headers=headers, timeout=15
                )
            except requests.RequestException:
                response = None
            if response is not None and response.status_code == 200:
                with self.ledger.lock:
                    self.ledger.acknowledged.add(params["MessageSid"])
                return response.text
            with self.ledger.lock:
                self.ledger.non_200 += 1
            if time.monotonic() > deadline:
                with self.ledger.lock:
                    self.ledger.unanswered.add(params["MessageSid"])
                return ""
            time.sleep(delay)  # Twilio's own back-off between retries
            delay = min(delay * 2, 3)

    def media_url(self, usable: bool) -> str:
        media = f"ME{uuid.uuid4().hex}" if usable else f"{NOT_AN_IMAGE}{uuid.uuid4().hex}"
        return f"{self.stack.settings.twilio_media_prefix}MM{uuid.uuid4().hex}/Media/{media}"

    def report(self, *, usable_photo: bool = True) -> int | None:
        """One whole report; the ticket number the bot confirmed, else None."""
        if not self.registered:
            self.send("merhaba")
            self.send("evet")
            self.send("1")  # the WhatsApp profile name offered
            self.registered = True
        self.reports += 1
        # Pins 110 m apart or more, so no report is offered as another's duplicate.
        lat = 41.0 + self.index * 0.002
        lon = 28.95 + self.reports * 0.002
        self.send("1")  # a new report
        self.send("aydinlatma")
        self.send(f"Sokak lambası yanmıyor, {self.index}. komşu, {self.reports}. bildirim")
        self.send("", Latitude=str(lat), Longitude=str(lon))
        self.send(
            "",
            NumMedia="1",
            MediaUrl0=self.media_url(usable_photo),
            MediaContentType0="image/jpeg",
        )
        self.send("geç")
        reply = self.send("EVET")
        found = CREATED.search(reply)
        if not found:
            return None
        number = int(found.group(1))
        with self.ledger.lock:
            self.ledger.confirmed.setdefault(self.number, []).append(number)
        return number


class Staff:
    """A manager moving tickets through the API (and receiving the SLA alerts)."""

    def __init__(self, stack: Stack, ledger: Ledger) -> None:
        self.stack = stack
        self.ledger = ledger
        self.http = requests.Session()
        rows = stack.sql(
            "INSERT INTO users (phone, full_name, role, sla_alerts, locale, is_active)"
            " VALUES (:phone, 'Müdür', 'manager', true, 'tr', true)"
            " ON CONFLICT (phone) DO UPDATE SET role = 'manager' RETURNING id, role",
            phone=MANAGER_PHONE,
        )
        self.user = _TokenUser(id=rows[0].id, role=rows[0].role)

    def headers(self) -> dict[str, str]:
        token, _ = issue_access_token(self.stack.settings, self.user)  # type: ignore[arg-type]
        return {"Authorization": f"Bearer {token}"}

    def move(self, ticket_id: int, to: str) -> bool:
        deadline = time.monotonic() + 60
        while True:
            try:
                response = self.http.post(
                    f"{self.stack.base_url}/api/v1/tickets/{ticket_id}/transitions",
                    json={"to": to},
                    headers=self.headers(),
                    timeout=15,
                )
            except requests.RequestException:
                response = None
            if response is not None and response.status_code == 200:
                with self.ledger.lock:
                    self.ledger.transitions += 1
                return True
            if response is not None and response.status_code < 500:
                with self.ledger.lock:
                    self.ledger.transition_errors.append(f"{to}: {response.status_code}")
                return False
            if time.monotonic() > deadline:
                return False
            time.sleep(0.5)

    def work_through(self) -> int:
        """Start every new ticket, resolve every one in progress; returns moves made."""
        moves = 0
        for row in self.stack.sql(
            "SELECT id, status FROM tickets WHERE status IN ('new', 'in_progress') ORDER BY id"
        ):
            moves += self.move(row.id, "in_progress" if row.status == "new" else "resolved")
        return moves

    def shift_clock_past_due(self, share: int = 2) -> int:
        """Every `share`-th open ticket becomes overdue, as if its SLA hours had passed."""
        return len(
            self.stack.sql(
                "UPDATE tickets SET due_at = now() - interval '1 second'"
                " WHERE status IN ('new', 'in_progress') AND sla_breached_at IS NULL"
                " AND id % :share = 0 RETURNING id",
                share=share,
            )
        )


@dataclass(frozen=True)
class _TokenUser:
    id: int
    role: str


class Traffic:
    """Citizens reporting in threads, and staff working, until `stop()`."""

    def __init__(self, stack: Stack, citizens: list[Citizen], staff: Staff) -> None:
        self.stack = stack
        self.citizens = citizens
        self.staff = staff
        self.stopping = threading.Event()
        self.threads: list[threading.Thread] = []
        self.errors: list[BaseException] = []
        self.between_reports = 0.0

    def start(
        self, *, staff_every: float = 2.0, think: float = 0.0, between_reports: float = 0.0
    ) -> Traffic:
        """Every citizen reports again and again (`think` seconds before each message,
        `between_reports` after each report); staff work every `staff_every` seconds."""
        self.stopping.clear()
        self.between_reports = between_reports
        for citizen in self.citizens:
            citizen.think = think
        self.threads = [
            threading.Thread(target=self._guard(self._citizen_loop, c), daemon=True)
            for c in self.citizens
        ]
        self.threads.append(
            threading.Thread(target=self._guard(self._staff_loop, staff_every), daemon=True)
        )
        for thread in self.threads:
            thread.start()
        return self

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(180)
        if self.errors:
            raise self.errors[0]

    def _guard(self, loop: Callable[..., None], *args: Any) -> Callable[[], None]:
        def run() -> None:
            try:
                loop(*args)
            except BaseException as exc:  # shown by stop()
                self.errors.append(exc)

        return run

    def _citizen_loop(self, citizen: Citizen) -> None:
        for n in itertools.count():
            if self.stopping.is_set():
                return
            # Every fifth report sends a "photo" that is not an image (F1's scenario).
            citizen.report(usable_photo=(n + citizen.index) % 5 != 0)
            self.stopping.wait(self.between_reports)

    def _staff_loop(self, every: float) -> None:
        while not self.stopping.wait(every):
            # The database restarting under the staff: the next round.
            with contextlib.suppress(Exception):
                self.staff.work_through()
                self.staff.shift_clock_past_due()


def make_traffic(stack: Stack, phones: int) -> tuple[Ledger, Traffic]:
    ledger = Ledger()
    citizens = [Citizen(stack, ledger, i + 1) for i in range(phones)]
    return ledger, Traffic(stack, citizens, Staff(stack, ledger))


def ticket_count(stack: Stack) -> int:
    with stack.engine.connect() as connection:
        return int(connection.scalar(text("SELECT count(*) FROM tickets")) or 0)

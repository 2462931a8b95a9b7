"""Shared helpers for the notification tests: Twilio's Messages API stood in by
`responses`, an in-process Celery worker on the test Redis, and waiting for rows."""

from __future__ import annotations

import base64
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs

import redis as redis_lib
import responses
from celery import Celery
from celery.contrib.testing.worker import start_worker
from sqlalchemy import select

from core.config import Settings
from core.db import Database
from core.models import Category, Conversation, Message, Ticket, TicketFollower, User
from core.tickets.opening import open_ticket
from core.tickets.seed_data import seed_defaults
from tasks.celery_app import make_celery
from tasks.notifications import SEND_TASK

ACCOUNT_SID = "AC" + "0" * 32
TWILIO = "https://api.twilio.com"
MESSAGES_URL = f"{TWILIO}/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json"
FINAL = ("queued", "sent", "delivered", "failed", "skipped", "undelivered")


@dataclass
class FakeTwilio:
    """Answers Messages.json like Twilio; `fail_next` scripts error answers first."""

    sent: list[dict[str, Any]] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    failures: list[tuple[int, int, bool]] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def fail_next(self, http_status: int, code: int, times: int = 1, *, took: bool = False) -> None:
        """Answer the next requests with an error; `took`: yet accept the message."""
        self.failures.extend([(http_status, code, took)] * times)

    def __call__(self, request: Any) -> tuple[int, dict[str, str], str]:
        form = {k: v[0] for k, v in parse_qs(request.body).items()}
        form["at"] = time.monotonic()
        with self.lock:
            self.requests.append(form)
            sid = f"SM{uuid.uuid4().hex}"
            created = datetime.now(UTC).strftime("%a, %d %b %Y %H:%M:%S +0000")
            status, code, took = self.failures.pop(0) if self.failures else (201, 0, True)
            if took:
                self.sent.append({**form, "sid": sid, "created": created})
            if status != 201:
                body = {"code": code, "message": f"error {code}", "status": status}
                return status, {}, json.dumps(body)
        reply = {
            "sid": sid,
            "status": "queued",
            "to": form.get("To"),
            "from": form.get("From"),
            "body": form.get("Body"),
            "date_created": created,
        }
        return 201, {}, json.dumps(reply)

    def listing(self, request: Any) -> tuple[int, dict[str, str], str]:
        """GET Messages.json?To=…: what the send task asks before re-sending a lost row."""
        to = parse_qs(request.url.split("?", 1)[1]).get("To", [""])[0] if "?" in request.url else ""
        with self.lock:
            found = [m for m in self.sent if m["To"] == to]
        messages = [
            {
                "sid": m["sid"],
                "to": m["To"],
                "from": m["From"],
                "body": m.get("Body"),
                "status": "sent",
                "date_created": m["created"],
            }
            for m in reversed(found)
        ]
        return 200, {}, json.dumps({"messages": messages, "next_page_uri": None, "page": 0})

    def to(self, address: str) -> list[dict[str, Any]]:
        return [m for m in self.sent if m["To"].removeprefix("whatsapp:") == address]


@contextmanager
def fake_twilio() -> Iterator[FakeTwilio]:
    fake = FakeTwilio()
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        mock.add_callback(responses.POST, MESSAGES_URL, callback=fake)
        mock.add_callback(responses.GET, MESSAGES_URL, callback=fake.listing)
        yield fake


def worker_settings(settings: Settings, **changes: Any) -> Settings:
    """The test settings, sending through (stood-in) Twilio with quick retries."""
    base = {
        "TWILIO_ENABLED": True,
        "SEND_RETRY_BASE_SECONDS": 0.2,
        "SMS_MESSAGES_PER_SECOND": 100.0,
        "WHATSAPP_MESSAGES_PER_SECOND": 100.0,
    }
    return settings.replace(**{**base, **changes})


@contextmanager
def running_worker(settings: Settings) -> Iterator[Celery]:
    """An in-process Celery worker (solo pool, in a thread) on the test Redis.

    One per test: a second in-process worker shares Celery's global shutdown flags and
    may not stop; tests that need two workers start real processes (bench/)."""
    app = make_celery(settings)
    app.loader.import_default_modules()
    with start_worker(
        app, pool="solo", perform_ping_check=False, shutdown_timeout=60, loglevel="WARNING"
    ):
        yield app


def wait_for(check: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError("timed out waiting")


def outbound(database: Database, **where: Any) -> list[Message]:
    with database.transaction() as session:
        query = select(Message).where(Message.direction == "outbound").order_by(Message.id)
        for name, value in where.items():
            query = query.where(getattr(Message, name) == value)
        return list(session.scalars(query))


def all_settled(database: Database) -> bool:
    return all(m.status in FINAL for m in outbound(database))


class People:
    """Users, conversations and tickets committed for worker tests."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self.settings = settings
        self.counter = 0

    def seed(self) -> People:
        with self.database.transaction() as session:
            seed_defaults(session)
        return self

    def citizen(self, locale: str = "tr", channel: str | None = "whatsapp", **fields: Any) -> User:
        self.counter += 1
        with self.database.transaction() as session:
            user = User(phone=f"+90533{self.counter:07d}", full_name="C", locale=locale, **fields)
            session.add(user)
            session.flush()
            if channel:
                session.add(
                    Conversation(
                        address=user.phone,
                        user_id=user.id,
                        channel=channel,
                        locale=locale,
                        last_inbound_at=datetime.now(UTC),
                    )
                )
        return user

    def ticket(self, reporter: User, followers: tuple[User, ...] = ()) -> Ticket:
        with self.database.transaction() as session:
            category = session.scalars(select(Category).order_by(Category.id)).first()
            ticket = open_ticket(
                session,
                self.settings,
                category=category,
                description="Sokakta büyük bir çukur var",
                channel="whatsapp",
                reporter=reporter,
                address="Kadıköy",
            )
            for follower in followers:
                session.add(TicketFollower(ticket_id=ticket.id, user_id=follower.id))
        return ticket


def queued_ids(redis_client: redis_lib.Redis) -> list[int]:
    """Message ids of send tasks waiting in the broker's default queue."""
    ids = []
    for raw in redis_client.lrange("celery", 0, -1):
        envelope = json.loads(raw)
        assert envelope["headers"]["task"] == SEND_TASK
        args, _kwargs, _embed = json.loads(base64.b64decode(envelope["body"]))
        ids.append(args[0])
    return sorted(ids)

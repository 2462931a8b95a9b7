"""The writes a city makes while managers read analytics, for the benchmark's live mode.

Each call commits one realistic change through the same core functions the API and the
bot use, so every trigger, rollup mark and snapshot invalidation happens exactly as in
production: a citizen reports a new ticket today, a crew moves an open ticket on
(taken, resolved), or a citizen rates a resolved one. Every `beat_every` writes, what
beat does every ANALYTICS_REFRESH_SECONDS (and HEATMAP_PRECOMPUTE_SECONDS: the default
maps shared in Redis) runs too (untimed): with the default 20 that is a city changing a
ticket every 3 s against a 60 s beat.
"""

from __future__ import annotations

import random
import time
from collections import defaultdict
from collections.abc import Callable

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from core.analytics import map_upkeep, shared_cells, upkeep
from core.config import Settings
from core.db import Database
from core.models import Category, Feedback, Ticket, User
from core.tickets.opening import open_ticket
from core.tickets.workflow import apply_transition

KINDS = ("create", "take", "resolve", "feedback")
_NEXT = {"take": ("new", "in_progress"), "resolve": ("in_progress", "resolved")}
CHANNELS = ("whatsapp", "sms", "api", "open311")

# An open ticket at a random place in the open-tickets index (no full scan).
_OPEN_TICKET = """
SELECT id FROM tickets WHERE status = :status AND created_at >= (
    SELECT min(created_at) + (max(created_at) - min(created_at)) * :share
    FROM tickets WHERE status IN ('new', 'in_progress', 'escalated'))
ORDER BY created_at LIMIT 1
"""
_UNRATED = """
SELECT t.id FROM tickets t WHERE t.status = 'resolved' AND t.reporter_id IS NOT NULL
  AND t.resolved_at >= now() - interval '30 days'
  AND NOT EXISTS (SELECT 1 FROM feedback f WHERE f.ticket_id = t.id)
ORDER BY t.resolved_at DESC LIMIT 1
"""


class LiveWrites:
    def __init__(self, database: Database, settings: Settings, seed: int, beat_every: int) -> None:
        self.database = database
        self.settings = settings
        self.rng = random.Random(seed)
        self.beat_every = beat_every
        self.done = 0
        self.timings: dict[str, list[float]] = defaultdict(list)
        self.shared = shared_cells.connect(settings.REDIS_URL)
        with database.transaction() as session:
            self.category_ids = list(session.scalars(select(Category.id).where(Category.is_active)))
            self.staff_id = session.scalar(
                select(User.id).where(User.role == "manager", User.is_active).limit(1)
            )
            self.citizen_id = session.scalar(
                select(User.id).where(User.role == "citizen", User.is_active).limit(1)
            )

    def __call__(self) -> None:
        """Commit the next write (and run beat when it is due)."""
        kind = KINDS[self.done % len(KINDS)]
        start = time.perf_counter()
        with self.database.transaction() as session:
            write = getattr(self, f"_{kind}")
            if not write(session):
                kind = "create"  # nothing to move on: a report instead
                self._create(session)
        self.timings[kind].append(time.perf_counter() - start)
        self.done += 1
        if self.beat_every and self.done % self.beat_every == 0:
            self.beat()

    def beat(self) -> None:
        start = time.perf_counter()
        upkeep.refresh_all(self.database, self.settings)  # the beat tasks' bodies
        self.timings["beat"].append(time.perf_counter() - start)
        start = time.perf_counter()
        map_upkeep.share_default_maps(self.database, self.settings, self.shared)
        self.timings["beat maps"].append(time.perf_counter() - start)

    def _create(self, session: Session) -> bool:
        min_lon, min_lat, max_lon, max_lat = self.settings.SERVICE_AREA_BBOX
        # Near the middle of the area, where the city (and its demo data) lives.
        lat = (min_lat + max_lat) / 2 + self.rng.uniform(-0.08, 0.08)
        lon = (min_lon + max_lon) / 2 + self.rng.uniform(-0.15, 0.15)
        open_ticket(
            session, self.settings,
            category=session.get(Category, self.rng.choice(self.category_ids)),
            description="Kaldırımda büyük bir çukur var, lütfen bakın.",
            channel=self.rng.choice(CHANNELS), reporter=session.get(User, self.citizen_id),
            lat=lat, lon=lon,
        )  # fmt: skip
        return True

    def _take(self, session: Session) -> bool:
        return self._move(session, "take")

    def _resolve(self, session: Session) -> bool:
        return self._move(session, "resolve")

    def _move(self, session: Session, kind: str) -> bool:
        frm, to = _NEXT[kind]
        ticket_id = session.scalar(text(_OPEN_TICKET), {"status": frm, "share": self.rng.random()})
        if ticket_id is None:
            return False
        ticket = session.get(Ticket, ticket_id, with_for_update=True)
        staff = session.get(User, self.staff_id)
        apply_transition(session, ticket, to, actor=staff, role="manager")
        return True

    def _feedback(self, session: Session) -> bool:
        ticket_id = session.scalar(text(_UNRATED))
        if ticket_id is None:
            return False
        ticket = session.get(Ticket, ticket_id, with_for_update=True)
        session.add(
            Feedback(
                ticket_id=ticket.id, user_id=ticket.reporter_id,
                rating=self.rng.randint(1, 5), fixed=self.rng.random() < 0.8,
            )
        )  # fmt: skip
        return True


def no_write() -> None:
    """The steady mode: nothing changes between requests."""


Write = Callable[[], None]

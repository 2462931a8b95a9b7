"""Demo tickets as COPY lines: the ticket and its events, comments, escalation,
feedback and followers.

Ticket i of a load is drawn from a random stream seeded by (seed, i // 1000), so
a seed always gives the same tickets whatever the batch size. Tickets are laid
out oldest first over the last two years, busier lately (the service grows) and
in the daytime, so ids and public numbers follow creation order.
"""

from __future__ import annotations

import bisect
import math
import random
from collections import deque
from dataclasses import dataclass, field
from itertools import accumulate

from cli.demo import copy_format as fmt
from cli.demo import lifecycle, texts
from cli.demo.people import Cast
from core.districts import DISTRICT_WEIGHTS, DISTRICTS

WINDOW_DAYS = 730
GROWTH_DAYS = 250  # reports per day grow by e every GROWTH_DAYS
CHUNK = 1000
CITY_UTC_OFFSET = 3 * 3600  # Europe/Istanbul, no daylight saving

PRIORITIES = ("low", "normal", "high", "urgent")
PRIORITY_WEIGHTS = (15, 60, 20, 5)
CHANNELS = ("whatsapp", "sms", "api", "open311")
CHANNEL_WEIGHTS = (72, 16, 9, 3)
# Share of reports per default category code; categories added later get a little.
CATEGORY_WEIGHTS = {
    "infrastructure": 30, "waste": 22, "lighting": 16, "traffic": 12, "parks": 10, "other": 10,
}  # fmt: skip
OTHER_CATEGORY_WEIGHT = 3
ADDRESS_SHARE = 0.6
NO_POINT_SHARE_SMS = 0.1  # an SMS report with a typed address only
FOLLOWED_SHARE = 0.1
# Reports per hour of the day (city time), 00:00 to 23:00.
HOURLY_WEIGHTS = (10, 6, 4, 3, 3, 5, 10, 20, 40, 60, 70, 70,
                  60, 60, 60, 60, 60, 60, 60, 60, 50, 40, 30, 20)  # fmt: skip
# Cumulative weights, computed once: random.choices would redo it on every call.
PRIORITY_CUM = tuple(accumulate(PRIORITY_WEIGHTS))
CHANNEL_CUM = tuple(accumulate(CHANNEL_WEIGHTS))
DISTRICT_CUM = tuple(accumulate(DISTRICT_WEIGHTS))
HOUR_CUM = tuple(accumulate(HOURLY_WEIGHTS))

TICKET_COLUMNS = (
    "id", "number", "reporter_id", "category_id", "description", "status", "priority",
    "resolution", "location", "address", "needs_location", "team_id", "assignee_id", "channel",
    "duplicate_of_id", "followers_count", "reopen_count", "due_at", "created_at", "updated_at",
    "first_response_at", "resolved_at", "closed_at", "sla_breached_at",
)  # fmt: skip
EVENT_COLUMNS = ("ticket_id", "actor_id", "kind", "from_value", "to_value", "data", "created_at")
COMMENT_COLUMNS = ("ticket_id", "author_id", "body", "is_internal", "created_at")
ESCALATION_COLUMNS = (
    "ticket_id", "requested_by_id", "reason", "status", "decided_by_id", "decision_note",
    "decided_at", "created_at",
)  # fmt: skip
FEEDBACK_COLUMNS = ("ticket_id", "user_id", "rating", "fixed", "comment", "created_at")
FOLLOWER_COLUMNS = ("ticket_id", "user_id", "created_at")


@dataclass(frozen=True)
class CategoryRoute:
    """What a ticket needs from its category: SLA and the team it goes to."""

    id: int
    code: str
    sla_hours: int
    team_id: int | None

    @property
    def weight(self) -> int:
        return CATEGORY_WEIGHTS.get(self.code, OTHER_CATEGORY_WEIGHT)


@dataclass
class Batch:
    """COPY lines per table for a run of consecutive tickets."""

    tickets: list[str] = field(default_factory=list)
    events: list[str] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)
    escalations: list[str] = field(default_factory=list)
    feedback: list[str] = field(default_factory=list)
    followers: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Draft:
    """One ticket while its lines are written."""

    id: int
    number: int
    created: int
    age: int
    category: CategoryRoute
    priority: str
    channel: str
    reporter: int | None
    locale: str
    crew: lifecycle.Crew
    story: lifecycle.Story
    duplicate_of: int | None = None
    followers: int = 0


class TicketGenerator:
    def __init__(
        self,
        *,
        seed: int,
        total: int,
        anchor: int,
        categories: list[CategoryRoute],
        cast: Cast,
    ) -> None:
        self.seed = seed
        self.total = total
        self.anchor = anchor
        self.categories = categories
        self.category_cum = list(accumulate(c.weight for c in categories))
        self.cast = cast
        self.recent: dict[int, deque[int]] = {c.id: deque(maxlen=32) for c in categories}
        self._rng = random.Random()
        self._chunk = -1

    def batch(self, start: int, ids: list[tuple[int, int]]) -> Batch:
        """Lines for tickets start, start+1, … with the given (id, number) pairs."""
        batch = Batch()
        for offset, (ticket_id, number) in enumerate(ids):
            self._ticket(batch, start + offset, ticket_id, number)
        return batch

    def _rng_for(self, index: int) -> random.Random:
        chunk = index // CHUNK
        if chunk != self._chunk:
            self._rng = random.Random(f"demo:{self.seed}:{chunk}")
            self._chunk = chunk
        return self._rng

    def created_at(self, index: int, rng: random.Random) -> int:
        """Epoch seconds: the (index + jitter)/total quantile of the growth curve,
        with the time of day bent towards working hours (keeps the order)."""
        share = (index + rng.random()) / self.total
        oldest = math.exp(-WINDOW_DAYS / GROWTH_DAYS)
        days_ago = -GROWTH_DAYS * math.log(oldest + share * (1 - oldest))
        local = self.anchor + CITY_UTC_OFFSET - int(days_ago * 86400)
        day, second = divmod(local, 86400)
        if day < (self.anchor + CITY_UTC_OFFSET) // 86400:
            second = _bend(second / 86400)
        return min(day * 86400 + second - CITY_UTC_OFFSET, self.anchor - 60)

    def _ticket(self, batch: Batch, index: int, ticket_id: int, number: int) -> None:
        rng = self._rng_for(index)
        created = self.created_at(index, rng)
        category = rng.choices(self.categories, cum_weights=self.category_cum)[0]
        priority = rng.choices(PRIORITIES, cum_weights=PRIORITY_CUM)[0]
        channel = rng.choices(CHANNELS, cum_weights=CHANNEL_CUM)[0]
        reporter, locale = self._reporter(rng, channel)
        crew = self._crew(rng, category, reporter)
        recent = self.recent[category.id]
        future = lifecycle.plan(
            rng, sla_hours=category.sla_hours, priority=priority, channel=channel, crew=crew,
            locale=locale, can_duplicate=bool(recent),
        )  # fmt: skip
        duplicate_of = rng.choice(recent) if future.early_resolution == "duplicate" else None
        ticket = Draft(ticket_id, number, created, self.anchor - created, category, priority,
                       channel, reporter, locale, crew, future.as_of(self.anchor - created))  # fmt: skip
        if ticket.story.early_resolution == "duplicate":
            ticket.duplicate_of = duplicate_of
        recent.append(ticket_id)
        ticket.followers = self._followers(batch, rng, ticket)
        batch.tickets.append(self._ticket_line(rng, ticket))
        _history(batch, ticket)

    def _reporter(self, rng: random.Random, channel: str) -> tuple[int | None, str]:
        if channel == "open311" and rng.random() < 0.5:
            return None, "tr"
        # A few neighbours report a lot; most report once or twice.
        pick = int(len(self.cast.citizen_ids) * rng.random() ** 1.6)
        return self.cast.citizen_ids[pick], self.cast.citizen_locales[pick]

    def _crew(
        self, rng: random.Random, category: CategoryRoute, reporter: int | None
    ) -> lifecycle.Crew:
        support = self.cast.support_by_team.get(category.team_id or 0) or [None]
        managers = self.cast.managers_by_team.get(category.team_id or 0) or [None]
        return lifecycle.Crew(reporter, rng.choice(support), rng.choice(managers))

    def _ticket_line(self, rng: random.Random, t: Draft) -> str:
        district = rng.choices(DISTRICTS, cum_weights=DISTRICT_CUM)[0]
        lat, lon = district.random_point(rng)
        has_point = not (t.channel == "sms" and rng.random() < NO_POINT_SHARE_SMS)
        address = None
        if not has_point or rng.random() < ADDRESS_SHARE:
            address = texts.address(rng, district.name, rng.choice(district.neighbourhoods))
        events = t.story.events
        status = events[-1][3]
        times = _milestones(t.story, status)
        due = t.category.sla_hours * 3600
        breached = _breach(times, due, t.age, lag=rng.randint(30, 300))
        return fmt.line(
            str(t.id), str(t.number), fmt.number(t.reporter), str(t.category.id),
            fmt.text(texts.description(rng, t.category.code, t.locale)), status, t.priority,
            fmt.text(_resolution(t.story, status)),
            fmt.point(lat, lon) if has_point else fmt.NULL, fmt.text(address),
            fmt.boolean(not has_point), fmt.number(t.category.team_id),
            fmt.number(t.crew.assignee if len(events) > 1 else None), t.channel,
            fmt.number(t.duplicate_of), str(t.followers), str(times["reopens"]),
            fmt.timestamp(t.created + due), fmt.timestamp(t.created),
            fmt.timestamp(t.created + events[-1][0]),
            *(fmt.timestamp(None if offset is None else t.created + offset)
              for offset in (times["first_response"], times["resolved"], times["closed"], breached)),
        )  # fmt: skip

    def _followers(self, batch: Batch, rng: random.Random, t: Draft) -> int:
        """Neighbours who said "me too" (so far); returns how many."""
        if rng.random() >= FOLLOWED_SHARE:
            return 0
        wanted = min(8, 1 + int(rng.expovariate(0.8)))
        citizens = self.cast.citizen_ids
        chosen = {citizens[rng.randrange(len(citizens))] for _ in range(wanted)} - {t.reporter}
        count = 0
        for user_id in sorted(chosen):
            at = rng.randint(60, 3 * 86400)
            if at < t.age:
                batch.followers.append(
                    fmt.line(str(t.id), str(user_id), fmt.timestamp(t.created + at))
                )
                count += 1
        return count


def _bend(share_of_day: float) -> int:
    """Map a uniform share of the day to a second of the day following HOURLY_WEIGHTS."""
    target = share_of_day * HOUR_CUM[-1]
    hour = bisect.bisect(HOUR_CUM, target)
    below = HOUR_CUM[hour - 1] if hour else 0
    within = (target - below) / (HOUR_CUM[hour] - below)
    return min(86399, int((hour + within) * 3600))


def _history(batch: Batch, t: Draft) -> None:
    """Lines for the ticket's events, comments, escalation and feedback."""
    tid, story = str(t.id), t.story
    for offset, kind, frm, to, actor, data in story.events:
        batch.events.append(fmt.line(
            tid, fmt.number(actor), kind, fmt.text(frm), fmt.text(to), data,
            fmt.timestamp(t.created + offset),
        ))  # fmt: skip
    for offset, author, body, internal in story.comments:
        batch.comments.append(fmt.line(
            tid, fmt.number(author), fmt.text(body), fmt.boolean(internal),
            fmt.timestamp(t.created + offset),
        ))  # fmt: skip
    if story.escalation is not None:
        at, requested_by, reason, status, decided_by, note, decided = story.escalation
        batch.escalations.append(fmt.line(
            tid, fmt.number(requested_by), fmt.text(reason), status, fmt.number(decided_by),
            fmt.text(note), fmt.timestamp(None if decided is None else t.created + decided),
            fmt.timestamp(t.created + at),
        ))  # fmt: skip
    if story.feedback is not None:
        at, rating, fixed, comment = story.feedback
        batch.feedback.append(fmt.line(
            tid, fmt.number(t.reporter), str(rating), fmt.boolean(fixed), fmt.text(comment),
            fmt.timestamp(t.created + at),
        ))  # fmt: skip


def _milestones(story: lifecycle.Story, status: str) -> dict[str, int | None]:
    first_response = story.events[1][0] if len(story.events) > 1 else None
    resolved = closed = None
    if status in ("resolved", "closed"):
        resolved_steps = [e[0] for e in story.events if e[3] == "resolved"]
        resolved = resolved_steps[-1] if resolved_steps else None
    if status == "closed":
        closed = story.events[-1][0]
    reopens = sum(1 for e in story.events if e[1] == "reopened")
    return {"first_response": first_response, "resolved": resolved, "closed": closed,
            "reopens": reopens}  # fmt: skip


def _breach(times: dict[str, int | None], due: int, age: int, lag: int) -> int | None:
    """When the SLA sweep (running every few minutes) marked the ticket overdue, if
    it was still open at its due time."""
    done = times["resolved"] if times["resolved"] is not None else times["closed"]
    end = done if done is not None else age
    if end <= due:
        return None
    return min(due + lag, end - 1)


def _resolution(story: lifecycle.Story, status: str) -> str | None:
    if status != "closed":
        return None
    return story.early_resolution or "fixed"

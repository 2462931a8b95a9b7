"""The life of one demo ticket: what happened to it, and when, as seen today.

A ticket's whole future is planned from its creation (first response, work,
maybe an escalation, resolution, feedback, a reopen, closing), with delays drawn
around the category's SLA and the priority. Then only the steps that happened
before "now" are kept, so a ticket opened an hour ago is still `new`, one from
last month is most likely `closed`, and the timestamps always follow each other
(created < first response < resolved < closed). Planning everything first keeps
the random draws, and so the data for a seed, the same whatever the day. The
steps follow the workflow table in core/workflow.py.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field, replace

from cli.demo import texts

MINUTE, HOUR, DAY = 60, 3600, 86400
# How much faster than the SLA each priority is worked.
SPEED = {"low": 1.4, "normal": 1.0, "high": 0.6, "urgent": 0.3}
EARLY_RESOLUTIONS = ("duplicate", "not_responsible", "invalid")
EARLY_RESOLUTION_WEIGHTS = (45, 30, 25)
EARLY_CLOSE_SHARE = 0.08
UNNOTICED_SHARE = 0.08  # nobody picks these up for weeks
BACKLOG_SHARE = 0.15  # worked on, then stuck for months (parts, budget, another agency)
SLOW_DECISION_SHARE = 0.25  # escalations that wait weeks for a manager
ESCALATION_SHARE = 0.07
APPROVAL_SHARE = 0.65
REOPEN_SHARE = 0.05  # the reporter says "not fixed"
FEEDBACK_SHARE = 0.4
AUTO_CLOSE_AFTER = 3 * DAY
RATING_WEIGHTS = (4, 4, 10, 26, 56)  # 1..5 stars, when the citizen says it is fixed

Event = tuple[int, str, str | None, str | None, int | None, str]


@dataclass(frozen=True)
class Crew:
    """Who works the ticket: the reporter, the assignee and a manager of the team."""

    reporter: int | None
    assignee: int | None
    manager: int | None


@dataclass
class Story:
    """A ticket's steps; offsets are seconds after the ticket was created."""

    # (offset, kind, from, to, actor, data as JSON)
    events: list[Event] = field(default_factory=list)
    # (offset, author, body, internal)
    comments: list[tuple[int, int | None, str, bool]] = field(default_factory=list)
    # (offset, requested_by, reason, status, decided_by, note, decided_offset)
    escalation: tuple | None = None
    # (offset, rating, fixed, comment)
    feedback: tuple[int, int, bool, str | None] | None = None
    early_resolution: str | None = None

    def event(self, offset: int, kind: str, frm: str | None, to: str | None,
              actor: int | None, data: str = "{}") -> None:  # fmt: skip
        self.events.append((offset, kind, frm, to, actor, data))

    def comment(self, offset: int, author: int | None, body: str, internal: bool) -> None:
        self.comments.append((offset, author, body, internal))

    def as_of(self, age: int) -> Story:
        """What had happened `age` seconds after creation."""
        escalation = self.escalation
        if escalation is not None and escalation[0] >= age:
            escalation = None
        elif escalation is not None and escalation[6] >= age:
            escalation = (*escalation[:3], "pending", None, None, None)
        events = [e for e in self.events if e[0] < age]
        return replace(
            self,
            events=events,
            comments=[c for c in self.comments if c[0] < age],
            escalation=escalation,
            feedback=self.feedback if self.feedback and self.feedback[0] < age else None,
            early_resolution=self.early_resolution if events[-1][3] == "closed" else None,
        )


def _lognormal(rng: random.Random, median: float, sigma: float) -> int:
    return max(MINUTE, int(median * math.exp(rng.gauss(0, sigma))))


def plan(
    rng: random.Random,
    *,
    sla_hours: int,
    priority: str,
    channel: str,
    crew: Crew,
    locale: str,
    can_duplicate: bool = True,
) -> Story:
    """Everything that will ever happen to a new ticket."""
    story = Story()
    story.event(0, "created", None, "new", crew.reporter, f'{{"channel": "{channel}"}}')
    speed = SPEED[priority]
    respond = _lognormal(rng, 3 * HOUR * speed, 1.0)
    if rng.random() < UNNOTICED_SHARE:
        respond = _lognormal(rng, 75 * DAY, 1.3)
    if crew.assignee is None:  # a category with no staff: it waits
        return story
    if rng.random() < EARLY_CLOSE_SHARE:
        _close_early(rng, story, respond, crew, can_duplicate)
        return story
    taken = f'{{"assignee_id": {crew.assignee}}}'
    story.event(respond, "status_changed", "new", "in_progress", crew.assignee, taken)
    _first_comments(rng, story, respond + MINUTE, crew, locale)
    work = _lognormal(rng, 0.3 * sla_hours * HOUR * speed, 0.7)
    if rng.random() < BACKLOG_SHARE:
        work = _lognormal(rng, 150 * DAY, 1.2)
    resolved = respond + 2 * MINUTE + work
    if rng.random() < ESCALATION_SHARE:
        resolved += _escalate(rng, story, respond + MINUTE + work // 3, crew)
    _resolve(rng, story, resolved, crew, locale)
    if rng.random() < REOPEN_SHARE:
        resolved = _reopen(rng, story, resolved, sla_hours * HOUR * speed, crew, locale)
    elif rng.random() < FEEDBACK_SHARE:
        _feedback(rng, story, resolved + _lognormal(rng, 5 * HOUR, 1.0), fixed=True)
    _close(rng, story, resolved, crew)
    return story


def _close_early(
    rng: random.Random, story: Story, at: int, crew: Crew, can_duplicate: bool
) -> None:
    resolution = rng.choices(EARLY_RESOLUTIONS, EARLY_RESOLUTION_WEIGHTS)[0]
    if resolution == "duplicate" and not can_duplicate:
        resolution = "invalid"  # nothing earlier in the category to be a duplicate of
    story.early_resolution = resolution
    data = f'{{"resolution": "{resolution}"}}'
    if rng.random() < 0.5:
        story.event(at, "status_changed", "new", "closed", crew.assignee, data)
        return
    taken = f'{{"assignee_id": {crew.assignee}}}'
    story.event(at, "status_changed", "new", "in_progress", crew.assignee, taken)
    later = at + _lognormal(rng, 2 * HOUR, 1.0)
    story.event(later, "status_changed", "in_progress", "closed", crew.assignee, data)


def _first_comments(rng: random.Random, story: Story, at: int, crew: Crew, locale: str) -> None:
    if rng.random() < 0.4:
        story.comment(at, crew.assignee, rng.choice(texts.STAFF_NOTES), True)
    if rng.random() < 0.35:
        replies = texts.PUBLIC_REPLIES_EN if locale == "en" else texts.PUBLIC_REPLIES_TR
        story.comment(at + MINUTE, crew.assignee, rng.choice(replies), False)
    if rng.random() < 0.08:
        later = at + _lognormal(rng, DAY, 1.0)
        story.comment(later, crew.reporter, rng.choice(texts.CITIZEN_FOLLOW_UPS), False)


def _escalate(rng: random.Random, story: Story, at: int, crew: Crew) -> int:
    """Escalate at `at`; returns how long the ticket waited for the manager."""
    reason = rng.choice(texts.ESCALATION_REASONS)
    story.event(at, "escalated", "in_progress", "escalated", crew.assignee)
    wait = _lognormal(rng, 20 * HOUR, 1.0)
    if rng.random() < SLOW_DECISION_SHARE:
        wait = _lognormal(rng, 40 * DAY, 1.0)
    decision = "approved" if rng.random() < APPROVAL_SHARE else "rejected"
    note = rng.choice(texts.DECISION_NOTES[decision])
    decided = at + wait
    data = f'{{"decision": "{decision}"}}'
    story.event(decided, "escalation_decided", "escalated", "in_progress", crew.manager, data)
    story.escalation = (at, crew.assignee, reason, decision, crew.manager, note, decided)
    if rng.random() < 0.5:
        story.comment(at + MINUTE, crew.assignee, reason, True)
    return wait + MINUTE


def _resolve(rng: random.Random, story: Story, at: int, crew: Crew, locale: str) -> None:
    story.event(at, "status_changed", "in_progress", "resolved", crew.assignee)
    if rng.random() < 0.55:
        replies = texts.RESOLVED_EN if locale == "en" else texts.RESOLVED_TR
        story.comment(at + MINUTE, crew.assignee, rng.choice(replies), False)


def _reopen(
    rng: random.Random, story: Story, resolved: int, work: float, crew: Crew, locale: str
) -> int:
    """The reporter says "not fixed": feedback, reopen, and a second resolution."""
    said = resolved + _lognormal(rng, 6 * HOUR, 1.0)
    _feedback(rng, story, said, fixed=False)
    story.event(said + MINUTE, "reopened", "resolved", "in_progress", crew.reporter)
    again = said + 2 * MINUTE + _lognormal(rng, 0.4 * work, 0.8)
    _resolve(rng, story, again, crew, locale)
    return again


def _feedback(rng: random.Random, story: Story, at: int, *, fixed: bool) -> None:
    if fixed:
        rating = rng.choices((1, 2, 3, 4, 5), RATING_WEIGHTS)[0]
        comment = rng.choice(texts.FEEDBACK_GOOD) if rating >= 4 and rng.random() < 0.3 else None
    else:
        rating = rng.choice((1, 1, 2))
        comment = rng.choice(texts.FEEDBACK_BAD) if rng.random() < 0.6 else None
    story.feedback = (at, rating, fixed, comment)


def _close(rng: random.Random, story: Story, resolved: int, crew: Crew) -> None:
    data = '{"resolution": "fixed"}'
    if rng.random() < 0.6:
        # The auto-close sweep, a few minutes after the grace period.
        at = resolved + AUTO_CLOSE_AFTER + rng.randint(MINUTE, 15 * MINUTE)
        story.event(at, "status_changed", "resolved", "closed", None, data)
    else:
        at = resolved + _lognormal(rng, 8 * HOUR, 1.0)
        story.event(at, "status_changed", "resolved", "closed", crew.assignee, data)

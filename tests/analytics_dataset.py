"""A small hand-made city for the analytics and export tests: every timestamp, status,
team, rating and point is chosen so each number can be worked out on paper.

Istanbul is UTC+3 all year: midnight 1 October (city) is 2026-09-30 21:00 UTC.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.analytics.scope import Scope
from core.geo import point
from core.models import Category, Comment, Escalation, Feedback, Team, Ticket, User

NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
OCTOBER = (date(2026, 10, 1), date(2026, 10, 31))
TZ = "Europe/Istanbul"
# Two places in Kadıköy about 5 km apart.
PLACE_A = (40.9900, 29.0300)
PLACE_B = (41.0350, 29.0300)
TRICKY_DESCRIPTION = (
    '=HYPERLINK("http://evil.example","tıkla"), "çukur"\nİğüşöç ĞÜŞİÖÇ; virgül, tırnak'
)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def october(**filters: object) -> Scope:
    return Scope(OCTOBER[0], OCTOBER[1], TZ, **filters)  # type: ignore[arg-type]


@dataclass
class City:
    tickets: dict[str, Ticket]
    reporter: User
    assignee: User
    categories: dict[str, Category]
    teams: dict[str, Team]


def build_city(session: Session, make_user) -> City:
    """Eight tickets T1..T8 (see the comments for what each one tests)."""
    categories = {c.code: c for c in session.scalars(select(Category))}
    teams = {t.name: t for t in session.scalars(select(Team))}
    reporter = make_user("citizen", phone="+905321112233", name="Ayşe Reporter")
    assignee = make_user("support", name="Mehmet Çalışkan", team=teams["Fen İşleri"])

    def ticket(code: str, channel: str, created: datetime, **fields: object) -> Ticket:
        category = categories[code]
        lat, lon = fields.pop("at", PLACE_A)  # type: ignore[misc]
        t = Ticket(
            reporter_id=reporter.id,
            category_id=category.id,
            team_id=fields.pop("team_id", category.default_team_id),
            description=fields.pop("description", f"{code} sorunu, {channel}"),
            channel=channel,
            created_at=created,
            location=point(lat, lon),
            **fields,
        )
        session.add(t)
        session.flush()
        return t

    t = {}
    # T1 straddles the start: created 23:59 on 30 Sep (city), resolved 1 Oct, on time.
    t["T1"] = ticket(
        "infrastructure",
        "whatsapp",
        utc(2026, 9, 30, 20, 59),
        status="resolved",
        first_response_at=utc(2026, 9, 30, 21, 59),
        resolved_at=utc(2026, 10, 1, 2, 0),
        due_at=utc(2026, 10, 2, 0, 0),
        assignee_id=assignee.id,
        description=TRICKY_DESCRIPTION,
        address="Moda Cd. 1, Kadıköy",
    )
    # T2 is created at exactly midnight 1 Oct (city); reopened once, resolved, closed.
    created = utc(2026, 9, 30, 21, 0)
    t["T2"] = ticket(
        "infrastructure",
        "whatsapp",
        created,
        status="closed",
        resolution="fixed",
        first_response_at=created + timedelta(hours=2),
        resolved_at=created + timedelta(hours=10),
        closed_at=created + timedelta(hours=34),
        due_at=created + timedelta(hours=72),
        reopen_count=1,
        followers_count=2,
    )
    # T3 open, overdue, escalated once and approved.
    t["T3"] = ticket(
        "lighting",
        "sms",
        utc(2026, 10, 10, 9, 0),
        status="in_progress",
        first_response_at=utc(2026, 10, 10, 13, 0),
        due_at=utc(2026, 10, 12, 9, 0),
        at=(40.9901, 29.0301),
    )
    # T4: 23:59 on 31 Oct (city), the last minute of the period; new and now overdue.
    t["T4"] = ticket(
        "lighting",
        "sms",
        utc(2026, 10, 31, 20, 59),
        status="new",
        due_at=utc(2026, 11, 2, 20, 59),
        at=(40.9902, 29.0299),
    )
    # T5: midnight 1 Nov (city), just after the period; new, no due time.
    t["T5"] = ticket("lighting", "whatsapp", utc(2026, 10, 31, 21, 0), status="new", at=PLACE_B)
    # T6 resolved late (100 h against a 72 h due time); its escalation was rejected.
    created = utc(2026, 10, 15, 10, 0)
    t["T6"] = ticket(
        "infrastructure",
        "api",
        created,
        status="resolved",
        first_response_at=created + timedelta(hours=1),
        resolved_at=created + timedelta(hours=100),
        due_at=created + timedelta(hours=72),
    )
    # T7 closed as a duplicate without being resolved.
    created = utc(2026, 10, 20, 12, 0)
    t["T7"] = ticket(
        "infrastructure",
        "whatsapp",
        created,
        status="closed",
        resolution="duplicate",
        first_response_at=created + timedelta(hours=1),
        closed_at=created + timedelta(hours=1),
    )
    # T8: old, escalated (pending), overdue, no team.
    t["T8"] = ticket(
        "parks", "whatsapp", utc(2026, 8, 1, 12, 0), status="escalated", team_id=None,
        due_at=utc(2026, 8, 6, 12, 0), at=(40.99005, 29.03005),
    )  # fmt: skip
    session.add_all(
        [
            Feedback(ticket_id=t["T1"].id, rating=5, fixed=True),
            Feedback(ticket_id=t["T2"].id, rating=3, fixed=False),
            Escalation(ticket_id=t["T3"].id, reason="needs a crane", status="approved"),
            Escalation(ticket_id=t["T6"].id, reason="budget", status="rejected"),
            Escalation(ticket_id=t["T8"].id, reason="tree", status="pending"),
            Comment(ticket_id=t["T1"].id, body="GİZLİ not: +905321112233", is_internal=True),
        ]
    )
    session.flush()
    return City(t, reporter, assignee, categories, teams)

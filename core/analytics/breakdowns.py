"""The measures per team and per category, every active one listed (quiet ones as
zeros), sortable so a manager sees at a glance who is behind."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.analytics.measures import empty, measures
from core.analytics.scope import Scope
from core.models import Category, Team

# Sort keys: a name → how to read it from one row of measures.
SORT_KEYS = {
    "name": lambda m: m["name"] or "",
    "created": lambda m: m["created"],
    "resolved": lambda m: m["resolved"],
    "open": lambda m: m["backlog"]["open"],
    "open_overdue": lambda m: m["sla"]["open_overdue"],
    "sla_compliance": lambda m: m["sla"]["compliance"],
    "median_first_response": lambda m: m["first_response_hours"]["median"],
    "median_resolution": lambda m: m["resolution_hours"]["median"],
    "reopen_rate": lambda m: m["reopen_rate"],
    "average_rating": lambda m: m["satisfaction"]["average_rating"],
}


def by_team(session: Session, scope: Scope, now: datetime) -> list[dict[str, Any]]:
    teams = session.execute(select(Team.id, Team.name, Team.is_active)).all()
    rows = measures(session, scope, now, by="team")
    wanted = {t.id for t in teams if t.is_active} | set(rows)
    if scope.team_id is not None:
        wanted = {scope.team_id}
    names = {t.id: t.name for t in teams}
    return [
        {"id": key or None, "name": names.get(key), **rows.get(key, empty(now))} for key in wanted
    ]


def by_category(session: Session, scope: Scope, now: datetime) -> list[dict[str, Any]]:
    categories = session.execute(select(Category.id, Category.code, Category.is_active)).all()
    rows = measures(session, scope, now, by="category")
    wanted = {c.id for c in categories if c.is_active} | set(rows)
    if scope.category_id is not None:
        wanted = {scope.category_id}
    codes = {c.id: c.code for c in categories}
    return [{"id": key, "name": codes.get(key), **rows.get(key, empty(now))} for key in wanted]


def sort_rows(rows: list[dict[str, Any]], key: str, descending: bool) -> list[dict[str, Any]]:
    """Sort by `key`; rows without a value (no data) always go last, then by name."""
    read = SORT_KEYS[key]
    rows = sorted(rows, key=lambda m: m["name"] or "")
    present = [m for m in rows if read(m) is not None]
    missing = [m for m in rows if read(m) is None]
    return sorted(present, key=read, reverse=descending) + missing

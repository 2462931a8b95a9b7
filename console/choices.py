"""What the console's forms offer to choose from (teams, staff, categories, saved
replies), kept per process for a short while: every inbox and ticket page lists
them, and they change a few times a day. A change made through this process shows
at once; one made elsewhere within CHOICES_SECONDS."""

from __future__ import annotations

import time
from dataclasses import dataclass

from flask import current_app
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.models import Category, Team, User
from core.tickets.saved_replies import saved_replies

CHOICES_SECONDS = 30.0
_KEY = "console.choices"


@dataclass(frozen=True)
class Choice:
    id: int
    name: str


@dataclass(frozen=True)
class CategoryChoice:
    id: int
    name_tr: str
    name_en: str

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_tr


@dataclass(frozen=True)
class SavedReplyChoice:
    title: str
    body_tr: str
    body_en: str

    def body(self, locale: str) -> str:
        return self.body_en if locale == "en" else self.body_tr


@dataclass(frozen=True)
class Choices:
    teams: tuple[Choice, ...]
    staff: tuple[Choice, ...]
    categories: tuple[CategoryChoice, ...]
    saved_replies: tuple[SavedReplyChoice, ...]


def _load(session: Session) -> Choices:
    teams = session.execute(
        select(Team.id, Team.name).where(Team.is_active.is_(True)).order_by(Team.name)
    )
    staff = session.execute(
        select(User.id, User.full_name)
        .where(User.role.in_(("support", "manager")), User.is_active.is_(True))
        .order_by(User.full_name)
    )
    categories = session.execute(
        select(Category.id, Category.name_tr, Category.name_en).order_by(Category.sort_order)
    )
    return Choices(
        teams=tuple(Choice(i, n) for i, n in teams),
        staff=tuple(Choice(i, n or "") for i, n in staff),
        categories=tuple(CategoryChoice(*row) for row in categories),
        saved_replies=tuple(
            SavedReplyChoice(r.title, r.body_tr, r.body_en) for r in saved_replies(session)
        ),
    )


def choices(session: Session) -> Choices:
    held = current_app.extensions.get(_KEY)
    now = time.monotonic()
    if held is not None and held[0] > now:
        return held[1]
    fresh = _load(session)
    current_app.extensions[_KEY] = (now + CHOICES_SECONDS, fresh)
    return fresh


def forget_choices() -> None:
    current_app.extensions.pop(_KEY, None)

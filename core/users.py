"""Creating staff and citizens: the phone checks and role rules in one place."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Settings
from core.models import Team, User
from core.models.people import LOCALES, ROLES
from core.phones import normalize_mobile


class UserInputError(ValueError):
    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def find_by_phone(session: Session, phone: str) -> User | None:
    return session.scalar(select(User).where(User.phone == phone))


def create_user(
    session: Session,
    settings: Settings,
    *,
    phone: str,
    full_name: str | None,
    role: str = "citizen",
    team: Team | None = None,
    locale: str | None = None,
) -> User:
    """Create a user with a normalised phone; raises UserInputError (and InvalidPhone)."""
    e164 = normalize_mobile(phone, settings.ALLOWED_COUNTRIES)
    if role not in ROLES:
        raise UserInputError("role", f"unknown role {role!r}; use one of: {', '.join(ROLES)}")
    locale = locale or settings.DEFAULT_LOCALE
    if locale not in LOCALES:
        raise UserInputError("locale", f"locale must be one of: {', '.join(LOCALES)}")
    if find_by_phone(session, e164) is not None:
        raise UserInputError("phone", "a user with this phone number already exists")
    name = (full_name or "").strip() or None
    if name is not None and len(name) > 120:
        raise UserInputError("full_name", "at most 120 characters")
    user = User(
        phone=e164, full_name=name, role=role, team_id=team.id if team else None, locale=locale
    )
    session.add(user)
    session.flush()
    return user

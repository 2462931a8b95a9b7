"""Creating staff and citizens, and erasing citizens: the phone checks, role rules and
what erasure writes, in one place."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from core.config import Settings
from core.errors import Conflict, Refused
from core.models import Team, User
from core.models.people import LOCALES, ROLES
from core.people.phones import normalize_mobile

ERASED_NAME = "Anonim"


def erased_values(now: datetime) -> dict[str, Any]:
    """The columns of a citizen who erased their data (SİL) or whose data outlived
    RETENTION_DAYS: name and numbers gone, never messaged or signed in again. Their
    tickets stay, anonymous. Values or SQL expressions, for an UPDATE or an ORM object."""
    return {
        "full_name": ERASED_NAME,
        "phone": None,
        "whatsapp_id": None,
        "is_active": False,
        "erased_at": now,
        "opted_out_at": func.coalesce(User.opted_out_at, now),
    }


def find_by_phone(session: Session, phone: str) -> User | None:
    return session.scalar(select(User).where(User.phone == phone))


def create_user(
    session: Session,
    settings: Settings,
    *,
    phone: str,
    full_name: str | None,
    role: str = "citizen",
    teams: Sequence[Team] = (),
    locale: str | None = None,
) -> User:
    """Create a user with a normalised phone, staff in `teams`; raises Refused (and
    InvalidPhone)."""
    e164 = normalize_mobile(phone, settings.ALLOWED_COUNTRIES)
    if role not in ROLES:
        raise Refused(
            f"unknown role {role!r}; use one of: {', '.join(ROLES)}", field="role",
            code="unknown_role", params={"role": role, "roles": ", ".join(ROLES)},
        )  # fmt: skip
    if role == "citizen" and teams:
        raise Refused("citizens do not belong to a team", field="team_ids", code="citizen_in_team")
    locale = locale or settings.DEFAULT_LOCALE
    if locale not in LOCALES:
        raise Refused(
            f"locale must be one of: {', '.join(LOCALES)}", field="locale",
            code="unknown_locale", params={"locales": ", ".join(LOCALES)},
        )  # fmt: skip
    if find_by_phone(session, e164) is not None:
        raise Refused(
            "a user with this phone number already exists", field="phone", code="phone_taken"
        )
    name = (full_name or "").strip() or None
    if name is not None and len(name) > 120:
        raise Refused(
            "at most 120 characters", field="full_name", code="text_too_long", params={"limit": 120}
        )
    user = User(phone=e164, full_name=name, role=role, teams=list(teams), locale=locale)
    session.add(user)
    session.flush()
    return user


def _is_active_manager(role: str, is_active: bool) -> bool:
    return role == "manager" and is_active


def check_manager_left(session: Session, user: User, *, role: str, is_active: bool) -> None:
    """Raise Conflict if `user` taking `role`/`is_active` leaves no active manager."""
    if not _is_active_manager(user.role, user.is_active) or _is_active_manager(role, is_active):
        return
    # Locks every active manager row: two managers demoting each other at the same
    # moment are serialised, and the second sees the first's change.
    managers = session.scalars(
        select(User.id).where(User.role == "manager", User.is_active.is_(True)).with_for_update()
    ).all()
    if not [manager_id for manager_id in managers if manager_id != user.id]:
        raise Conflict(
            "the city needs at least one active manager; appoint another first",
            code="last_manager",
        )


def teams_by_id(session: Session, team_ids: Iterable[int], field: str = "team_ids") -> list[Team]:
    """The teams of `team_ids` (each once, in id order); Refused naming one that is not."""
    wanted = sorted(set(team_ids))
    found = {team.id: team for team in session.scalars(select(Team).where(Team.id.in_(wanted)))}
    missing = [team_id for team_id in wanted if team_id not in found]
    if missing:
        raise Refused(
            f"no team #{', #'.join(map(str, missing))}", field=field,
            code="unknown_team", params={"teams": "#" + ", #".join(map(str, missing))},
        )  # fmt: skip
    return [found[team_id] for team_id in wanted]


def update_user(session: Session, user: User, changes: dict[str, Any]) -> None:
    """Apply a manager's `changes` (full_name, role, team_ids, is_active) to `user`;
    `team_ids` is the whole list of their teams.

    Raises Refused (bad field) or Conflict; the caller commits.
    """
    role = changes.get("role", user.role)
    is_active = changes.get("is_active", user.is_active)
    if role not in ROLES:
        raise Refused(
            f"unknown role {role!r}; use one of: {', '.join(ROLES)}", field="role",
            code="unknown_role", params={"role": role, "roles": ", ".join(ROLES)},
        )  # fmt: skip
    teams = None
    if "team_ids" in changes:
        teams = teams_by_id(session, changes["team_ids"] or ())
        if role == "citizen" and teams:
            raise Refused(
                "citizens do not belong to a team", field="team_ids", code="citizen_in_team"
            )
    if "full_name" in changes:
        user.full_name = clean_name(changes["full_name"])
    check_manager_left(session, user, role=role, is_active=is_active)
    if role == "citizen":
        teams, user.sla_alerts = [], False
    user.role, user.is_active = role, is_active
    if teams is not None:
        user.teams = teams


def clean_name(value: str) -> str:
    name = (value or "").strip()
    if not name:
        raise Refused("name is empty", field="full_name", code="name_empty")
    if len(name) > 120:
        raise Refused(
            "at most 120 characters", field="full_name", code="text_too_long", params={"limit": 120}
        )
    return name

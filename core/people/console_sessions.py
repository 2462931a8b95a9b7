"""Console sessions: a browser signed in to the staff console.

The cookie carries a random token; the table keeps its keyed hash. Every request
looks the session up again, so signing out, a deactivation or a role taken away
ends it on the very next request, with no token for page scripts to read or steal.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from core.config import Settings
from core.models import ConsoleSession, User
from core.people.tokens import keyed_hash

# last_seen_at is written at most this often: a page that polls should not turn
# every read into a write.
TOUCH_RESOLUTION = timedelta(minutes=1)


def _hash(settings: Settings, token: str) -> str:
    return keyed_hash(settings, "console-session", token)


def start_session(
    session: Session, settings: Settings, user: User, now: datetime | None = None
) -> str:
    """A new session for `user`; returns the token for the cookie (never stored)."""
    now = now or datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    session.add(
        ConsoleSession(
            user_id=user.id,
            token_hash=_hash(settings, token),
            last_seen_at=now,
            expires_at=now + timedelta(hours=settings.CONSOLE_SESSION_HOURS),
        )
    )
    session.flush()
    return token


@dataclass(frozen=True)
class SignedIn:
    row: ConsoleSession
    user: User


def may_use_console(user: User | None) -> bool:
    return bool(user and user.is_staff and user.is_active and user.erased_at is None)


def find_session(
    session: Session, settings: Settings, token: str, now: datetime | None = None
) -> SignedIn | None:
    """The live session of `token` and its user, or None: unknown, ended, expired, or
    its user is no longer active staff."""
    if not token or len(token) > 128:
        return None
    now = now or datetime.now(UTC)
    found = session.execute(
        select(ConsoleSession, User)
        .join(User, User.id == ConsoleSession.user_id)
        .where(ConsoleSession.token_hash == _hash(settings, token))
    ).first()
    if found is None:
        return None
    row, user = found
    if row.ended_at is not None or row.expires_at <= now or not may_use_console(user):
        return None
    if now - row.last_seen_at > TOUCH_RESOLUTION:
        row.last_seen_at = now
    return SignedIn(row, user)


def end_session(
    session: Session, settings: Settings, token: str, now: datetime | None = None
) -> bool:
    """Sign out the browser holding `token`; True when a live session ended."""
    result = session.execute(
        update(ConsoleSession)
        .where(
            ConsoleSession.token_hash == _hash(settings, token), ConsoleSession.ended_at.is_(None)
        )
        .values(ended_at=now or datetime.now(UTC))
    )
    return bool(result.rowcount)


def csrf_token(settings: Settings, token: str) -> str:
    """The form token that goes with a cookie token: a page of another site cannot
    read it, so it cannot forge a form post that carries it."""
    return keyed_hash(settings, "console-csrf", token)[:40]

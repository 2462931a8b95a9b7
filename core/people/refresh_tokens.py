"""Refresh tokens: opaque, stored hashed, rotated on every use.

Each sign-in starts a family. A refresh uses its token up and issues the next one
in the same family. Presenting a used token again means it was copied: the whole
family is revoked, so the thief and the victim both have to sign in again.
"""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, datetime, timedelta

from sqlalchemy import exists, select, update
from sqlalchemy.orm import Session

from core.config import Settings
from core.models import RefreshToken, User
from core.people.tokens import keyed_hash


class RefreshRejected(Exception):
    """The refresh token cannot be used; `str(exc)` says why (safe to show)."""


def _hash(settings: Settings, token: str) -> str:
    return keyed_hash(settings, "refresh-token", token)


def issue_refresh_token(
    session: Session,
    settings: Settings,
    user: User,
    *,
    family_id: uuid.UUID | None = None,
    now: datetime | None = None,
) -> str:
    """A new refresh token for `user` (a new family unless `family_id` is given)."""
    now = now or datetime.now(UTC)
    token = secrets.token_urlsafe(32)
    session.add(
        RefreshToken(
            user_id=user.id,
            token_hash=_hash(settings, token),
            family_id=family_id or uuid.uuid4(),
            expires_at=now + timedelta(days=settings.REFRESH_TOKEN_DAYS),
        )
    )
    session.flush()
    return token


def sign_in_ended(session: Session, family_id: str) -> bool:
    """Whether the sign-in (refresh-token family) was ended: logout, theft detected,
    deactivation. A malformed id counts as ended."""
    if not isinstance(family_id, str):
        return True  # a claim of another type than the one we sign
    try:
        family = uuid.UUID(family_id)
    except ValueError:
        return True
    return bool(
        session.scalar(
            select(
                exists().where(
                    RefreshToken.family_id == family, RefreshToken.revoked_at.is_not(None)
                )
            )
        )
    )


def revoke_family(session: Session, family_id: uuid.UUID, now: datetime | None = None) -> None:
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.family_id == family_id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now or datetime.now(UTC))
    )


def revoke_user_tokens(session: Session, user: User, now: datetime | None = None) -> None:
    """End every session of `user` (deactivation, role change)."""
    session.execute(
        update(RefreshToken)
        .where(RefreshToken.user_id == user.id, RefreshToken.revoked_at.is_(None))
        .values(revoked_at=now or datetime.now(UTC))
    )


def rotate(
    session: Session, settings: Settings, token: str, now: datetime | None = None
) -> tuple[User, str, uuid.UUID]:
    """Use `token` up and return its user, the next token of the family and the family.

    Raises RefreshRejected; on reuse the family is revoked first, so the caller
    must commit even when this raises.
    """
    now = now or datetime.now(UTC)
    row = session.scalar(
        select(RefreshToken)
        .where(RefreshToken.token_hash == _hash(settings, token))
        .with_for_update()
    )
    if row is None:
        raise RefreshRejected("invalid refresh token")
    if row.revoked_at is not None:
        raise RefreshRejected("refresh token revoked; sign in again")
    # Two clients of one sign-in (tabs, an app retrying on a lost response) refreshing
    # at the same moment both present the token: that is not theft. Used again later,
    # it is: the family ends, the thief's session and the holder's alike.
    grace = timedelta(seconds=settings.REFRESH_REUSE_GRACE_SECONDS)
    if row.used_at is not None and (grace.total_seconds() <= 0 or now - row.used_at > grace):
        revoke_family(session, row.family_id, now)
        raise RefreshRejected("refresh token already used; every session of it is now ended")
    if row.expires_at <= now:
        raise RefreshRejected("refresh token expired; sign in again")
    user = session.get(User, row.user_id)
    if user is None or not user.is_active or user.erased_at is not None:
        raise RefreshRejected("user is not active")
    row.used_at = row.used_at or now  # the grace counts from the first use
    token = issue_refresh_token(session, settings, user, family_id=row.family_id, now=now)
    return user, token, row.family_id


def revoke(session: Session, settings: Settings, token: str) -> bool:
    """Sign out: revoke the family of `token`; False when the token is unknown."""
    # Locked like `rotate` locks it: a refresh of this token in flight commits first,
    # and the family's revocation then sees the token that refresh issued (without the
    # lock it could not, and that token kept the ended sign-in refreshing).
    row = session.scalar(
        select(RefreshToken)
        .where(RefreshToken.token_hash == _hash(settings, token))
        .with_for_update()
    )
    if row is None:
        return False
    revoke_family(session, row.family_id)
    return True

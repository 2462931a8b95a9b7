"""Who uses SoSoft: users (citizens and staff), teams, and how they sign in."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import (
    BigInteger,
    Boolean,
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    Uuid,
    func,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models.base import Base, created_at, in_values, pk

ROLES = ("citizen", "support", "manager")
STAFF_ROLES = ("support", "manager")
LOCALES = ("tr", "en")


# Which teams a staff member works for: staff often cover more than one crew.
user_teams = Table(
    "user_teams",
    Base.metadata,
    Column("user_id", BigInteger, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column(
        "team_id",
        BigInteger,
        ForeignKey("teams.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
)


class Team(Base):
    """A crew that works tickets (Roads, Lighting, …)."""

    __tablename__ = "teams"

    id: Mapped[int] = pk()
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str | None] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    created_at: Mapped[datetime] = created_at()

    members: Mapped[list[User]] = relationship(secondary=user_teams, back_populates="teams")


class User(Base):
    __tablename__ = "users"
    __table_args__ = (
        CheckConstraint(in_values("role", ROLES), name="role"),
        CheckConstraint(in_values("locale", LOCALES), name="locale"),
        Index("ix_users_role_active", "role", "is_active"),
    )

    id: Mapped[int] = pk()
    # E.164; NULL once the citizen has erased their data, or for a WhatsApp
    # user who hides the number behind a username (then whatsapp_id is set).
    phone: Mapped[str | None] = mapped_column(String(32), unique=True)
    whatsapp_id: Mapped[str | None] = mapped_column(String(128), unique=True)
    full_name: Mapped[str | None] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(16), default="citizen", server_default="citizen")
    locale: Mapped[str] = mapped_column(String(2), default="tr", server_default="tr")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    sla_alerts: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    consent_at: Mapped[datetime | None]
    opted_out_at: Mapped[datetime | None]
    erased_at: Mapped[datetime | None]
    last_login_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())

    teams: Mapped[list[Team]] = relationship(
        secondary=user_teams, back_populates="members", order_by=Team.id
    )

    # Not a column: set only on the unsaved support user an integration's API key acts
    # as (core.people.api_keys.key_as_support), so its events record the key.
    acting_api_key_id = None

    @property
    def is_staff(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def team_ids(self) -> list[int]:
        return [team.id for team in self.teams]


class OtpCode(Base):
    """The one live sign-in code of a phone number, kept only as a keyed hash."""

    __tablename__ = "otp_codes"

    id: Mapped[int] = pk()
    phone: Mapped[str] = mapped_column(String(32), unique=True)
    code_hash: Mapped[str] = mapped_column(String(128))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()


class RefreshToken(Base):
    """A refresh token (hashed). Rotation: each works once; tokens of one sign-in share a family."""

    __tablename__ = "refresh_tokens"

    id: Mapped[int] = pk()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    family_id: Mapped[uuid.UUID] = mapped_column(Uuid, index=True)
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()


class ApiKey(Base):
    """A key for scripts and BI tools; the secret is shown once and stored hashed."""

    __tablename__ = "api_keys"

    id: Mapped[int] = pk()
    name: Mapped[str] = mapped_column(String(120))
    # The first characters of the key, stored in clear to find the row quickly.
    prefix: Mapped[str] = mapped_column(String(16), unique=True)
    key_hash: Mapped[str] = mapped_column(String(128))
    scopes: Mapped[list[str]] = mapped_column(ARRAY(String(40)), default=list)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()

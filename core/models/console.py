"""What the staff console keeps besides tickets: sign-in sessions, who last looked at
which ticket, and the replies support saves for reuse."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, created_at, pk


class ConsoleSession(Base):
    """A browser signed in to the console. The cookie holds a random token; only its
    keyed hash is stored, so a copy of the table signs no one in."""

    __tablename__ = "console_sessions"
    __table_args__ = (Index("ix_console_sessions_user_id", "user_id"),)

    id: Mapped[int] = pk()
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)
    created_at: Mapped[datetime] = created_at()
    last_seen_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    ended_at: Mapped[datetime | None]


class TicketView(Base):
    """When a staff member last opened a ticket's page."""

    __tablename__ = "ticket_views"
    __table_args__ = (Index("ix_ticket_views_ticket_id_seen_at", "ticket_id", "seen_at"),)

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    seen_at: Mapped[datetime]


class SavedReply(Base):
    """A public reply support sends often, written in both languages: each citizen
    gets it in theirs."""

    __tablename__ = "saved_replies"

    id: Mapped[int] = pk()
    title: Mapped[str] = mapped_column(String(80))
    body_tr: Mapped[str] = mapped_column(Text)
    body_en: Mapped[str] = mapped_column(Text)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = created_at()

    def body(self, locale: str) -> str:
        return self.body_en if locale == "en" else self.body_tr

"""Conversations with citizens and every message in and out.

Outbound rows are the outbox: written in the same transaction as the change that
causes them, then sent by a worker.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, created_at, in_values, pk

MESSAGE_CHANNELS = ("sms", "whatsapp")
DIRECTIONS = ("inbound", "outbound")
# Outbound life: pending (in the outbox) → sending (claimed by a worker) → queued/sent
# by Twilio → delivered → read; or failed/undelivered, or skipped (never sent, with why).
MESSAGE_STATUSES = (
    "received",
    "pending",
    "sending",
    "queued",
    "sent",
    "delivered",
    "read",
    "failed",
    "undelivered",
    "skipped",
)


class Conversation(Base):
    """One per phone (or WhatsApp user id): where the citizen is in the chat."""

    __tablename__ = "conversations"
    __table_args__ = (Index("ix_conversations_expires_at", "expires_at"),)

    id: Mapped[int] = pk()
    address: Mapped[str] = mapped_column(String(128), unique=True)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    state: Mapped[str] = mapped_column(String(40), default="start", server_default="start")
    # The draft report and anything else the current step needs.
    context: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )
    version: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    channel: Mapped[str | None] = mapped_column(String(10))
    locale: Mapped[str] = mapped_column(String(2), default="tr", server_default="tr")
    misses: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_inbound_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())


class Message(Base):
    __tablename__ = "messages"
    __table_args__ = (
        CheckConstraint(in_values("direction", DIRECTIONS), name="direction"),
        CheckConstraint(in_values("channel", MESSAGE_CHANNELS), name="channel"),
        CheckConstraint(in_values("status", MESSAGE_STATUSES), name="status"),
        # The relay sweep looks for outbox rows still pending.
        Index(
            "ix_messages_pending",
            "created_at",
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_messages_address_created_at", "address", "created_at"),
        # The media relay looks for recent inbound messages that carry media.
        Index(
            "ix_messages_inbound_media",
            "created_at",
            postgresql_where=text("direction = 'inbound' AND media <> '[]'::jsonb"),
        ),
    )

    id: Mapped[int] = pk()
    twilio_sid: Mapped[str | None] = mapped_column(String(64), unique=True)
    direction: Mapped[str] = mapped_column(String(8))
    channel: Mapped[str] = mapped_column(String(10))
    # The citizen's side of the exchange: E.164 phone or WhatsApp user id.
    address: Mapped[str | None] = mapped_column(String(128))
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL"), index=True
    )
    kind: Mapped[str | None] = mapped_column(String(40))
    locale: Mapped[str | None] = mapped_column(String(2))
    body: Mapped[str | None] = mapped_column(Text)
    media: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )
    content_sid: Mapped[str | None] = mapped_column(String(64))
    content_variables: Mapped[dict[str, Any] | None] = mapped_column(JSONB)
    status: Mapped[str] = mapped_column(String(12))
    error_code: Mapped[int | None] = mapped_column(Integer)
    error_message: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    # For inbound messages: the TwiML reply given, so a retried webhook gets the same one.
    reply: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())

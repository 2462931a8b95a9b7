"""Background exports: a manager asks for a big file, a worker writes it to storage."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import CheckConstraint, ForeignKey, String, Text, Uuid, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.orm import Mapped, mapped_column

from core.models.base import Base, created_at, in_values

EXPORT_FORMATS = ("csv", "xlsx", "geojson")
EXPORT_STATUSES = ("queued", "running", "done", "failed", "expired")


class ExportJob(Base):
    __tablename__ = "export_jobs"
    __table_args__ = (
        CheckConstraint(in_values("format", EXPORT_FORMATS), name="format"),
        CheckConstraint(in_values("status", EXPORT_STATUSES), name="status"),
    )

    # A random id: a job's URL reveals nothing and can't be guessed.
    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    requested_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    api_key_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="SET NULL"), index=True
    )
    format: Mapped[str] = mapped_column(String(8))
    # The export filters as given (same names as the GET export endpoints).
    filters: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )
    status: Mapped[str] = mapped_column(String(10), default="queued", server_default="queued")
    row_count: Mapped[int | None]
    storage_key: Mapped[str | None] = mapped_column(String(255))
    error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

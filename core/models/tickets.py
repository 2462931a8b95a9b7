"""Tickets and everything that hangs off one: followers, events, comments,
photos, escalations, feedback; and the categories that route them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from geoalchemy2 import Geography, WKBElement
from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Double,
    ForeignKey,
    Index,
    Integer,
    Sequence,
    SmallInteger,
    String,
    Text,
    UniqueConstraint,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import JSONB, TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from core.models.base import Base, created_at, in_values, pk
from core.models.people import ApiKey, Team, User

STATUSES = ("new", "in_progress", "escalated", "resolved", "closed")
OPEN_STATUSES = ("new", "in_progress", "escalated")
PRIORITIES = ("low", "normal", "high", "urgent")
RESOLUTIONS = ("fixed", "duplicate", "not_responsible", "invalid")
CHANNELS = ("whatsapp", "sms", "api", "open311")
ESCALATION_STATUSES = ("pending", "approved", "rejected")

# Public ticket numbers (#1001, #1002, …) come from their own sequence so they
# stay short and never reveal the internal id.
ticket_number_seq = Sequence("ticket_number_seq", start=1001)


# Ticket.number is a PostgreSQL integer: a larger number names no ticket.
MAX_TICKET_NUMBER = 2**31 - 1


class Category(Base):
    __tablename__ = "categories"
    __table_args__ = (CheckConstraint("sla_hours > 0", name="sla_hours_positive"),)

    id: Mapped[int] = pk()
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name_tr: Mapped[str] = mapped_column(String(80))
    name_en: Mapped[str] = mapped_column(String(80))
    description_tr: Mapped[str | None] = mapped_column(Text)
    description_en: Mapped[str | None] = mapped_column(Text)
    default_team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    sla_hours: Mapped[int] = mapped_column(Integer, default=72, server_default="72")
    sort_order: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    is_active: Mapped[bool] = mapped_column(Boolean, default=True, server_default="true")
    # Extra questions asked after the description (Open311 "attributes").
    questions: Mapped[list[dict[str, Any]]] = mapped_column(
        JSONB, default=list, server_default=text("'[]'::jsonb")
    )
    # The everyday words that name it in a chat, {"tr": [...], "en": [...]}
    # (core/tickets/category_words.py); None until set.
    everyday_words: Mapped[dict[str, list[str]] | None] = mapped_column(JSONB)
    created_at: Mapped[datetime] = created_at()
    # Open311 discovery's changeset: when the service list or a definition last changed.
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())

    default_team: Mapped[Team | None] = relationship()

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_tr


# What a heatmap reads of a ticket besides its day (core/analytics/geo_grid.py).
MAP_POINT_INDEX_INCLUDES = [
    "map_srid",
    "map_x",
    "map_y",
    "status",
    "category_id",
    "team_id",
    "channel",
    "location",
]


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        CheckConstraint(in_values("status", STATUSES), name="status"),
        CheckConstraint(in_values("priority", PRIORITIES), name="priority"),
        CheckConstraint(
            f"resolution IS NULL OR {in_values('resolution', RESOLUTIONS)}", name="resolution"
        ),
        CheckConstraint(in_values("channel", CHANNELS), name="channel"),
        Index("ix_tickets_status_created_at", "status", "created_at"),
        Index("ix_tickets_created_at", "created_at"),
        Index("ix_tickets_location", "location", postgresql_using="gist"),
        Index("ix_tickets_search_document", "search_document", postgresql_using="gin"),
        # A month's heatmap points read from the index alone (core/analytics/geo_grid.py).
        Index(
            "ix_tickets_map_points",
            "created_at",
            postgresql_include=MAP_POINT_INDEX_INCLUDES,
        ),
        Index("ix_tickets_staff_search_document", "staff_search_document", postgresql_using="gin"),
        Index(
            "ix_tickets_open_due_at",
            "due_at",
            postgresql_where=text("status IN ('new', 'in_progress', 'escalated')"),
        ),
        # The nearby search (API and the bot's duplicate check) looks at open tickets
        # only; most tickets of a busy street are long closed.
        Index(
            "ix_tickets_open_location",
            "location",
            postgresql_using="gist",
            postgresql_where=text("status IN ('new', 'in_progress', 'escalated')"),
        ),
        # Analytics: the open backlog answered from the index alone, and the rollup
        # refresh finding a day's resolved and closed tickets.
        Index(
            "ix_tickets_open_created_at",
            "created_at",
            postgresql_include=["category_id", "team_id", "channel", "due_at"],
            postgresql_where=text("status IN ('new', 'in_progress', 'escalated')"),
        ),
        Index(
            "ix_tickets_contact_phone",
            "contact_phone",
            postgresql_where=text("contact_phone IS NOT NULL"),
        ),
        Index("ix_tickets_resolved_at", "resolved_at"),
        Index("ix_tickets_closed_at", "closed_at"),
    )

    id: Mapped[int] = pk()
    number: Mapped[int] = mapped_column(
        Integer, ticket_number_seq, server_default=ticket_number_seq.next_value(), unique=True
    )
    reporter_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # The integration (API key) that filed the ticket, through Open311 or /api/v1.
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    # E.164 phone the integration gave for the person it filed for: shown to staff,
    # never an account, never in an Open311 answer; forgotten like a reporter's phone.
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    # The email it gave, likewise: for staff only, forgotten with the phone.
    contact_email: Mapped[str | None] = mapped_column(String(254))
    category_id: Mapped[int] = mapped_column(
        ForeignKey("categories.id", ondelete="RESTRICT"), index=True
    )
    description: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="new", server_default="new")
    priority: Mapped[str] = mapped_column(String(8), default="normal", server_default="normal")
    resolution: Mapped[str | None] = mapped_column(String(20))
    location: Mapped[WKBElement | None] = mapped_column(
        Geography("POINT", srid=4326, spatial_index=False)
    )
    address: Mapped[str | None] = mapped_column(Text)
    # A typed address or landmark with no precise point yet: staff place it on the map.
    needs_location: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    # The point is an area's centre (a district named in the address), not the place:
    # left out of duplicate checks and hotspots.
    location_approximate: Mapped[bool] = mapped_column(
        Boolean, default=False, server_default="false"
    )
    team_id: Mapped[int | None] = mapped_column(
        ForeignKey("teams.id", ondelete="SET NULL"), index=True
    )
    assignee_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    channel: Mapped[str] = mapped_column(String(10))
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="SET NULL")
    )
    # Answers to the category's questions, by question code.
    attributes: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )
    # Where the ticket came from beyond the channel (Open311 media_url, device_id, …).
    source_details: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )
    followers_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    reopen_count: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    due_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()
    updated_at: Mapped[datetime] = mapped_column(server_default=func.now(), onupdate=func.now())
    first_response_at: Mapped[datetime | None]
    resolved_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    sla_breached_at: Mapped[datetime | None]
    # What text search matches (core/tickets/search_text.py), written by the database's
    # triggers (migration 0015) when the ticket or one of its comments is written; never
    # read into Python, hence deferred. Internal notes have their own document, which
    # only staff searches look at.
    search_document: Mapped[str | None] = mapped_column(TSVECTOR, deferred=True)
    staff_search_document: Mapped[str | None] = mapped_column(TSVECTOR, deferred=True)
    # The location projected into its own UTM zone (EPSG code, metres), for counting
    # heatmap cells by arithmetic: written by the database's trigger with the location
    # (migration 0012), never by Python.
    map_srid: Mapped[int | None] = mapped_column(Integer, deferred=True)
    map_x: Mapped[float | None] = mapped_column(Double, deferred=True)
    map_y: Mapped[float | None] = mapped_column(Double, deferred=True)

    category: Mapped[Category] = relationship()
    reporter: Mapped[User | None] = relationship(foreign_keys=[reporter_id])
    assignee: Mapped[User | None] = relationship(foreign_keys=[assignee_id])
    team: Mapped[Team | None] = relationship()

    @property
    def public_number(self) -> str:
        return f"#{self.number}"


class TicketFollower(Base):
    """A citizen who said "me too" and hears of the ticket's progress."""

    __tablename__ = "ticket_followers"

    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), primary_key=True
    )
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime] = created_at()


class TicketEvent(Base):
    """Append-only audit log: who changed what, from what, to what, when."""

    __tablename__ = "ticket_events"

    id: Mapped[int] = pk()
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # An integration working tickets with its key (tickets:* scopes) is the actor here.
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    kind: Mapped[str] = mapped_column(String(40))
    from_value: Mapped[str | None] = mapped_column(String(80))
    to_value: Mapped[str | None] = mapped_column(String(80))
    data: Mapped[dict[str, Any]] = mapped_column(
        JSONB, default=dict, server_default=text("'{}'::jsonb")
    )
    created_at: Mapped[datetime] = created_at()


class Comment(Base):
    __tablename__ = "comments"

    id: Mapped[int] = pk()
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # Written by an integration working tickets with its key (tickets:write).
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    body: Mapped[str] = mapped_column(Text)
    # Internal notes are for staff only and never reach a citizen by any path.
    is_internal: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    created_at: Mapped[datetime] = created_at()

    author: Mapped[User | None] = relationship()
    api_key: Mapped[ApiKey | None] = relationship()


class Photo(Base):
    __tablename__ = "photos"
    __table_args__ = (UniqueConstraint("ticket_id", "sha256"),)

    id: Mapped[int] = pk()
    ticket_id: Mapped[int | None] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), index=True
    )
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # An integration's key that uploaded it (its stand-in user is never saved).
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    storage_key: Mapped[str] = mapped_column(String(255), unique=True)
    content_type: Mapped[str] = mapped_column(String(40))
    size_bytes: Mapped[int] = mapped_column(Integer)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(10), default="api", server_default="api")
    # Staff only: a follower's photo kept on someone else's ticket with her internal note.
    is_internal: Mapped[bool] = mapped_column(Boolean, default=False, server_default="false")
    created_at: Mapped[datetime] = created_at()


class Escalation(Base):
    __tablename__ = "escalations"
    __table_args__ = (
        CheckConstraint(in_values("status", ESCALATION_STATUSES), name="status"),
        # At most one pending escalation per ticket.
        Index(
            "uq_escalations_one_pending",
            "ticket_id",
            unique=True,
            postgresql_where=text("status = 'pending'"),
        ),
        Index("ix_escalations_status_created_at", "status", "created_at"),
    )

    id: Mapped[int] = pk()
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id", ondelete="CASCADE"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # An integration's key that asked (its stand-in user is never saved).
    api_key_id: Mapped[int | None] = mapped_column(ForeignKey("api_keys.id", ondelete="SET NULL"))
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), default="pending", server_default="pending")
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    decision_note: Mapped[str | None] = mapped_column(Text)
    decided_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = created_at()


class Feedback(Base):
    __tablename__ = "feedback"
    __table_args__ = (CheckConstraint("rating BETWEEN 1 AND 5", name="rating_range"),)

    id: Mapped[int] = pk()
    ticket_id: Mapped[int] = mapped_column(
        ForeignKey("tickets.id", ondelete="CASCADE"), unique=True
    )
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    rating: Mapped[int | None] = mapped_column(SmallInteger)
    fixed: Mapped[bool | None] = mapped_column(Boolean)
    comment: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = created_at()

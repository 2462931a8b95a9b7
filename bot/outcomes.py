"""What the conversation handlers see and what they return.

A handler gets a `Snapshot` (the conversation plus the few facts from the database
it may need, loaded before) and an `Inbound` message, and returns an `Outcome`:
the replies, the next state and context, and the effects for the executor
(`bot/effects.py`) to carry out in the database. Handlers never touch the database.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from core.conversations.draft import Draft


@dataclass(frozen=True)
class CategoryChoice:
    id: int
    code: str
    name_tr: str
    name_en: str
    questions: tuple[dict[str, Any], ...] = ()
    # The everyday words that name it (core/tickets/category_words.py).
    words_tr: tuple[str, ...] = ()
    words_en: tuple[str, ...] = ()

    def name(self, locale: str) -> str:
        return self.name_en if locale == "en" else self.name_tr


@dataclass(frozen=True)
class NearbyTicket:
    id: int
    number: int
    distance_m: float
    created_at: datetime
    # Reported by the citizen herself.
    own: bool = False


@dataclass(frozen=True)
class Snapshot:
    state: str
    context: dict[str, Any]
    locale: str
    now: datetime
    channel: str = "whatsapp"
    misses: int = 0
    registered: bool = False
    opted_out: bool = False
    country_allowed: bool = True
    allowed_countries: tuple[str, ...] = ("TR",)
    service_area: tuple[float, float, float, float] = (27.95, 40.78, 29.95, 41.60)
    # Dates typed in answers are read in the city's time zone.
    city_timezone: str = "Europe/Istanbul"
    # A geocoder is configured (GEOCODER_URL): typed addresses are looked up on it.
    geocoder: bool = False
    retention_days: int = 730
    timeout_minutes: int = 30
    draft_expired: bool = False
    categories: tuple[CategoryChoice, ...] = ()
    # Open tickets near the draft's point in its category (loaded for the confirm step).
    nearby: tuple[NearbyTicket, ...] = ()
    # The citizen's resolved ticket still waiting for a rating, by number.
    feedback_due: int | None = None
    # The citizen's resolved ticket that "not fixed" would reopen, by number.
    reopenable: int | None = None

    @property
    def draft(self) -> Draft:
        """The report being written (an empty one when there is none)."""
        return Draft.of(self.context) or Draft()

    @property
    def has_draft(self) -> bool:
        return Draft.of(self.context) is not None

    def category(self, category_id: int | None) -> CategoryChoice | None:
        return next((c for c in self.categories if c.id == category_id), None)


# --- effects: what the executor does in the database -------------------------------


@dataclass(frozen=True)
class Register:
    full_name: str | None


@dataclass(frozen=True)
class CreateTicket:
    draft: Draft


@dataclass(frozen=True)
class FollowTicket:
    ticket_id: int
    # The report she was writing: kept on the ticket as an internal note for staff.
    draft: Draft | None = None


@dataclass(frozen=True)
class AddToOwnTicket:
    """The report goes onto the citizen's own open ticket nearby, as her comment."""

    ticket_id: int
    draft: Draft


@dataclass(frozen=True)
class LookUpAddress:
    """Look the draft's typed address up on the geocoder, after the reply (a Celery task)."""

    message_id: int


@dataclass(frozen=True)
class AddComment:
    number: int
    text: str


@dataclass(frozen=True)
class AttachMediaToTicket:
    number: int


@dataclass(frozen=True)
class ShowStatus:
    number: int | None = None


@dataclass(frozen=True)
class SetLocale:
    locale: str


@dataclass(frozen=True)
class SetOptOut:
    opted_out: bool


@dataclass(frozen=True)
class Erase:
    pass


@dataclass(frozen=True)
class GiveFeedback:
    number: int
    rating: int | None = None
    fixed: bool | None = None


Effect = (
    Register
    | CreateTicket
    | FollowTicket
    | AddToOwnTicket
    | LookUpAddress
    | AddComment
    | AttachMediaToTicket
    | ShowStatus
    | SetLocale
    | SetOptOut
    | Erase
    | GiveFeedback
)


@dataclass
class Outcome:
    replies: list[str]
    next_state: str
    context: dict[str, Any]
    effects: list[Effect] = field(default_factory=list)
    # Said after what the effects answer (the open question, after a status).
    closing: list[str] = field(default_factory=list)
    # The input did not fit the step (counts towards the help text after three).
    miss: bool = False
    misses: int = 0
    locale: str | None = None

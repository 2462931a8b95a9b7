"""A report being written in the chat: what the citizen has given so far.

The conversation keeps it as JSON under `context["draft"]`. The bot fills it in,
the media task adds the photos it fetched, the address lookup its result, and the
expiry sweep drops it: all through this class, so the fields, what is still
missing and the photo limit are written down once.

Reading is tolerant: a field of the wrong type (a context written by hand, or by an
older version) is taken as absent rather than failing the conversation.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field, fields, is_dataclass, replace
from datetime import datetime
from functools import lru_cache
from typing import Any

CONTEXT_KEY = "draft"
# Where the conversation stood when the citizen wrote DUR in the middle of a report
# (asked whether she means to stop): it belongs to the report, and goes with it.
PAUSED_STATE_KEY = "paused_state"
# Photos one report takes from the chat (more are said to be too many).
PHOTO_LIMIT = 3

# The pieces of a report, in the order the bot asks for them.
CATEGORY = "category"
DESCRIPTION = "description"
QUESTIONS = "questions"
LOCATION = "location"
PHOTOS = "photos"


@dataclass(frozen=True)
class DraftMedia:
    """An inbound message whose first `take` media belong to the report."""

    message_id: int
    take: int


@dataclass(frozen=True)
class DuplicateOffer:
    """An open ticket near the report, offered before filing a new one."""

    ticket_id: int
    number: int
    distance_m: float
    age_days: int
    # The citizen reported it herself: offer to add the new report to it.
    own: bool = False


@dataclass(frozen=True)
class AddressLookup:
    """The typed address being looked up on the map (by a Celery task), and what came back.

    `status`: "pending" until the task answers, then "found" (with the place) or "none".
    """

    message_id: int
    started_at: str
    status: str = "pending"
    lat: float | None = None
    lon: float | None = None
    label: str | None = None

    @property
    def started(self) -> datetime:
        return datetime.fromisoformat(self.started_at)


@dataclass(frozen=True)
class Draft:
    category_id: int | None = None
    # A category guessed from the citizen's words, waiting for her to confirm it.
    category_guess: int | None = None
    # Two (or more) categories her words fit: she is asked which.
    category_choices: tuple[int, ...] = ()
    description: str | None = None
    question_index: int = 0
    answers: dict[str, Any] = field(default_factory=dict)
    lat: float | None = None
    lon: float | None = None
    # The point is an area's centre (a district named in the address), not the place.
    location_approximate: bool = False
    address: str | None = None
    lookup: AddressLookup | None = None
    media: tuple[DraftMedia, ...] = ()
    media_count: int = 0
    photos_done: bool = False
    # Photos already fetched and stored, linked to the ticket when it is created.
    photo_ids: tuple[int, ...] = ()
    duplicate: DuplicateOffer | None = None
    # The inbound message that started the report: from it on, the conversation's
    # messages belong to the ticket the report becomes (its thread).
    opened_by: int | None = None

    # --- JSON ------------------------------------------------------------------------

    @classmethod
    def of(cls, context: dict[str, Any] | None) -> Draft | None:
        """The draft in a conversation's context, or None when there is none."""
        raw = (context or {}).get(CONTEXT_KEY)
        return cls.from_json(raw) if isinstance(raw, dict) else None

    @classmethod
    def from_json(cls, raw: dict[str, Any]) -> Draft:
        return cls(
            category_id=_int(raw.get("category_id")),
            category_guess=_int(raw.get("category_guess")),
            category_choices=tuple(_ints(raw.get("category_choices"))),
            description=_str(raw.get("description")),
            question_index=_int(raw.get("question_index")) or 0,
            answers=dict(raw["answers"]) if isinstance(raw.get("answers"), dict) else {},
            lat=_float(raw.get("lat")),
            lon=_float(raw.get("lon")),
            location_approximate=raw.get("location_approximate") is True,
            address=_str(raw.get("address")),
            lookup=_lookup(raw.get("lookup")),
            media=tuple(_media(raw.get("media"))),
            media_count=_int(raw.get("media_count")) or 0,
            photos_done=raw.get("photos_done") is True,
            photo_ids=tuple(_ints(raw.get("photo_ids"))),
            duplicate=_duplicate(raw.get("duplicate")),
            opened_by=_int(raw.get("opened_by")),
        )

    def to_json(self) -> dict[str, Any]:
        """The fields that differ from an empty draft (contexts stay small)."""
        empty = _empty_json()
        data = {k: v for k, v in _as_dict(self).items() if v != empty[k]}
        for name in ("category_choices", "photo_ids"):
            if name in data:
                data[name] = list(data[name])
        if "media" in data:
            data["media"] = [dict(item) for item in data["media"]]
        return data

    def into(self, context: dict[str, Any]) -> dict[str, Any]:
        """`context` holding this draft."""
        return {**context, CONTEXT_KEY: self.to_json()}

    # --- what is missing -----------------------------------------------------------------

    @property
    def has_point(self) -> bool:
        return self.lat is not None and self.lon is not None

    @property
    def has_precise_point(self) -> bool:
        return self.has_point and not self.location_approximate

    @property
    def location_settled(self) -> bool:
        """A point, or an address whose lookup (if any) has been answered."""
        return self.has_point or (bool(self.address) and self.lookup is None)

    @property
    def photos_full(self) -> bool:
        return self.media_count >= PHOTO_LIMIT

    def missing(self, question_count: int, *, category_known: bool) -> str | None:
        """The first piece still missing (CATEGORY … PHOTOS), or None when complete.

        `category_known`: the category exists and is active (staff may retire it
        while the citizen writes); `question_count`: how many questions it has now.
        """
        if not category_known:
            return CATEGORY
        if not self.description:
            return DESCRIPTION
        if self.question_index < question_count:
            return QUESTIONS
        if not self.location_settled:
            return LOCATION
        if not self.photos_done and not self.photos_full:
            return PHOTOS
        return None

    # --- absorbing what arrives ------------------------------------------------------------

    def with_pin(self, lat: float, lon: float, label: str | None) -> Draft:
        """A shared or typed point: precise, and any lookup is over."""
        return replace(
            self,
            lat=lat,
            lon=lon,
            location_approximate=False,
            address=label or self.address,
            lookup=None,
        )

    def with_photos(self, message_id: int, count: int) -> tuple[Draft, int]:
        """The draft with up to `count` photos of message `message_id`, and how many it took."""
        take = max(0, min(PHOTO_LIMIT - self.media_count, count))
        if take == 0:
            return self, 0
        media = (*self.media, DraftMedia(message_id, take))
        return replace(self, media=media, media_count=self.media_count + take), take

    def media_wanted(self, message_id: int) -> int:
        """How many media of inbound message `message_id` the report takes."""
        return next((m.take for m in self.media if m.message_id == message_id), 0)

    def with_photo_id(self, photo_id: int) -> Draft:
        return replace(self, photo_ids=(*self.photo_ids, photo_id))


@lru_cache(maxsize=1)
def _empty_json() -> dict[str, Any]:
    return asdict(Draft())


def _as_dict(draft: Draft) -> dict[str, Any]:
    """`asdict(draft)` without its generic walk over every value (a message's biggest
    cost in the engine): only nested dataclasses and the answers need copying."""
    data: dict[str, Any] = {}
    for name in _field_names():
        value = getattr(draft, name)
        if is_dataclass(value):
            value = asdict(value)  # type: ignore[arg-type]
        elif isinstance(value, tuple) and value and is_dataclass(value[0]):
            value = tuple(asdict(item) for item in value)  # type: ignore[arg-type]
        elif isinstance(value, dict):
            value = copy.deepcopy(value)
        data[name] = value
    return data


@lru_cache(maxsize=1)
def _field_names() -> tuple[str, ...]:
    return tuple(item.name for item in fields(Draft))


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _ints(value: Any) -> list[int]:
    return [v for v in value if _int(v) is not None] if isinstance(value, list) else []


def _float(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return float(value)


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def _media(value: Any) -> list[DraftMedia]:
    if not isinstance(value, list):
        return []
    items = (v for v in value if isinstance(v, dict))
    return [
        DraftMedia(m["message_id"], m["take"])
        for m in items
        if _int(m.get("message_id")) is not None and _int(m.get("take")) is not None
    ]


def _duplicate(value: Any) -> DuplicateOffer | None:
    if not isinstance(value, dict):
        return None
    # Drafts written before the typed draft named the ticket "id".
    ticket_id = _int(value.get("ticket_id", value.get("id")))
    number = _int(value.get("number"))
    if ticket_id is None or number is None:
        return None
    return DuplicateOffer(
        ticket_id=ticket_id,
        number=number,
        distance_m=_float(value.get("distance_m")) or 0.0,
        age_days=_int(value.get("age_days")) or 0,
        own=value.get("own") is True,
    )


def _lookup(value: Any) -> AddressLookup | None:
    if not isinstance(value, dict):
        return None
    message_id, started_at = _int(value.get("message_id")), _str(value.get("started_at"))
    status = value.get("status")
    if message_id is None or started_at is None or status not in ("pending", "found", "none"):
        return None
    try:
        datetime.fromisoformat(started_at)
    except ValueError:
        return None
    return AddressLookup(
        message_id=message_id,
        started_at=started_at,
        status=status,
        lat=_float(value.get("lat")),
        lon=_float(value.get("lon")),
        label=_str(value.get("label")),
    )

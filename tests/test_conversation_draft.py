"""The conversation draft has one owner: its fields, what is missing, what it absorbs
and the photo limit, as the bot, the media task and the expiry sweep all read it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from core.conversations.draft import (
    PHOTO_LIMIT,
    AddressLookup,
    Draft,
    DraftMedia,
    DuplicateOffer,
)
from core.conversations.expiry import expire_stale_drafts
from core.models import Conversation

FULL = {
    "category_id": 3,
    "description": "Sokak lambası yanmıyor",
    "question_index": 1,
    "answers": {"depth": 30},
    "lat": 41.0082,
    "lon": 28.9784,
    "address": "Moda Caddesi 25",
    "media": [{"message_id": 7, "take": 2}],
    "media_count": 2,
    "photos_done": True,
    "photo_ids": [11, 12],
    "duplicate": {"ticket_id": 5, "number": 1001, "distance_m": 14.0, "age_days": 2, "own": True},
    "lookup": {"message_id": 9, "started_at": "2026-11-24T10:00:00+00:00", "status": "found",
               "lat": 40.98, "lon": 29.02, "label": "Moda Caddesi 25, Caferağa"},
}  # fmt: skip


def test_a_draft_reads_back_what_it_wrote() -> None:
    draft = Draft.from_json(FULL)
    assert draft.media == (DraftMedia(7, 2),)
    assert draft.duplicate == DuplicateOffer(5, 1001, 14.0, 2, own=True)
    assert draft.lookup == AddressLookup(
        9, "2026-11-24T10:00:00+00:00", "found", 40.98, 29.02, "Moda Caddesi 25, Caferağa"
    )
    assert draft.to_json() == FULL
    assert Draft().to_json() == {}


@pytest.mark.parametrize(
    "raw",
    [
        {"category_id": "3", "lat": "41", "media": "x", "answers": [], "photo_ids": ["a"]},
        {
            "category_id": True,
            "media": [{"message_id": "7", "take": 1}],
            "duplicate": {"number": 1},
        },
        {"lookup": {"message_id": 1, "started_at": "yesterday", "status": "pending"}},
        {"lookup": {"message_id": 1, "started_at": "2026-11-24T10:00:00", "status": "lost"}},
    ],
)
def test_a_draft_of_the_wrong_shape_reads_as_empty_not_as_an_error(raw: dict) -> None:
    assert Draft.from_json(raw) == Draft()


def test_drafts_written_before_the_typed_draft_still_read() -> None:
    old = {"duplicate": {"id": 5, "number": 1001, "distance_m": 40, "age_days": 0}}
    assert Draft.from_json(old).duplicate == DuplicateOffer(5, 1001, 40.0, 0)
    assert Draft.of({"draft": {"category_id": 3}}) == Draft(category_id=3)
    assert Draft.of({"opted_out": True}) is None


def test_what_is_missing_comes_in_the_order_it_is_asked() -> None:
    draft = Draft()
    assert draft.missing(0, category_known=False) == "category"
    draft = Draft(category_id=3)
    assert draft.missing(1, category_known=True) == "description"
    draft = Draft(category_id=3, description="Lamba yanmıyor")
    assert draft.missing(1, category_known=True) == "questions"
    assert draft.missing(0, category_known=True) == "location"
    # An address still being looked up is not a location yet.
    looking = Draft(
        category_id=3,
        description="Lamba yanmıyor",
        address="Moda",
        lookup=AddressLookup(1, "2026-11-24T10:00:00+00:00"),
    )
    assert looking.missing(0, category_known=True) == "location"
    placed = Draft(category_id=3, description="Lamba yanmıyor", address="Moda")
    assert placed.missing(0, category_known=True) == "photos"
    assert replace(placed, photos_done=True).missing(0, category_known=True) is None


def test_photos_stop_at_the_limit_and_a_pin_ends_a_lookup() -> None:
    draft, taken = Draft().with_photos(7, 2)
    assert taken == 2
    draft, taken = draft.with_photos(8, 5)
    assert taken == PHOTO_LIMIT - 2 and draft.photos_full
    assert draft.media_wanted(8) == PHOTO_LIMIT - 2 and draft.media_wanted(99) == 0
    assert draft.with_photos(9, 1) == (draft, 0)
    looking = Draft(address="Moda", lookup=AddressLookup(1, "2026-11-24T10:00:00+00:00"))
    pinned = looking.with_pin(40.98, 29.02, None)
    assert pinned.lookup is None and pinned.address == "Moda" and pinned.has_precise_point


def test_the_expiry_sweep_drops_the_draft_and_a_pending_stop_question(db, settings) -> None:
    now = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)
    for state in ("category_confirm", "address_lookup", "stop_confirm"):
        db.add(
            Conversation(
                address=f"+90532000{len(state):04d}",
                state=state,
                context={"draft": FULL, "paused_state": "description", "profile_name": "x"},
                expires_at=now - timedelta(minutes=1),
            )
        )
    db.flush()
    assert expire_stale_drafts(db, settings, now) == 3
    for conversation in db.scalars(select(Conversation)):
        db.refresh(conversation)
        assert conversation.state == "menu"
        assert conversation.context == {"profile_name": "x", "expired": True}

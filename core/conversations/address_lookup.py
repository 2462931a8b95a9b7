"""A typed address looked up on the map, after the webhook has answered.

The webhook holds the conversation's lock and must answer within Twilio's budget,
so it only marks the draft's address as being looked up and says so; the Celery
task (tasks/geocoding.py) calls `look_up_address`, which asks the geocoder outside
any transaction, then locks the conversation, writes what came back onto the draft
(when the draft is still waiting for this very lookup) and queues the offer to the
citizen through the outbox. The citizen's answer to it ("EVET", a pin, another
address) is read by the bot's `address_lookup` step.
"""

from __future__ import annotations

from dataclasses import replace

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session

from core.config import Settings
from core.conversations.draft import AddressLookup, Draft
from core.db import Database
from core.geocoder import geocode
from core.messaging.notifications import queue_message
from core.messaging.texts import render
from core.models import Conversation, User


def look_up_address(
    database: Database,
    settings: Settings,
    http: requests.Session,
    conversation_id: int,
    message_id: int,
) -> str | None:
    """Look up the address of lookup `message_id`; returns its new status ("found",
    "none"), or None when the draft no longer waits for it (answered, dropped)."""
    with database.transaction() as session:
        conversation = session.get(Conversation, conversation_id)
        draft = Draft.of(conversation.context) if conversation else None
        if draft is None or _waiting(draft) is None or _waiting(draft).message_id != message_id:
            return None
        address = draft.address or ""
    places = geocode(settings, address, http)
    with database.transaction() as session:
        conversation = session.scalar(
            select(Conversation).where(Conversation.id == conversation_id).with_for_update()
        )
        draft = Draft.of(conversation.context) if conversation else None
        lookup = _waiting(draft) if draft is not None else None
        if conversation is None or lookup is None or lookup.message_id != message_id:
            return None
        if places:
            best = places[0]
            lookup = replace(lookup, status="found", lat=best.lat, lon=best.lon, label=best.label)
        else:
            lookup = replace(lookup, status="none")
        conversation.context = replace(draft, lookup=lookup).into(conversation.context)  # type: ignore[arg-type]
        conversation.version = (conversation.version or 0) + 1
        _tell(session, conversation, lookup)
        return lookup.status


def _waiting(draft: Draft | None) -> AddressLookup | None:
    lookup = draft.lookup if draft is not None else None
    return lookup if lookup is not None and lookup.status == "pending" else None


def lookup_text(lookup: AddressLookup, locale: str, channel: str | None) -> str:
    """What the citizen is told of the lookup's result (also the bot's question while
    it waits for her answer)."""
    kind = "address_found" if lookup.status == "found" else "address_not_found"
    if channel == "sms":
        kind += "_sms"
    return render(kind, locale, label=lookup.label or "")


def _tell(session: Session, conversation: Conversation, lookup: AddressLookup) -> None:
    user = session.get(User, conversation.user_id) if conversation.user_id else None
    if user is None:
        return
    body = lookup_text(lookup, conversation.locale, conversation.channel)
    queue_message(session, user, "address_lookup", body, channel=conversation.channel)

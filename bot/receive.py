"""One inbound message, start to finish, inside the request's transaction:
idempotency, the per-phone lock, the engine, the effects, the TwiML reply."""

from __future__ import annotations

import logging
import traceback
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from xml.sax.saxutils import escape

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from twilio.twiml.messaging_response import MessagingResponse

from bot.effects import Citizen, run_effects
from bot.engine import handle, reply_text
from bot.inbound import Inbound
from bot.store import (
    Locked,
    drop_conversation,
    load_snapshot,
    lock_conversation,
    looked_up,
    next_state,
    nobody_has,
    orm_user,
    save_reply,
)
from bot.texts import t
from core import driver_first
from core.config import Settings
from core.db import database_unavailable
from core.logging_setup import mask_phone
from core.models import Message

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Received:
    twiml: str
    # The stored inbound message when it carries media to fetch (after commit).
    media_message_id: int | None = None
    # A typed address to look up (conversation id, inbound message id), after commit.
    lookup: tuple[int, int] | None = None


EMPTY_TWIML = str(MessagingResponse())
_MESSAGE_TWIML = EMPTY_TWIML.replace("<Response />", "<Response><Message>{}</Message></Response>")


def twiml(text: str | None) -> str:
    """`MessagingResponse` with one message, as the twilio library writes it; filled in
    directly (escaped as ElementTree escapes text) rather than built as an XML tree
    every time: a test holds the two to the same bytes."""
    if not text:
        return EMPTY_TWIML
    return _MESSAGE_TWIML.format(escape(text))


def receive(session: Session, settings: Settings, inbound: Inbound, now: datetime) -> Received:
    """Handle `inbound` once; a repeated MessageSid gets the reply it got the first time.

    Anything unexpected rolls the whole message back and stores it again with a polite
    "something went wrong" as its reply, so a retry of it hears the same. A database
    that is away is not such a failure: it goes up to the webhook's 503, nothing is
    stored, and Twilio's retry is handled as if it came first.
    """
    try:
        return _receive(session, settings, inbound, now, failed=False)
    except Exception as exc:
        if database_unavailable(exc):
            raise
        # Where it failed, not the exception's text: that may quote the citizen's message.
        frames = traceback.extract_tb(exc.__traceback__)[-4:]
        where = " < ".join(f"{frame.name}:{frame.lineno}" for frame in reversed(frames))
        log.error(
            "conversation with %s failed: %s at %s",
            mask_phone(inbound.address),
            type(exc).__name__,
            where,
        )
        driver_first.rollback(session)
    return _receive(session, settings, inbound, now, failed=True)


def _receive(
    session: Session, settings: Settings, inbound: Inbound, now: datetime, *, failed: bool
) -> Received:
    # Under the lock, a copy of this message handled before has committed: the insert
    # then finds its MessageSid and we answer what it was answered.
    locked = lock_conversation(session, settings, inbound, _message_values(inbound))
    message_id = locked.message_id
    if message_id is None:
        if locked.created:
            # A retry of a message whose conversation is gone (the citizen erased
            # their data with it): the upsert must not leave a new, empty one behind.
            drop_conversation(session, locked.conversation.id)
        return Received(_stored_reply(session, inbound) or EMPTY_TWIML)
    if failed:
        locale = locked.conversation.locale or settings.DEFAULT_LOCALE
        reply = twiml(reply_text([t("error", locale)], inbound.channel))
        save_reply(session, message_id, reply, locale=locale)
        return Received(reply)
    inbound = inbound.with_message_id(message_id)
    reply, lookups = _converse(session, settings, locked, inbound, now)
    lookup = (locked.conversation.id, lookups[-1]) if lookups else None
    return Received(reply, message_id if inbound.media else None, lookup)


def _stored_reply(session: Session, inbound: Inbound) -> str | None:
    """The reply given to this MessageSid from this sender (or since erased);
    a MessageSid of another sender's message gets nothing."""
    return session.scalar(
        select(Message.reply).where(
            Message.twilio_sid == inbound.sid,
            or_(Message.address == inbound.address, Message.address.is_(None)),
        )
    )


def _message_values(inbound: Inbound) -> dict[str, Any]:
    """What the inbound message's row takes from the message itself (the rest is
    fixed or comes from the conversation)."""
    return {
        "twilio_sid": inbound.sid,
        "body": inbound.text,
        "media": [{"url": m.url, "content_type": m.content_type} for m in inbound.media],
        # The reply is filled in below; until then a waiting copy sees an empty one.
        "reply": EMPTY_TWIML,
    }


def _converse(
    session: Session, settings: Settings, locked: Locked, inbound: Inbound, now: datetime
) -> tuple[str, list[int]]:
    """Run the conversation on `inbound`; the TwiML reply, saved with the next state,
    and the typed addresses to look up once it has committed."""
    conversation = locked.conversation
    assert locked.message_id is not None
    found = looked_up(session, locked, inbound)
    user = found if found is not None and found.erased_at is None else None
    snapshot = load_snapshot(
        session, settings, conversation, user, inbound, now, locked.categories_version
    )
    outcome = handle(snapshot, inbound)
    locale = outcome.locale or snapshot.locale
    replies = outcome.replies
    user_id = user.id if user else None
    erased = False
    lookups: list[int] = []
    ticket_id = None
    if outcome.effects:
        citizen = Citizen(
            session=session,
            settings=settings,
            conversation_id=conversation.id,
            inbound=inbound,
            message_id=locked.message_id,
            user=orm_user(session, user),
            nobody_registered=nobody_has(locked, inbound, found),
            locale=locale,
            now=now,
        )
        replies = replies + run_effects(citizen, outcome.effects)
        locale, erased, lookups = citizen.locale, citizen.erased, citizen.lookups
        ticket_id = citizen.ticket_id
        user_id = citizen.user.id if citizen.user else None
    reply = twiml(reply_text([*replies, *outcome.closing], inbound.channel))
    state = None
    if not erased:
        state = next_state(
            outcome, locale=locale, channel=inbound.channel, settings=settings, now=now
        )
    save_reply(
        session,
        locked.message_id,
        reply,
        locale=locale,
        user_id=user_id,
        set_user=True,
        ticket_id=ticket_id,
        conversation_id=conversation.id,
        conversation=state,
    )
    return reply, lookups

"""Dropping report drafts nobody has touched for CONVERSATION_TIMEOUT_MINUTES.

The bot notices an expired draft by itself when the next message arrives; this
sweep (scheduled by beat) clears the drafts of citizens who never come back, so
no half-written report lingers. The citizen's next message hears that the draft
was dropped (the `expired` flag in the context) and gets the menu.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, update
from sqlalchemy.orm import Session

from core.config import Settings
from core.conversations.draft import CONTEXT_KEY, PAUSED_STATE_KEY
from core.models import Conversation

# The steps of a report in progress: a conversation in one of them holds a draft
# (stop_confirm: the citizen wrote DUR in the middle of one).
DRAFT_STATES = (
    "category",
    "category_confirm",
    "category_choice",
    "description",
    "question",
    "location",
    "address_lookup",
    "photo",
    "confirm",
    "duplicate_offer",
    "stop_confirm",
)


def expire_stale_drafts(session: Session, settings: Settings, now: datetime) -> int:
    """Drop every draft whose conversation expired before `now`; returns how many."""
    result = session.execute(
        update(Conversation)
        .where(Conversation.state.in_(DRAFT_STATES), Conversation.expires_at < now)
        .values(
            state="menu",
            context=Conversation.context.op("-")(CONTEXT_KEY)
            .op("-")(PAUSED_STATE_KEY)
            .op("||")(func.jsonb_build_object("expired", True)),
            expires_at=None,
            misses=0,
            version=Conversation.version + 1,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0

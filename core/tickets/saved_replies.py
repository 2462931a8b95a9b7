"""Saved replies: public answers support sends often, kept in Turkish and English so
each citizen gets the one in their language."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import Refused
from core.models import SavedReply, User
from core.tickets.comments import COMMENT_MAX
from core.tickets.opening import clean_text

TITLE_MAX = 80


def saved_replies(session: Session) -> list[SavedReply]:
    return list(
        session.scalars(
            select(SavedReply).where(SavedReply.is_active.is_(True)).order_by(SavedReply.title)
        )
    )


def add_saved_reply(
    session: Session, author: User, *, title: str, body_tr: str, body_en: str
) -> SavedReply:
    """Save a reply; both languages are required (a citizen gets theirs). Raises Refused."""
    if not author.is_staff:
        raise Refused("saved replies are for staff", field="title")
    cleaned = {
        "title": clean_text(title),
        "body_tr": clean_text(body_tr),
        "body_en": clean_text(body_en),
    }
    for field, text in cleaned.items():
        if not text:
            raise Refused("is empty", field=field)
    if len(cleaned["title"]) > TITLE_MAX:
        raise Refused(f"at most {TITLE_MAX} characters", field="title")
    for field in ("body_tr", "body_en"):
        if len(cleaned[field]) > COMMENT_MAX:
            raise Refused(f"at most {COMMENT_MAX} characters", field=field)
    reply = SavedReply(created_by_id=author.id, **cleaned)
    session.add(reply)
    session.flush()
    return reply

"""Saved replies: public answers support sends often, kept in Turkish and English so
each citizen gets the one in their language.

Every staff member may use and add them. Changing or removing one is its author's,
or any manager's (`saved_reply.manage_all`): a reply is shared, so support may not
rewrite what a colleague wrote, and managers look after the whole set. (The REST
API has no saved-reply endpoints; this is the only rule.)"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from core.errors import Forbidden, NotFound, Refused
from core.models import SavedReply, User
from core.people.permissions import role_can
from core.tickets.comments import COMMENT_MAX
from core.tickets.opening import clean_text

TITLE_MAX = 80


def saved_replies(session: Session) -> list[SavedReply]:
    return list(
        session.scalars(
            select(SavedReply).where(SavedReply.is_active.is_(True)).order_by(SavedReply.title)
        )
    )


def active_saved_reply(session: Session, reply_id: int, *, lock: bool = False) -> SavedReply:
    """A saved reply that has not been removed. Raises NotFound."""
    reply = session.get(SavedReply, reply_id, with_for_update=lock) if reply_id < 2**63 else None
    if reply is None or not reply.is_active:
        raise NotFound("no such saved reply")
    return reply


def may_change(user: User, reply: SavedReply) -> bool:
    return user.is_staff and (
        reply.created_by_id == user.id or role_can(user.role, "saved_reply.manage_all")
    )


def _cleaned(title: str, body_tr: str, body_en: str) -> dict[str, str]:
    """Both languages are required (a citizen gets theirs). Raises Refused."""
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
    return cleaned


def add_saved_reply(
    session: Session, author: User, *, title: str, body_tr: str, body_en: str
) -> SavedReply:
    """Save a reply. Raises Refused."""
    if not author.is_staff:
        raise Refused("saved replies are for staff", field="title")
    reply = SavedReply(created_by_id=author.id, **_cleaned(title, body_tr, body_en))
    session.add(reply)
    session.flush()
    return reply


def _check_may_change(editor: User, reply: SavedReply) -> None:
    if not may_change(editor, reply):
        raise Forbidden("only its author or a manager may change this saved reply")


def update_saved_reply(
    session: Session, editor: User, reply: SavedReply, *, title: str, body_tr: str, body_en: str
) -> SavedReply:
    """Rewrite a reply (the caller holds its row lock). Raises Forbidden or Refused."""
    _check_may_change(editor, reply)
    for field, text in _cleaned(title, body_tr, body_en).items():
        setattr(reply, field, text)
    session.flush()
    return reply


def remove_saved_reply(session: Session, editor: User, reply: SavedReply) -> None:
    """Take a reply off every list; comments already sent with it are their own text,
    so the row stays, inactive. Raises Forbidden."""
    _check_may_change(editor, reply)
    reply.is_active = False
    session.flush()

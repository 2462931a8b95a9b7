"""Carrying out what the conversation decided, in the database.

Each effect type has one function; some answer with a reply only the database can
give (the new ticket's number, a status). Nothing here commits, sends or fetches:
messages for later go through the outbox, media through the Celery task.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, or_, select, update
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from bot.inbound import Inbound
from bot.outcomes import (
    AddComment,
    AttachMediaToTicket,
    CreateTicket,
    Effect,
    Erase,
    FollowTicket,
    GiveFeedback,
    Register,
    SetLocale,
    SetOptOut,
    ShowStatus,
)
from bot.texts import status_name, t
from core.config import Settings
from core.messaging.notifications import ANSWERED_IN_CHAT
from core.models import (
    Category,
    Comment,
    Conversation,
    Feedback,
    Message,
    Photo,
    Ticket,
    TicketEvent,
    TicketFollower,
    User,
)
from core.models.tickets import MAX_TICKET_NUMBER
from core.people.users import erased_values
from core.tickets.contact import forget_contacts
from core.tickets.opening import TicketInputError, open_ticket
from core.tickets.workflow import TransitionError, apply_transition

STATUS_LIST_LENGTH = 3


@dataclass
class Citizen:
    """Who is writing, and the rows their message touches."""

    session: Session
    settings: Settings
    conversation_id: int
    inbound: Inbound
    # The inbound message's row (its reply, locale and citizen are saved after the effects).
    message_id: int
    user: User | None
    locale: str
    now: datetime
    erased: bool = False
    notes: list[str] = field(default_factory=list)


def run_effects(citizen: Citizen, effects: list[Effect]) -> list[str]:
    """Carry out `effects` in order; returns the replies they add."""
    replies = []
    for effect in effects:
        reply = EXECUTORS[type(effect)](citizen, effect)
        if reply:
            replies.append(reply)
    return replies


def answered_in_chat(session: Session, user: User, ticket: Ticket, kind: str) -> None:
    """The citizen hears this in the chat reply: don't also send the outbox copy.

    Matched in the database, not through `session.info["outbox"]`: a savepoint's
    release may already have handed that list on.
    """
    session.flush()
    session.execute(
        update(Message)
        .where(
            Message.direction == "outbound",
            Message.status == "pending",
            Message.user_id == user.id,
            Message.ticket_id == ticket.id,
            Message.kind == kind,
        )
        .values(status="skipped", error_message=ANSWERED_IN_CHAT)
        .execution_options(synchronize_session=False)
    )


def _own_ticket(citizen: Citizen, number: int, *, following: bool = False) -> Ticket | None:
    if citizen.user is None or not 0 < number <= MAX_TICKET_NUMBER:
        return None
    owned = Ticket.reporter_id == citizen.user.id
    if following:
        followed = select(TicketFollower.ticket_id).where(TicketFollower.user_id == citizen.user.id)
        owned = or_(owned, Ticket.id.in_(followed))
    return citizen.session.scalar(select(Ticket).where(Ticket.number == number, owned))


# --- registration and preferences --------------------------------------------------------


def register(citizen: Citizen, effect: Register) -> None:
    inbound = citizen.inbound
    session = citizen.session
    user = citizen.user
    if user is None:
        column = User.phone if inbound.is_phone else User.whatsapp_id
        user = session.scalar(select(User).where(column == inbound.address))
    if user is None:
        user = User(
            phone=inbound.address if inbound.is_phone else None,
            whatsapp_id=None if inbound.is_phone else inbound.address,
            role="citizen",
            locale=citizen.locale,
        )
        session.add(user)
    user.consent_at = citizen.now
    user.locale = citizen.locale
    if effect.full_name and not user.full_name:
        user.full_name = effect.full_name
    session.flush()
    # The reply's save links the conversation and the message to `citizen.user`.
    citizen.user = user


def set_locale(citizen: Citizen, effect: SetLocale) -> None:
    citizen.locale = effect.locale
    if citizen.user is not None:
        citizen.user.locale = effect.locale


def set_opt_out(citizen: Citizen, effect: SetOptOut) -> None:
    if citizen.user is not None:
        citizen.user.opted_out_at = citizen.now if effect.opted_out else None


def erase(citizen: Citizen, _effect: Erase) -> None:
    """Name and phone become an anonymous marker; conversation and message texts go."""
    session = citizen.session
    address = citizen.inbound.address
    user = citizen.user
    owner = Message.address == address
    if user is not None:
        owner = or_(owner, Message.user_id == user.id)
        for column, value in erased_values(citizen.now).items():
            setattr(user, column, value)
    session.flush()
    session.execute(
        update(Message)
        .where(owner)
        .values(body=None, address=None, media=[], content_variables=None)
        .execution_options(synchronize_session=False)
    )
    forget_contacts(session, [address])
    session.execute(delete(Conversation).where(Conversation.id == citizen.conversation_id))
    citizen.erased = True
    citizen.user = None


# --- reports ---------------------------------------------------------------------------


def create_ticket(citizen: Citizen, effect: CreateTicket) -> str:
    draft = effect.draft
    session = citizen.session
    category = session.get(Category, draft.get("category_id"))
    try:
        if category is None:
            raise TicketInputError("category", "this category is no longer in use")
        # open_ticket validates everything before it writes a row.
        ticket = open_ticket(
            session,
            citizen.settings,
            category=category,
            description=draft.get("description", ""),
            channel=citizen.inbound.channel,
            reporter=citizen.user,
            lat=draft.get("lat"),
            lon=draft.get("lon"),
            address=draft.get("address"),
            attributes=draft.get("answers") or {},
            source_details={"message_sid": citizen.inbound.sid},
            now=citizen.now,
            reported_in_chat=True,
        )
    except TicketInputError as exc:
        return t("create_failed", citizen.locale, reason=str(exc))
    _link_draft_media(session, ticket, draft)
    return t("created", citizen.locale, number=ticket.number)


def _link_draft_media(session: Session, ticket: Ticket, draft: dict[str, Any]) -> None:
    """Photos fetched during the draft join the ticket; ones still being fetched will
    find the ticket on their message."""
    photo_ids = draft.get("photo_ids") or []
    if photo_ids:
        session.execute(
            update(Photo)
            .where(Photo.id.in_(photo_ids), Photo.ticket_id.is_(None))
            .values(ticket_id=ticket.id)
            .execution_options(synchronize_session=False)
        )
    message_ids = [item["message_id"] for item in draft.get("media", [])]
    if message_ids:
        session.execute(
            update(Message)
            .where(Message.id.in_(message_ids))
            .values(ticket_id=ticket.id)
            .execution_options(synchronize_session=False)
        )


def follow_ticket(citizen: Citizen, effect: FollowTicket) -> str:
    session = citizen.session
    ticket = session.get(Ticket, effect.ticket_id)
    if ticket is None or citizen.user is None:
        return t("not_found", citizen.locale, number="?")
    if ticket.reporter_id != citizen.user.id:
        added = session.execute(
            insert(TicketFollower)
            .values(ticket_id=ticket.id, user_id=citizen.user.id)
            .on_conflict_do_nothing()
            .returning(TicketFollower.ticket_id)
        ).first()
        if added is not None:
            ticket.followers_count += 1
            session.add(
                TicketEvent(
                    ticket_id=ticket.id,
                    actor_id=citizen.user.id,
                    kind="follower_added",
                    data={"channel": citizen.inbound.channel},
                    created_at=citizen.now,
                )
            )
    return t("followed", citizen.locale, number=ticket.number)


def add_comment(citizen: Citizen, effect: AddComment) -> str:
    ticket = _own_ticket(citizen, effect.number)
    if ticket is None:
        return t("not_found", citizen.locale, number=effect.number)
    session = citizen.session
    session.add(
        Comment(
            ticket_id=ticket.id,
            author_id=citizen.user.id if citizen.user else None,
            body=effect.text,
            is_internal=False,
            created_at=citizen.now,
        )
    )
    session.add(
        TicketEvent(
            ticket_id=ticket.id,
            actor_id=citizen.user.id if citizen.user else None,
            kind="commented",
            data={"channel": citizen.inbound.channel, "public": True},
            created_at=citizen.now,
        )
    )
    return t("comment_added", citizen.locale, number=ticket.number)


def attach_media(citizen: Citizen, effect: AttachMediaToTicket) -> str:
    ticket = _own_ticket(citizen, effect.number)
    if ticket is None:
        return t("not_found", citizen.locale, number=effect.number)
    session = citizen.session
    session.execute(
        update(Message).where(Message.id == citizen.message_id).values(ticket_id=ticket.id)
    )
    return t("photo_for_ticket", citizen.locale, number=ticket.number)


def show_status(citizen: Citizen, effect: ShowStatus) -> str:
    locale = citizen.locale
    if effect.number is not None:
        ticket = _own_ticket(citizen, effect.number, following=True)
        if ticket is None:
            return t("not_found", locale, number=effect.number)
        tickets = [ticket]
    elif citizen.user is None:
        tickets = []
    else:
        tickets = list(
            citizen.session.scalars(
                select(Ticket)
                .where(Ticket.reporter_id == citizen.user.id)
                .order_by(Ticket.created_at.desc(), Ticket.id.desc())
                .limit(STATUS_LIST_LENGTH)
            )
        )
    if not tickets:
        return t("status_none", locale)
    return "\n".join(
        t(
            "status_line",
            locale,
            number=ticket.number,
            category=ticket.category.name(locale),
            status=status_name(ticket.status, locale),
        )
        for ticket in tickets
    )


def give_feedback(citizen: Citizen, effect: GiveFeedback) -> str:
    ticket = _own_ticket(citizen, effect.number)
    if ticket is None or citizen.user is None:
        return t("not_found", citizen.locale, number=effect.number)
    session = citizen.session
    feedback = session.scalar(select(Feedback).where(Feedback.ticket_id == ticket.id))
    if feedback is None:
        feedback = Feedback(ticket_id=ticket.id, user_id=citizen.user.id)
        session.add(feedback)
    if effect.rating is not None:
        feedback.rating = effect.rating
    if effect.fixed is not None:
        feedback.fixed = effect.fixed
    if effect.fixed is False and _within_reopen_window(citizen, ticket):
        try:
            apply_transition(
                session,
                ticket,
                "in_progress",
                actor=citizen.user,
                role="citizen",
                note="not fixed (chat)",
                now=citizen.now,
            )
        except TransitionError:
            return t("feedback_thanks", citizen.locale)
        answered_in_chat(session, citizen.user, ticket, "reopened")
        return t("feedback_reopened", citizen.locale, number=ticket.number)
    return t("feedback_thanks", citizen.locale)


def _within_reopen_window(citizen: Citizen, ticket: Ticket) -> bool:
    """Only a recently resolved ticket reopens (as through the API); older ones stay."""
    window = timedelta(days=citizen.settings.REOPEN_WINDOW_DAYS)
    return (
        ticket.status == "resolved"
        and ticket.resolved_at is not None
        and citizen.now - ticket.resolved_at <= window
    )


EXECUTORS: dict[type, Callable[[Citizen, Any], str | None]] = {
    Register: register,
    SetLocale: set_locale,
    SetOptOut: set_opt_out,
    Erase: erase,
    CreateTicket: create_ticket,
    FollowTicket: follow_ticket,
    AddComment: add_comment,
    AttachMediaToTicket: attach_media,
    ShowStatus: show_status,
    GiveFeedback: give_feedback,
}

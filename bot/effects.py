"""Carrying out what the conversation decided, in the database.

Each effect type has one function; some answer with a reply only the database can
give (the new ticket's number, a status). Nothing here commits, sends or fetches:
messages for later go through the outbox, media through the Celery task.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import ARRAY, BigInteger, Update, any_, bindparam, or_, select, update
from sqlalchemy.orm import Session

from bot.inbound import Inbound
from bot.outcomes import (
    AddComment,
    AddToOwnTicket,
    AttachMediaToTicket,
    CreateTicket,
    Effect,
    Erase,
    FollowTicket,
    GiveFeedback,
    LookUpAddress,
    Register,
    SetLocale,
    SetOptOut,
    ShowStatus,
)
from bot.refusals import refusal_reply
from bot.store import Compiled, compiled
from bot.texts import status_name, t
from core.config import Settings
from core.conversations.draft import Draft
from core.direct_rows import get_now, insert_now
from core.errors import DomainError, Refused
from core.models import (
    Category,
    Message,
    Ticket,
    TicketFollower,
    User,
)
from core.models.tickets import MAX_TICKET_NUMBER
from core.people.erasure import erase_citizens
from core.tickets import comments, feedback
from core.tickets.following import follow
from core.tickets.opening import open_ticket
from core.tickets.photos import attach_draft_photos

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
    # Typed addresses to look up after the commit (the inbound message ids).
    lookups: list[int] = field(default_factory=list)
    # The ticket the message acted on (commented, rated, asked after, ...): saved on the
    # inbound message with the reply, so the message is in that ticket's thread.
    ticket_id: int | None = None
    # Nobody had the sender's address when the message came in (bot.store.nobody_has).
    nobody_registered: bool = False


def run_effects(citizen: Citizen, effects: list[Effect]) -> list[str]:
    """Carry out `effects` in order; returns the replies they add."""
    replies = []
    for effect in effects:
        reply = EXECUTORS[type(effect)](citizen, effect)
        if reply:
            replies.append(reply)
    return replies


def _own_ticket(
    citizen: Citizen, number: int, *, following: bool = False, lock: bool = False
) -> Ticket | None:
    if citizen.user is None or not 0 < number <= MAX_TICKET_NUMBER:
        return None
    owned = Ticket.reporter_id == citizen.user.id
    if following:
        followed = select(TicketFollower.ticket_id).where(TicketFollower.user_id == citizen.user.id)
        owned = or_(owned, Ticket.id.in_(followed))
    query = select(Ticket).where(Ticket.number == number, owned)
    return citizen.session.scalar(query.with_for_update() if lock else query)


# --- registration and preferences --------------------------------------------------------


def register(citizen: Citizen, effect: Register) -> None:
    inbound = citizen.inbound
    session = citizen.session
    user = citizen.user
    if user is None and not citizen.nobody_registered:
        column = User.phone if inbound.is_phone else User.whatsapp_id
        user = session.scalar(select(User).where(column == inbound.address))
    if user is None:
        user = User(
            phone=inbound.address if inbound.is_phone else None,
            whatsapp_id=None if inbound.is_phone else inbound.address,
            full_name=effect.full_name or None,
            role="citizen",
            locale=citizen.locale,
            consent_at=citizen.now,
        )
        # Written at once (core.direct_rows): the reply's save needs its id.
        insert_now(session, user)
    else:
        user.consent_at = citizen.now
        user.locale = citizen.locale
        if effect.full_name and not user.full_name:
            user.full_name = effect.full_name
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
    user = citizen.user
    erase_citizens(
        citizen.session, [user.id] if user else [], citizen.now, addresses=[citizen.inbound.address]
    )
    citizen.erased = True
    citizen.user = None


# --- reports ---------------------------------------------------------------------------


def create_ticket(citizen: Citizen, effect: CreateTicket) -> str:
    draft = effect.draft
    session = citizen.session
    category = get_now(session, Category, draft.category_id) if draft.category_id else None
    try:
        if category is None:
            raise Refused("this category is no longer in use", field="category_id")
        # open_ticket validates everything before it writes a row.
        ticket = open_ticket(
            session,
            citizen.settings,
            category=category,
            description=draft.description or "",
            channel=citizen.inbound.channel,
            reporter=citizen.user,
            lat=draft.lat,
            lon=draft.lon,
            location_approximate=draft.location_approximate,
            address=draft.address,
            attributes=draft.answers,
            source_details={"message_sid": citizen.inbound.sid},
            now=citizen.now,
            reported_in_chat=True,
        )
    except Refused as exc:
        return t("create_failed", citizen.locale, reason=exc.message)
    _link_draft(citizen, ticket, draft)
    return t("created", citizen.locale, number=ticket.number)


def _link_draft(citizen: Citizen, ticket: Ticket, draft: Draft) -> None:
    """The report's messages join `ticket`'s thread, and so do its photos: fetched ones
    join the ticket, ones still being fetched will find the ticket on their message
    (staff-only on a ticket she did not report)."""
    session = citizen.session
    citizen.ticket_id = ticket.id
    attach_draft_photos(session, ticket, list(draft.photo_ids), citizen.user)
    params: dict[str, Any] = {
        "the_ticket": ticket.id,
        "media_ids": [item.message_id for item in draft.media],
    }
    if draft.opened_by is not None:
        params.update(
            opened_by=draft.opened_by,
            this_message=citizen.message_id,
            sender=citizen.inbound.address,
        )
    _link_sql(draft.opened_by is not None).run(session, params)


@lru_cache(maxsize=2)
def _link_sql(since_opened: bool) -> Compiled:
    """Compiled once per process and run on the request's connection (bot.store's
    `Compiled`): composing it, and SQLAlchemy's execute, cost more CPU than running it."""
    names = ("the_ticket", "media_ids", "opened_by", "this_message", "sender")
    return compiled(_link_statement(since_opened), *names)


def _link_statement(since_opened: bool) -> Update:
    # An array parameter rather than an expanding IN list: the SQL stays the same
    # whatever the number of photos, so it compiles (and prepares) once.
    of_the_report = Message.id == any_(bindparam("media_ids", type_=ARRAY(BigInteger)))
    if since_opened:
        # What she wrote while making the report (not what she wrote about another
        # ticket meanwhile, say "#1001 ..."): this conversation's inbound messages since.
        of_the_report = or_(
            of_the_report,
            (Message.id >= bindparam("opened_by"))
            & (Message.id < bindparam("this_message"))
            & (Message.direction == "inbound")
            & (Message.address == bindparam("sender"))
            & Message.ticket_id.is_(None),
        )
    # Column names are reserved for the SET clause: the parameters are named apart.
    return update(Message.__table__).where(of_the_report).values(ticket_id=bindparam("the_ticket"))


def follow_ticket(citizen: Citizen, effect: FollowTicket) -> str:
    session = citizen.session
    ticket = session.get(Ticket, effect.ticket_id, with_for_update=True)
    if ticket is None or citizen.user is None:
        return t("not_found", citizen.locale, number="?")
    citizen.ticket_id = ticket.id
    try:
        follow(session, ticket, citizen.user, channel=citizen.inbound.channel, now=citizen.now)
    except DomainError as exc:
        return refusal_reply(exc, citizen.locale, number=ticket.number)
    if effect.draft is not None:
        # Her report stays with the ticket for staff only: no citizen learns who she is.
        _keep_report(citizen, ticket, effect.draft, internal=True)
    return t("followed", citizen.locale, number=ticket.number)


def add_to_own_ticket(citizen: Citizen, effect: AddToOwnTicket) -> str:
    """The report she was writing goes onto her own open ticket nearby, as her comment."""
    ticket = citizen.session.get(Ticket, effect.ticket_id)
    if ticket is None or citizen.user is None or ticket.reporter_id != citizen.user.id:
        return t("not_found", citizen.locale, number="?")
    _keep_report(citizen, ticket, effect.draft, internal=False)
    return t("added_to_own", citizen.locale, number=ticket.number)


def _keep_report(citizen: Citizen, ticket: Ticket, draft: Draft, *, internal: bool) -> None:
    """Her description (her comment on her own ticket, a note for staff on another's)
    and her photos (staff-only on another's) join `ticket`."""
    user = citizen.user
    assert user is not None
    if draft.description:
        # The draft's description already passed the description's rules.
        keep = comments.add_followers_report if internal else comments.add_comment
        keep(
            citizen.session, ticket, user, draft.description,
            channel=citizen.inbound.channel, now=citizen.now,
        )  # fmt: skip
    _link_draft(citizen, ticket, draft)


def look_up_address(citizen: Citizen, effect: LookUpAddress) -> None:
    """Handed to Celery once the reply has committed (bot/webhook.py)."""
    citizen.lookups.append(effect.message_id)


def add_comment(citizen: Citizen, effect: AddComment) -> str:
    ticket = _own_ticket(citizen, effect.number)
    if ticket is None or citizen.user is None:
        return t("not_found", citizen.locale, number=effect.number)
    citizen.ticket_id = ticket.id
    try:
        comments.add_comment(
            citizen.session, ticket, citizen.user, effect.text,
            channel=citizen.inbound.channel, now=citizen.now,
        )  # fmt: skip
    except DomainError as exc:
        return refusal_reply(exc, citizen.locale, number=ticket.number)
    return t("comment_added", citizen.locale, number=ticket.number)


def attach_media(citizen: Citizen, effect: AttachMediaToTicket) -> str:
    ticket = _own_ticket(citizen, effect.number)
    if ticket is None:
        return t("not_found", citizen.locale, number=effect.number)
    # The media task finds the ticket on the message.
    citizen.ticket_id = ticket.id
    return t("photo_for_ticket", citizen.locale, number=ticket.number)


def show_status(citizen: Citizen, effect: ShowStatus) -> str:
    locale = citizen.locale
    if effect.number is not None:
        ticket = _own_ticket(citizen, effect.number, following=True)
        if ticket is None:
            return t("not_found", locale, number=effect.number)
        citizen.ticket_id = ticket.id
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
    ticket = _own_ticket(citizen, effect.number, lock=True)
    if ticket is None or citizen.user is None:
        return t("not_found", citizen.locale, number=effect.number)
    citizen.ticket_id = ticket.id
    try:
        given = feedback.give_feedback(
            citizen.session, citizen.settings, ticket, citizen.user,
            rating=effect.rating, fixed=effect.fixed, answered_in_chat=True, now=citizen.now,
        )  # fmt: skip
    except DomainError as exc:
        return refusal_reply(exc, citizen.locale, number=ticket.number)
    if given.reopened:
        return t("feedback_reopened", citizen.locale, number=ticket.number)
    return t("feedback_thanks", citizen.locale)


EXECUTORS: dict[type, Callable[[Citizen, Any], str | None]] = {
    Register: register,
    SetLocale: set_locale,
    SetOptOut: set_opt_out,
    Erase: erase,
    CreateTicket: create_ticket,
    FollowTicket: follow_ticket,
    AddToOwnTicket: add_to_own_ticket,
    LookUpAddress: look_up_address,
    AddComment: add_comment,
    AttachMediaToTicket: attach_media,
    ShowStatus: show_status,
    GiveFeedback: give_feedback,
}

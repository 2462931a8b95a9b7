"""The conversation row: locking it, reading a Snapshot for the handlers, saving
the Outcome back. The lock (SELECT … FOR UPDATE, held until the request commits) is
what keeps two messages from one phone from interleaving."""

from __future__ import annotations

import copy
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session

from bot import keywords as kw
from bot.inbound import Inbound
from bot.outcomes import CategoryChoice, NearbyTicket, Outcome, Snapshot
from core.config import Settings
from core.conversation_expiry import DRAFT_STATES
from core.geo import nearby_open_tickets
from core.models import Category, Conversation, Feedback, Ticket, User
from core.phones import region_of


def lock_conversation(session: Session, settings: Settings, inbound: Inbound) -> Conversation:
    """The citizen's conversation, created when new, locked for this transaction.

    One statement: the upsert's DO UPDATE takes the row lock a concurrent message
    from the same phone then waits on, exactly like SELECT … FOR UPDATE.
    """
    new = insert(Conversation).values(
        address=inbound.address, locale=settings.DEFAULT_LOCALE, channel=inbound.channel
    )
    upsert = new.on_conflict_do_update(
        index_elements=["address"], set_={"address": new.excluded.address}
    ).returning(Conversation)
    return session.scalars(upsert, execution_options={"populate_existing": True}).one()


def citizen_of(session: Session, conversation: Conversation, inbound: Inbound) -> User | None:
    """The registered user behind the conversation (linking one found by phone)."""
    user = session.get(User, conversation.user_id) if conversation.user_id else None
    if user is None and inbound.is_phone:
        user = session.scalar(select(User).where(User.phone == inbound.address))
    if user is None or user.erased_at is not None:
        return None
    conversation.user_id = user.id
    return user


def load_snapshot(
    session: Session,
    settings: Settings,
    conversation: Conversation,
    user: User | None,
    inbound: Inbound,
    now: datetime,
) -> Snapshot:
    context = copy.deepcopy(conversation.context or {})
    registered = user is not None and user.consent_at is not None
    state = conversation.state
    snapshot = Snapshot(
        state=state,
        context=context,
        locale=conversation.locale,
        now=now,
        misses=conversation.misses,
        registered=registered,
        opted_out=bool(context.get("opted_out") or (user and user.opted_out_at)),
        country_allowed=_country_allowed(settings, inbound),
        allowed_countries=settings.ALLOWED_COUNTRIES,
        service_area=settings.SERVICE_AREA_BBOX,
        retention_days=settings.RETENTION_DAYS,
        timeout_minutes=settings.CONVERSATION_TIMEOUT_MINUTES,
        draft_expired=bool(
            state in DRAFT_STATES
            and conversation.expires_at is not None
            and conversation.expires_at < now
        ),
    )
    if not registered:
        return snapshot
    snapshot = _with_categories(session, snapshot)
    if state == "confirm":
        snapshot = _with_nearby(session, settings, snapshot)
    if state == "menu" or kw.fixed_answer(inbound.text) is not None:
        snapshot = _with_resolved(session, snapshot, user)  # type: ignore[arg-type]
    return snapshot


def _country_allowed(settings: Settings, inbound: Inbound) -> bool:
    # A WhatsApp user id has no country; numbers must be from a served country.
    return not inbound.is_phone or region_of(inbound.address) in settings.ALLOWED_COUNTRIES


def _with_categories(session: Session, snapshot: Snapshot) -> Snapshot:
    rows = session.execute(
        select(Category.id, Category.code, Category.name_tr, Category.name_en, Category.questions)
        .where(Category.is_active.is_(True))
        .order_by(Category.sort_order, Category.id)
    )
    categories = tuple(
        CategoryChoice(id, code, name_tr, name_en, tuple(questions or ()))
        for id, code, name_tr, name_en, questions in rows
    )
    return replace(snapshot, categories=categories)


def _with_nearby(session: Session, settings: Settings, snapshot: Snapshot) -> Snapshot:
    draft = snapshot.draft
    if draft.get("lat") is None or draft.get("category_id") is None:
        return snapshot
    found = nearby_open_tickets(
        session,
        draft["lat"],
        draft["lon"],
        settings.DUPLICATE_RADIUS_M,
        category_id=draft["category_id"],
        limit=1,
    )
    nearby = tuple(NearbyTicket(t.id, t.number, metres, t.created_at) for t, metres in found)
    return replace(snapshot, nearby=nearby)


def _with_resolved(session: Session, snapshot: Snapshot, user: User) -> Snapshot:
    row = session.execute(
        select(Ticket.number, Feedback.rating)
        .outerjoin(Feedback, Feedback.ticket_id == Ticket.id)
        .where(Ticket.reporter_id == user.id, Ticket.status == "resolved")
        .order_by(Ticket.resolved_at.desc().nulls_last(), Ticket.id.desc())
        .limit(1)
    ).first()
    if row is None:
        return snapshot
    number, rating = row
    return replace(snapshot, reopenable=number, feedback_due=number if rating is None else None)


def save_outcome(
    conversation: Conversation,
    outcome: Outcome,
    *,
    locale: str,
    channel: str,
    settings: Settings,
    now: datetime,
) -> None:
    conversation.state = outcome.next_state
    conversation.context = outcome.context
    conversation.misses = outcome.misses
    conversation.locale = locale
    conversation.channel = channel
    conversation.last_inbound_at = now
    conversation.version = (conversation.version or 0) + 1
    conversation.expires_at = (
        now + timedelta(minutes=settings.CONVERSATION_TIMEOUT_MINUTES)
        if outcome.next_state in DRAFT_STATES
        else None
    )

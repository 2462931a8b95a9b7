"""The conversation row: locking it, reading a Snapshot for the handlers, saving
the Outcome back. The lock (SELECT … FOR UPDATE, held until the request commits) is
what keeps two messages from one phone from interleaving.

Hot path: one inbound message is one webhook request, so the lock, the inbound
message's insert and the check of the category list share one round trip.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import (
    CTE,
    ColumnElement,
    Select,
    Table,
    Update,
    and_,
    bindparam,
    literal_column,
    or_,
    select,
    true,
    update,
)
from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.orm import Session, aliased

from bot import keywords as kw
from bot.inbound import Inbound
from bot.outcomes import CategoryChoice, NearbyTicket, Outcome, Snapshot
from core.config import Settings
from core.conversation_expiry import DRAFT_STATES
from core.geo import nearby_open_tickets
from core.models import Category, Conversation, Feedback, Message, Ticket, User
from core.phones import region_of

# A fingerprint of the active categories (every column of every row): the list is
# read again only when it changed, so the cache below is never stale.
_CATEGORIES_VERSION = literal_column(
    "(SELECT md5(string_agg(c::text, ',' ORDER BY c.id)) FROM categories c WHERE c.is_active)"
).label("categories_version")
_CATEGORY_CACHE: dict[str, tuple[CategoryChoice, ...]] = {}
_CATEGORY_CACHE_SIZE = 8


@dataclass(frozen=True)
class Locked:
    conversation: Conversation
    # The inbound message just stored; None when its MessageSid was stored before.
    message: Message | None
    categories_version: str | None
    # The conversation's user, read in the same statement when that read can be
    # trusted (see `_lock_statement`); otherwise None and `citizen_of` reads it.
    user: User | None = None
    user_read: bool = False


def lock_conversation(
    session: Session, settings: Settings, inbound: Inbound, message: dict[str, Any]
) -> Locked:
    """The citizen's conversation, created when new and locked for this transaction,
    with the inbound `message` (column values) inserted unless its MessageSid exists.

    One statement: the upsert's DO UPDATE takes the row lock a concurrent message
    from the same phone then waits on, exactly like SELECT … FOR UPDATE. The message
    insert runs after it (it reads the locked row) and its ON CONFLICT consults the
    unique index, which sees a copy committed while this one waited for the lock.
    """
    conversation = _with_defaults(
        Conversation.__table__,
        {
            "address": inbound.address,
            "locale": settings.DEFAULT_LOCALE,
            "channel": inbound.channel,
        },
    )
    message = _with_defaults(Message.__table__, message, skip=("user_id", "locale"))
    params = {f"c_{name}": value for name, value in conversation.items()}
    params.update({f"m_{name}": value for name, value in message.items()})
    params["phone"] = inbound.address if inbound.is_phone else None
    statement = _lock_statement(tuple(conversation), tuple(message))
    row = session.execute(statement, params, execution_options={"populate_existing": True}).one()
    return Locked(row[0], row[1], row[2], row[3], bool(row[4]))


def _user_of(conversation: CTE) -> ColumnElement[bool]:
    # The linked user; before there is one, the user with this phone (citizen_of).
    by_phone = and_(conversation.c.user_id.is_(None), User.phone == bindparam("phone"))
    return or_(User.id == conversation.c.user_id, by_phone)


@lru_cache(maxsize=8)
def _lock_statement(
    conversation_columns: tuple[str, ...], message_columns: tuple[str, ...]
) -> Select:
    """Built once per process: composing a statement with two CTEs costs more CPU
    than running it; only the parameters change from message to message."""
    table = Conversation.__table__
    new = insert(table).values(
        {name: bindparam(f"c_{name}", type_=table.c[name].type) for name in conversation_columns}
    )
    conversation = (
        new.on_conflict_do_update(
            index_elements=["address"], set_={"address": new.excluded.address}
        )
        .returning(*table.c)
        .cte("locked_conversation")
    )
    columns = Message.__table__.c
    values = [bindparam(f"m_{name}", type_=columns[name].type) for name in message_columns]
    stored = (
        insert(Message.__table__)
        .from_select(
            [*message_columns, "user_id", "locale"],
            select(*values, conversation.c.user_id, conversation.c.locale),
        )
        .on_conflict_do_nothing(index_elements=["twilio_sid"])
        .returning(*columns)
        .cte("stored_message")
    )
    # The statement's snapshot is taken before it waits for the lock, so its reads
    # may predate a message of this phone committed meanwhile. Every such message
    # raises `version` (or deletes the row): when the snapshot already holds the
    # locked row at its current version, nothing of this conversation changed in
    # between and the user read along is current; otherwise (and for a new
    # conversation) the user is not read here. The category fingerprint may be as old
    # as that wait (milliseconds), like any read racing an admin's change.
    current = (
        select(table.c.id)
        .where(table.c.id == conversation.c.id, table.c.version == conversation.c.version)
        .exists()
        .label("user_read")
    )
    return (
        select(
            aliased(Conversation, conversation),
            aliased(Message, stored),
            _CATEGORIES_VERSION,
            User,
            current,
        )
        .select_from(conversation)
        .outerjoin(stored, true())
        .outerjoin(User, and_(current, _user_of(conversation)))
    )


def _with_defaults(
    table: Table, values: dict[str, Any], skip: tuple[str, ...] = ()
) -> dict[str, Any]:
    """`values` plus the model's Python-side defaults: SQLAlchemy leaves those empty
    in an INSERT inside a WITH clause, so they are passed explicitly."""
    values = dict(values)
    for column in table.c:
        default = column.default
        if column.name in values or column.name in skip or default is None:
            continue
        if default.is_scalar:
            values[column.name] = default.arg
        elif default.is_callable:
            values[column.name] = default.arg(None)
    return values


def citizen_of(session: Session, locked: Locked, inbound: Inbound) -> User | None:
    """The registered user behind the conversation (linking one found by phone)."""
    conversation = locked.conversation
    user = locked.user
    if not locked.user_read:
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
    categories_version: str | None = None,
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
    snapshot = replace(snapshot, categories=_categories(session, categories_version))
    if state == "confirm":
        snapshot = _with_nearby(session, settings, snapshot)
    if state == "menu" or kw.fixed_answer(inbound.text) is not None:
        snapshot = _with_resolved(session, snapshot, user)  # type: ignore[arg-type]
    return snapshot


def _country_allowed(settings: Settings, inbound: Inbound) -> bool:
    # A WhatsApp user id has no country; numbers must be from a served country.
    return not inbound.is_phone or region_of(inbound.address) in settings.ALLOWED_COUNTRIES


def _categories(session: Session, version: str | None) -> tuple[CategoryChoice, ...]:
    """The active categories in menu order, read from the database only when their
    fingerprint is one this process has not seen (None: there are none)."""
    if version is None:
        return ()
    cached = _CATEGORY_CACHE.get(version)
    if cached is not None:
        return cached
    rows = session.execute(
        select(Category.id, Category.code, Category.name_tr, Category.name_en, Category.questions)
        .where(Category.is_active.is_(True))
        .order_by(Category.sort_order, Category.id)
    )
    categories = tuple(
        CategoryChoice(id, code, name_tr, name_en, tuple(questions or ()))
        for id, code, name_tr, name_en, questions in rows
    )
    if len(_CATEGORY_CACHE) >= _CATEGORY_CACHE_SIZE:
        _CATEGORY_CACHE.clear()
    _CATEGORY_CACHE[version] = categories
    return categories


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


# What `next_state` sets, besides `version` (one up) and `updated_at`.
STATE_COLUMNS = ("state", "context", "misses", "locale", "channel", "last_inbound_at", "expires_at")


def next_state(
    outcome: Outcome, *, locale: str, channel: str, settings: Settings, now: datetime
) -> dict[str, Any]:
    """The conversation's columns after `outcome` (written by `save_reply`)."""
    return {
        "state": outcome.next_state,
        "context": outcome.context,
        "misses": outcome.misses,
        "locale": locale,
        "channel": channel,
        "last_inbound_at": now,
        "expires_at": (
            now + timedelta(minutes=settings.CONVERSATION_TIMEOUT_MINUTES)
            if outcome.next_state in DRAFT_STATES
            else None
        ),
    }


def save_reply(
    session: Session,
    message_id: int,
    reply: str,
    *,
    locale: str,
    conversation_id: int | None = None,
    conversation: dict[str, Any] | None = None,
) -> None:
    """The reply (and locale) on the inbound message and, when given, the conversation's
    `next_state` columns: one statement, one round trip.

    Core, not the unit of work: the ORM objects are not used after this.
    """
    session.flush()  # what the effects changed through the ORM goes first
    params = {"message_id": message_id, "reply": reply, "message_locale": locale}
    if conversation is None:
        session.execute(_reply_statement(), params)
        return
    params.update({f"s_{name}": value for name, value in conversation.items()})
    params["conversation_id"] = conversation_id
    session.execute(_save_statement(), params)


@lru_cache(maxsize=1)
def _reply_statement() -> Update:
    messages = Message.__table__
    return (
        update(messages)
        .where(messages.c.id == bindparam("message_id"))
        .values(reply=bindparam("reply"), locale=bindparam("message_locale"))
    )


@lru_cache(maxsize=1)
def _save_statement() -> Update:
    """The reply's UPDATE with the conversation's in a WITH clause (PostgreSQL runs a
    data-modifying WITH whether or not the main statement reads it)."""
    table = Conversation.__table__
    values = {name: bindparam(f"s_{name}", type_=table.c[name].type) for name in STATE_COLUMNS}
    conversation = (
        update(table)
        .where(table.c.id == bindparam("conversation_id"))
        .values(**values, version=table.c.version + 1)
        .cte("saved_conversation")
    )
    return _reply_statement().add_cte(conversation)

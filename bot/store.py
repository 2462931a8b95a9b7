"""The conversation row: locking it, reading a Snapshot for the handlers, saving
the Outcome back. The lock (the upsert's row lock, held until the request commits) is
what keeps two messages from one phone from interleaving.

Hot path: one inbound message is one webhook request, and most messages only move
the conversation along. So the lock, the inbound message's insert, the check of the
category list and the read of the user share one round trip, and the reply with the
next state another; both are plain SQL on the request's own connection (inside the
session's transaction), returning only the columns the engine reads. The ORM user
is loaded only for a message whose outcome has effects (`orm_user`).
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from psycopg.types.json import Jsonb
from sqlalchemy import Executable, Float, Integer, Select, bindparam, select
from sqlalchemy.dialects.postgresql.psycopg import dialect as psycopg_dialect
from sqlalchemy.orm import Session

from bot.answers import fixed_answer
from bot.inbound import Inbound
from bot.outcomes import CategoryChoice, NearbyTicket, Outcome, Snapshot
from core.config import Settings
from core.conversations.expiry import DRAFT_STATES
from core.db import driver_connection
from core.direct_rows import get_now
from core.geo import nearby_open_query
from core.models import Category, Feedback, Ticket, User
from core.people.phones import region_of

_CATEGORY_CACHE: dict[str, tuple[CategoryChoice, ...]] = {}
_CATEGORY_CACHE_SIZE = 8


@dataclass(frozen=True)
class ConversationRow:
    """What the engine reads of the locked conversation (names as on the model)."""

    id: int
    user_id: int | None
    state: str
    context: dict[str, Any]
    version: int
    locale: str
    misses: int
    expires_at: datetime | None


@dataclass(frozen=True)
class UserRow:
    """What the engine reads of the citizen (names as on the model)."""

    id: int
    consent_at: datetime | None
    opted_out_at: datetime | None
    erased_at: datetime | None


@dataclass(frozen=True)
class Locked:
    conversation: ConversationRow
    # The inbound message just stored; None when its MessageSid was stored before.
    message_id: int | None
    # A fingerprint of the active categories (every column of every row): the list
    # is read again only when it changed, so the cache below is never stale.
    categories_version: str | None
    # The conversation's user, read in the same statement when that read can be
    # trusted (see `_LOCK`); otherwise None and `citizen_of` reads it.
    user: UserRow | None = None
    user_read: bool = False
    # The conversation row was created by this statement.
    created: bool = False


# The upsert's DO UPDATE takes the row lock a concurrent message from the same phone
# then waits on, exactly like SELECT … FOR UPDATE. The message insert runs after it
# (it reads the locked row) and its ON CONFLICT consults the unique index, which sees
# a copy committed while this one waited for the lock.
#
# The statement's snapshot is taken before it waits for the lock, so its reads may
# predate a message of this phone committed meanwhile. Every such message raises
# `version` (or deletes the row): when the snapshot already holds the locked row at
# its current version, nothing of this conversation changed in between and the user
# read along is current; otherwise (and for a new conversation) the user is not read
# here. The category fingerprint may be as old as that wait (milliseconds), like any
# read racing an admin's change.
_LOCK = """
WITH locked AS (
    INSERT INTO conversations (address, locale, channel)
    VALUES (%(address)s, %(locale)s, %(channel)s)
    ON CONFLICT (address) DO UPDATE SET address = excluded.address
    RETURNING id, user_id, state, context, version, locale, misses, expires_at,
        xmax = 0 AS created
), stored AS (
    INSERT INTO messages (twilio_sid, direction, channel, address, kind, body, media,
                          status, reply, user_id, locale)
    SELECT %(sid)s, 'inbound', %(channel)s, %(address)s, 'chat', %(body)s, %(media)s,
           'received', %(reply)s, l.user_id, l.locale
    FROM locked l
    ON CONFLICT (twilio_sid) DO NOTHING
    RETURNING id
), current AS (
    SELECT EXISTS (
        SELECT FROM conversations c, locked l WHERE c.id = l.id AND c.version = l.version
    ) AS user_read
)
SELECT l.id, l.user_id, l.state, l.context, l.version, l.locale, l.misses, l.expires_at,
    (SELECT id FROM stored),
    (SELECT md5(string_agg(c::text, ',' ORDER BY c.id)) FROM categories c WHERE c.is_active),
    current.user_read, l.created, u.id, u.consent_at, u.opted_out_at, u.erased_at
FROM locked l CROSS JOIN current
LEFT JOIN users u ON current.user_read
    AND (u.id = l.user_id OR (l.user_id IS NULL AND u.phone = %(phone)s))
"""


_USER_BY_ID = "SELECT id, consent_at, opted_out_at, erased_at FROM users WHERE id = %s"
_USER_BY_PHONE = "SELECT id, consent_at, opted_out_at, erased_at FROM users WHERE phone = %s"


def lock_conversation(
    session: Session, settings: Settings, inbound: Inbound, message: dict[str, Any]
) -> Locked:
    """The citizen's conversation, created when new and locked for this transaction,
    with the inbound message (`message`: sid, body, media, reply) inserted unless its
    MessageSid exists."""
    params = {
        "address": inbound.address,
        "locale": settings.DEFAULT_LOCALE,
        "channel": inbound.channel,
        "sid": message["twilio_sid"],
        "body": message["body"],
        "media": Jsonb(message["media"]),
        "reply": message["reply"],
        "phone": inbound.address if inbound.is_phone else None,
    }
    with driver_connection(session).cursor() as cursor:
        row = cursor.execute(_LOCK, params, prepare=True).fetchone()
    assert row is not None  # the upsert always returns the conversation
    user = UserRow(*row[12:]) if row[12] is not None else None
    return Locked(ConversationRow(*row[:8]), row[8], row[9], user, bool(row[10]), row[11])


def drop_conversation(session: Session, conversation_id: int) -> None:
    with driver_connection(session).cursor() as cursor:
        cursor.execute("DELETE FROM conversations WHERE id = %s", (conversation_id,))


def citizen_of(session: Session, locked: Locked, inbound: Inbound) -> UserRow | None:
    """The registered user behind the conversation (or the user with its phone, not
    linked yet: the reply's save links them)."""
    user = looked_up(session, locked, inbound)
    if user is None or user.erased_at is not None:
        return None
    return user


def looked_up(session: Session, locked: Locked, inbound: Inbound) -> UserRow | None:
    """The user row behind the conversation, erased or not: by the conversation's
    user_id, else by the phone number (None for a WhatsApp id with no user linked)."""
    if locked.user_read:
        return locked.user
    return _read_user(session, locked.conversation.user_id, inbound)


def nobody_has(locked: Locked, inbound: Inbound, found: UserRow | None) -> bool:
    """`looked_up` searched by the sender's phone number and found no one: no user
    has this address (registration need not search again)."""
    return found is None and locked.conversation.user_id is None and inbound.is_phone


def _read_user(session: Session, user_id: int | None, inbound: Inbound) -> UserRow | None:
    if user_id is not None:
        sql, key = _USER_BY_ID, user_id
    elif inbound.is_phone:
        sql, key = _USER_BY_PHONE, inbound.address
    else:
        return None
    with driver_connection(session).cursor() as cursor:
        row = cursor.execute(sql, (key,)).fetchone()
    return UserRow(*row) if row else None


def orm_user(session: Session, user: UserRow | None) -> User | None:
    """The citizen as an ORM object, for effects that work through the ORM."""
    return get_now(session, User, user.id) if user is not None else None


def load_snapshot(
    session: Session,
    settings: Settings,
    conversation: ConversationRow,
    user: UserRow | None,
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
        channel=inbound.channel,
        misses=conversation.misses,
        registered=registered,
        opted_out=bool(context.get("opted_out") or (user and user.opted_out_at)),
        country_allowed=_country_allowed(settings, inbound),
        allowed_countries=settings.ALLOWED_COUNTRIES,
        service_area=settings.SERVICE_AREA_BBOX,
        city_timezone=settings.CITY_TIMEZONE,
        geocoder=bool(settings.GEOCODER_URL),
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
        snapshot = _with_nearby(session, settings, snapshot, user)  # type: ignore[arg-type]
    if state == "menu" or fixed_answer(inbound.text) is not None:
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
        select(
            Category.id,
            Category.code,
            Category.name_tr,
            Category.name_en,
            Category.questions,
            Category.everyday_words,
        )
        .where(Category.is_active.is_(True))
        .order_by(Category.sort_order, Category.id)
    )
    categories = tuple(
        CategoryChoice(
            id,
            code,
            name_tr,
            name_en,
            tuple(questions or ()),
            tuple((words or {}).get("tr", ())),
            tuple((words or {}).get("en", ())),
        )
        for id, code, name_tr, name_en, questions, words in rows
    )
    if len(_CATEGORY_CACHE) >= _CATEGORY_CACHE_SIZE:
        _CATEGORY_CACHE.clear()
    _CATEGORY_CACHE[version] = categories
    return categories


# Built once per process (composing them costs more CPU than running them); only the
# parameters change from message to message.
@lru_cache(maxsize=1)
def _nearby_statement() -> Select[Any]:
    return nearby_open_query(
        Ticket.id,
        Ticket.number,
        Ticket.created_at,
        Ticket.reporter_id,
        lat=bindparam("lat", type_=Float),
        lon=bindparam("lon", type_=Float),
        radius_m=bindparam("radius_m", type_=Float),
        category_id=bindparam("category_id", type_=Integer),
    ).limit(1)


@lru_cache(maxsize=1)
def _resolved_statement() -> Select[Any]:
    return (
        select(Ticket.number, Feedback.rating)
        .outerjoin(Feedback, Feedback.ticket_id == Ticket.id)
        .where(Ticket.reporter_id == bindparam("user_id"), Ticket.status == "resolved")
        .order_by(Ticket.resolved_at.desc().nulls_last(), Ticket.id.desc())
        .limit(1)
    )


@dataclass(frozen=True)
class Compiled:
    """A statement compiled once per process to the driver's SQL, run on the request's
    connection like `_LOCK`: the ORM's execute (cache key, result set-up) costs more
    CPU than the query itself for these one-row reads."""

    sql: str
    # The values fixed at build time (the open statuses, ...); the caller's win.
    constants: dict[str, Any]

    def first(self, session: Session, params: dict[str, Any]) -> tuple[Any, ...] | None:
        with driver_connection(session).cursor() as cursor:
            return cursor.execute(self.sql, {**self.constants, **params}, prepare=True).fetchone()

    def run(self, session: Session, params: dict[str, Any]) -> None:
        """Run a statement that returns no rows (an UPDATE)."""
        with driver_connection(session).cursor() as cursor:
            cursor.execute(self.sql, {**self.constants, **params}, prepare=True)


def compiled(statement: Executable, *names: str) -> Compiled:
    """`statement` with its bind parameters `names` left to the caller."""
    done = statement.compile(dialect=psycopg_dialect())  # type: ignore[attr-defined]
    # The expanding IN lists become plain parameters: psycopg knows nothing of
    # SQLAlchemy's post-compile placeholders.
    expanded = done.construct_expanded_state(dict.fromkeys(names, None))
    constants = {key: value for key, value in expanded.parameters.items() if key not in names}
    return Compiled(expanded.statement, constants)


@lru_cache(maxsize=1)
def _nearby_sql() -> Compiled:
    return compiled(_nearby_statement(), "lat", "lon", "radius_m", "category_id")


@lru_cache(maxsize=1)
def _resolved_sql() -> Compiled:
    return compiled(_resolved_statement(), "user_id")


def _with_nearby(
    session: Session, settings: Settings, snapshot: Snapshot, user: UserRow
) -> Snapshot:
    """Open tickets near the draft's point in its category. An approximate point (an
    area's centre) is no place to compare: address-only reports of one district
    would all look like duplicates of each other."""
    draft = snapshot.draft
    if not draft.has_precise_point or draft.category_id is None:
        return snapshot
    params = {
        "lat": draft.lat,
        "lon": draft.lon,
        "radius_m": settings.DUPLICATE_RADIUS_M,
        "category_id": draft.category_id,
    }
    row = _nearby_sql().first(session, params)  # the statement takes one (LIMIT 1)
    rows = [row] if row is not None else []
    nearby = tuple(
        NearbyTicket(id, number, metres, created, own=reporter_id == user.id)
        for id, number, created, reporter_id, metres in rows
    )
    return replace(snapshot, nearby=nearby)


def _with_resolved(session: Session, snapshot: Snapshot, user: UserRow) -> Snapshot:
    row = _resolved_sql().first(session, {"user_id": user.id})
    if row is None:
        return snapshot
    number, rating = row
    return replace(snapshot, reopenable=number, feedback_due=number if rating is None else None)


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


_REPLY = """
UPDATE messages SET reply = %(reply)s, locale = %(message_locale)s,
    user_id = CASE WHEN %(set_user)s THEN %(user_id)s ELSE user_id END,
    ticket_id = coalesce(%(ticket_id)s, ticket_id)
WHERE id = %(message_id)s
"""
# PostgreSQL runs a data-modifying WITH whether or not the main statement reads it.
_SAVE = """
WITH saved_conversation AS (
    UPDATE conversations SET state = %(state)s, context = %(context)s, misses = %(misses)s,
        locale = %(locale)s, channel = %(channel)s, last_inbound_at = %(last_inbound_at)s,
        expires_at = %(expires_at)s, user_id = coalesce(%(user_id)s, user_id),
        version = version + 1, updated_at = now()
    WHERE id = %(conversation_id)s
)
UPDATE messages SET reply = %(reply)s, locale = %(message_locale)s,
    user_id = CASE WHEN %(set_user)s THEN %(user_id)s ELSE user_id END,
    ticket_id = coalesce(%(ticket_id)s, ticket_id)
WHERE id = %(message_id)s
"""


def save_reply(
    session: Session,
    message_id: int,
    reply: str,
    *,
    locale: str,
    user_id: int | None = None,
    set_user: bool = False,
    ticket_id: int | None = None,
    conversation_id: int | None = None,
    conversation: dict[str, Any] | None = None,
) -> None:
    """The reply (and locale, with `set_user` the citizen, and the ticket it acted on)
    on the inbound message and, when given, the conversation's `next_state` columns
    (linking `user_id`): one statement, one round trip, after whatever the effects
    changed through the ORM.
    """
    session.flush()
    params: dict[str, Any] = {
        "message_id": message_id,
        "reply": reply,
        "message_locale": locale,
        "user_id": user_id,
        "set_user": set_user,
        "ticket_id": ticket_id,
    }
    sql = _REPLY
    if conversation is not None:
        params.update(conversation)
        params["context"] = Jsonb(conversation["context"])
        params["conversation_id"] = conversation_id
        sql = _SAVE
    with driver_connection(session).cursor() as cursor:
        cursor.execute(sql, params, prepare=True)

"""Finding tickets: who may see which, by the public number a citizen was given,
list filters, sort orders with keyset pagination, and Turkish full-text search over
descriptions and comments."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from geoalchemy2 import Geography
from sqlalchemy import (
    ColumnElement,
    Select,
    and_,
    cast,
    false,
    func,
    literal_column,
    not_,
    or_,
    select,
    text,
    tuple_,
)
from sqlalchemy.orm import Session, selectinload

from core.geo import point
from core.json_values import of_type
from core.models import Ticket, TicketFollower, User
from core.models.ticket_order import NO_DUE_DATE, PRIORITY_RANK, due_key, priority_rank
from core.models.tickets import MAX_TICKET_NUMBER, OPEN_STATUSES
from core.tickets import search_text
from core.tickets.views import citizen_wrote_since_staff_looked

SORTS = ("newest", "oldest", "priority", "due", "distance")


def text_query(q: str) -> ColumnElement[Any]:
    """The search box's words, matching the text as written or without Turkish letters."""
    config = literal_column(f"'{search_text.CONFIG}'")
    query = func.websearch_to_tsquery(config, search_text.as_written_query(q))
    folded = search_text.folded_query(q)
    if folded is None:
        return query
    return query.op("||")(func.to_tsquery(config, folded))


def visible_to(user: User) -> ColumnElement[bool]:
    """Tickets `user` may see: staff all; a citizen those they reported or follow."""
    if user.is_staff:
        return literal_column("true")
    followed = select(TicketFollower.ticket_id).where(TicketFollower.user_id == user.id)
    return or_(Ticket.reporter_id == user.id, Ticket.id.in_(followed))


# As citizens give it: "1001", "#1001", "# 1001".
_PUBLIC_NUMBER = re.compile(r"#?\s*(\d{1,10})")


def public_number(text: str) -> int | None:
    """The ticket number `text` is (`1001`, `#1001`), or None: not a number, or one
    no ticket can have."""
    match = _PUBLIC_NUMBER.fullmatch(text.strip())
    number = int(match.group(1)) if match else 0
    return number if 0 < number <= MAX_TICKET_NUMBER else None


def ticket_by_number(session: Session, number: int, viewer: User) -> Ticket | None:
    """The ticket with public number `number` if `viewer` may see it (the detail's
    rule: staff any, a citizen theirs or one they follow); None otherwise, so a
    stranger cannot tell a number that exists from one that does not."""
    if not 0 < number <= MAX_TICKET_NUMBER:
        return None
    return session.scalar(select(Ticket).where(Ticket.number == number, visible_to(viewer)))


@dataclass(frozen=True)
class TicketFilters:
    # The public number (#1001) a citizen was given.
    number: int | None = None
    statuses: tuple[str, ...] = ()
    priorities: tuple[str, ...] = ()
    category_id: int | None = None
    team_id: int | None = None
    # The channel the report came in by (core.models.tickets.CHANNELS).
    channel: str | None = None
    # Any of these teams (a staff member's own, "my teams": `user.team_ids`).
    team_ids: tuple[int, ...] | None = None
    # An id, or "none" for unassigned tickets.
    assignee: int | str | None = None
    reporter_id: int | None = None
    created_from: datetime | None = None
    created_to: datetime | None = None
    # True: overdue only; False: none that is overdue; None: either.
    overdue: bool | None = None
    # True: reports still waiting for a pin; False: placed ones.
    needs_location: bool | None = None
    q: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    near: tuple[float, float] | None = None
    radius_m: float | None = None
    # The console's "citizen wrote since staff last looked" (core/tickets/views.py).
    citizen_wrote: bool = False


def ticket_conditions(
    filters: TicketFilters, viewer: User | None, now: datetime
) -> list[ColumnElement[bool]]:
    """The WHERE of a ticket list, and of exports (`viewer` None: a caller who sees every
    ticket and every internal note, as a manager or an analytics key does)."""
    f = filters
    conditions: list[ColumnElement[bool]] = [] if viewer is None else [visible_to(viewer)]
    if f.number is not None:
        conditions.append(Ticket.number == f.number)
    if f.statuses:
        conditions.append(Ticket.status.in_(f.statuses))
    if f.priorities:
        conditions.append(Ticket.priority.in_(f.priorities))
    if f.category_id is not None:
        conditions.append(Ticket.category_id == f.category_id)
    if f.team_id is not None:
        conditions.append(Ticket.team_id == f.team_id)
    if f.channel is not None:
        conditions.append(Ticket.channel == f.channel)
    if f.team_ids is not None:
        conditions.append(Ticket.team_id.in_(f.team_ids))
    if f.assignee == "none":
        conditions.append(Ticket.assignee_id.is_(None))
    elif f.assignee is not None:
        conditions.append(Ticket.assignee_id == f.assignee)
    if f.reporter_id is not None:
        conditions.append(Ticket.reporter_id == f.reporter_id)
    if f.created_from is not None:
        conditions.append(Ticket.created_at >= f.created_from)
    if f.created_to is not None:
        conditions.append(Ticket.created_at < f.created_to)
    if f.overdue is not None:
        overdue = and_(Ticket.status.in_(OPEN_STATUSES), Ticket.due_at < now)
        # A ticket without a due time is not overdue (NOT over a NULL would drop it).
        conditions.append(overdue if f.overdue else not_(func.coalesce(overdue, false())))
    if f.needs_location is not None:
        conditions.append(Ticket.needs_location.is_(f.needs_location))
    if f.citizen_wrote:
        conditions.append(citizen_wrote_since_staff_looked())
    if f.q:
        conditions.append(_matches_search_box(f.q, viewer))
    if f.bbox is not None:
        envelope = func.ST_MakeEnvelope(*f.bbox, 4326)
        conditions.append(func.ST_Intersects(Ticket.location, cast(envelope, Geography(srid=4326))))
    if f.near is not None:
        radius = f.radius_m or 1000
        conditions.append(func.ST_DWithin(Ticket.location, point(*f.near), radius))
    return conditions


def _matches_search_box(q: str, viewer: User | None) -> ColumnElement[bool]:
    """What the search box finds: a public number typed on its own (`1001`, `#1001`)
    finds that ticket, and any whose text holds the number (a house number); any
    other input is full-text search."""
    number = public_number(q)
    if number is None:
        return _matches_text(q, viewer)
    return or_(Ticket.number == number, _matches_text(q, viewer))


def _matches_text(q: str, viewer: User | None) -> ColumnElement[bool]:
    query = text_query(q)
    public = Ticket.search_document.op("@@")(query)
    if viewer is not None and not viewer.is_staff:
        # An internal note must not even reveal itself by making a ticket match.
        return public
    return or_(public, Ticket.staff_search_document.op("@@")(query))


@dataclass(frozen=True)
class SortOrder:
    """Columns of one sort, all in one direction, and how to read a row's key."""

    columns: tuple[ColumnElement[Any], ...]
    descending: bool
    key: Callable[[Ticket, float | None], tuple[Any, ...]]
    types: tuple[type | tuple[type, ...], ...]

    def accepts(self, after: tuple[Any, ...]) -> bool:
        """Whether `after` (from a client's cursor) is a key of this sort."""
        return len(after) == len(self.types) and all(map(of_type, after, self.types))


def _sort_order(sort: str, distance: ColumnElement[Any] | None) -> SortOrder:
    by_time = (datetime, int)
    if sort == "oldest":
        return SortOrder(
            (Ticket.created_at, Ticket.id), False, lambda t, _: (t.created_at, t.id), by_time
        )
    if sort == "priority":
        rank = priority_rank()
        return SortOrder(
            (rank, Ticket.created_at, Ticket.id),
            True,
            lambda t, _: (PRIORITY_RANK.get(t.priority, 1), t.created_at, t.id),
            (int, datetime, int),
        )
    if sort == "due":
        due = due_key(Ticket.due_at)
        return SortOrder(
            (due, Ticket.id), False, lambda t, _: (t.due_at or NO_DUE_DATE, t.id), by_time
        )
    if sort == "distance" and distance is not None:
        return SortOrder((distance, Ticket.id), False, lambda t, d: (d, t.id), ((float, int), int))
    return SortOrder(
        (Ticket.created_at, Ticket.id), True, lambda t, _: (t.created_at, t.id), by_time
    )


@dataclass(frozen=True)
class TicketListQuery:
    statement: Select[Any]
    order: SortOrder

    def rows(self, session: Session) -> list[Any]:
        """The page's rows, read without parallel workers: a page is 51 rows, and
        starting workers for the comment search's subplan alone cost about 55 ms at a
        million tickets (the whole search otherwise 2–13 ms); on a web server's few
        cores they would also take what other requests need."""
        session.execute(text("SET LOCAL max_parallel_workers_per_gather = 0"))
        return list(session.execute(self.statement).all())


class BadCursor(ValueError):
    """The cursor's key does not fit this list's sort order."""


def list_tickets_query(
    filters: TicketFilters,
    viewer: User,
    *,
    sort: str = "newest",
    after: tuple[Any, ...] = (),
    limit: int = 50,
    now: datetime | None = None,
) -> TicketListQuery:
    """`SELECT ticket, distance_m` for one page (limit + 1 rows, the extra one only
    tells whether there is a next page). `after` is the previous page's last key;
    BadCursor when it is not a key of this sort."""
    now = now or datetime.now(UTC)
    distance = func.ST_Distance(Ticket.location, point(*filters.near)) if filters.near else None
    order = _sort_order(sort, distance)
    distance_column = (distance if distance is not None else literal_column("NULL")).label(
        "distance_m"
    )
    statement = (
        select(Ticket, distance_column)
        .where(*ticket_conditions(filters, viewer, now))
        # A page shows each ticket's category, team and assignee: load them in
        # three queries rather than one lazy load per row.
        .options(
            selectinload(Ticket.category), selectinload(Ticket.team), selectinload(Ticket.assignee)
        )
    )
    if after and not order.accepts(after):
        raise BadCursor("the cursor belongs to another sort order")
    if after:
        key = tuple_(*order.columns)
        statement = statement.where(
            key < tuple_(*after) if order.descending else key > tuple_(*after)
        )
    statement = statement.order_by(
        *(c.desc() if order.descending else c.asc() for c in order.columns)
    ).limit(limit + 1)
    return TicketListQuery(statement, order)

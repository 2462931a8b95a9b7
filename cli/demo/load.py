"""Loading a demo data set: citizens and staff, then tickets batch by batch.

Everything is added to what is there (ids and public numbers come from the
tables' sequences), so running it twice gives twice the data. Each batch is
committed with its events, comments, escalations, feedback and followers, so a
ticket is never stored without its history (with a second connection, the
history follows one batch behind, in its own transaction).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from itertools import islice

import psycopg
from sqlalchemy import select
from sqlalchemy.orm import Session

from cli.demo import copy_loader, generator, people
from cli.demo.generator import CategoryRoute, TicketGenerator
from core.models import Category
from core.tickets.seed_data import seed_defaults

TABLES = (
    ("tickets", "tickets", generator.TICKET_COLUMNS),
    ("events", "ticket_events", generator.EVENT_COLUMNS),
    ("comments", "comments", generator.COMMENT_COLUMNS),
    ("escalations", "escalations", generator.ESCALATION_COLUMNS),
    ("feedback", "feedback", generator.FEEDBACK_COLUMNS),
    ("followers", "ticket_followers", generator.FOLLOWER_COLUMNS),
)
HISTORY = TABLES[1:]
ANALYZED = ("users", *(table for _, table, _ in TABLES))


class DemoDataError(Exception):
    """The database cannot take demo data as it is (the message says why)."""


@dataclass(frozen=True)
class DemoOptions:
    tickets: int
    seed: int = 1
    citizens: int | None = None  # default: one for every three tickets
    batch: int = 10_000

    @property
    def citizen_count(self) -> int:
        return self.citizens or max(50, self.tickets // 3)


@dataclass
class LoadReport:
    tickets: int = 0
    rows: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def tickets_per_second(self) -> float:
        return self.tickets / self.seconds if self.seconds else 0.0


def load_demo_data(
    session: Session,
    options: DemoOptions,
    progress: Callable[[int], None] = lambda n: None,
    second_connection: Callable[[], AbstractContextManager[psycopg.Connection]] | None = None,
) -> LoadReport:
    """Add `options.tickets` demo tickets (and their people) to the database.

    Commits after the people and after every batch of tickets. Given a
    `second_connection`, tickets' history goes in over it in parallel.
    """
    started = time.perf_counter()
    report = LoadReport()
    routes = _category_routes(session)
    anchor = int(time.time()) // 60 * 60  # "now" for the data: the last whole minute
    cursor = _cursor(session)
    cast = _load_people(cursor, options, routes, anchor, report)
    session.commit()
    ids = copy_loader.reserve_ticket_ids(_cursor(session), options.tickets)
    tickets = TicketGenerator(
        seed=options.seed, total=options.tickets, anchor=anchor, categories=routes, cast=cast
    )
    batches = copy_loader.prefetch(_batches(tickets, ids, options.batch))
    if second_connection is None:
        _store_together(session, batches, report, progress)
    else:
        _store_pipelined(session, batches, report, progress, second_connection)
    report.seconds = time.perf_counter() - started
    return report


def _store_together(
    session: Session,
    batches: Iterator[generator.Batch],
    report: LoadReport,
    progress: Callable[[int], None],
) -> None:
    """Each batch's tickets and history in one transaction."""
    for batch in batches:
        cursor = _cursor(session)
        copy_loader.tune_for_bulk_load(cursor)
        _copy_tables(cursor, batch, TABLES, report)
        session.commit()
        report.tickets += len(batch.tickets)
        progress(len(batch.tickets))


def _store_pipelined(
    session: Session,
    batches: Iterator[generator.Batch],
    report: LoadReport,
    progress: Callable[[int], None],
    second_connection: Callable[[], AbstractContextManager[psycopg.Connection]],
) -> None:
    """Tickets on the session's connection; their history on a second connection
    one batch behind, so PostgreSQL works on both at once. The history only ever
    refers to tickets that are already committed."""
    with copy_loader.CopyWorker(
        second_connection, lambda cursor, batch: _copy_tables(cursor, batch, HISTORY, report)
    ) as history:
        for batch in batches:
            cursor = _cursor(session)
            copy_loader.tune_for_bulk_load(cursor)
            _copy_tables(cursor, batch, TABLES[:1], report)
            session.commit()
            history.submit(batch)
            report.tickets += len(batch.tickets)
            progress(len(batch.tickets))


def _copy_tables(
    cursor: psycopg.Cursor,
    batch: generator.Batch,
    tables: tuple[tuple[str, str, tuple[str, ...]], ...],
    report: LoadReport,
) -> None:
    for attribute, table, columns in tables:
        lines = getattr(batch, attribute)
        copy_loader.copy_lines(cursor, table, columns, lines)
        report.rows[table] = report.rows.get(table, 0) + len(lines)


def analyze(session: Session) -> None:
    """Fresh planner statistics after a large load."""
    cursor = _cursor(session)
    for table in ANALYZED:
        cursor.execute(f"ANALYZE {table}")


def _batches(
    tickets: TicketGenerator, ids: Iterator[tuple[int, int]], size: int
) -> Iterator[generator.Batch]:
    start = 0
    while chunk := list(islice(ids, size)):
        yield tickets.batch(start, chunk)
        start += len(chunk)


def _category_routes(session: Session) -> list[CategoryRoute]:
    if session.scalar(select(Category.id).limit(1)) is None:
        seed_defaults(session)
        session.flush()
    rows = session.execute(
        select(Category.id, Category.code, Category.sla_hours, Category.default_team_id)
        .where(Category.is_active)
        .order_by(Category.id)
    ).all()
    if not rows:
        raise DemoDataError("there is no active category to file demo tickets under")
    return [CategoryRoute(*row) for row in rows]


def _load_people(
    cursor: psycopg.Cursor,
    options: DemoOptions,
    routes: list[CategoryRoute],
    anchor: int,
    report: LoadReport,
) -> people.Cast:
    team_ids = sorted({r.team_id for r in routes if r.team_id is not None})
    citizen_ids = copy_loader.reserve_ids(cursor, "users", options.citizen_count)
    staff_ids = copy_loader.reserve_ids(
        cursor, "users", people.staff_count(len(team_ids), options.tickets)
    )
    taken = _taken_phones(cursor, [people.demo_phone(i) for i in citizen_ids + staff_ids])
    window = generator.WINDOW_DAYS * 86400
    rng = random.Random(f"demo:{options.seed}:people")
    citizen_lines, locales = people.citizen_rows(rng, citizen_ids, taken, anchor, window)
    staff = people.staff_rows(rng, staff_ids, team_ids, options.tickets, taken, anchor, window)
    copy_loader.copy_lines(cursor, "users", people.USER_COLUMNS, citizen_lines + staff.lines)
    copy_loader.copy_lines(cursor, "user_teams", people.MEMBERSHIP_COLUMNS, staff.memberships)
    report.rows["users"] = len(citizen_lines) + len(staff.lines)
    report.rows["user_teams"] = len(staff.memberships)
    return people.Cast(citizen_ids, locales, staff.support, staff.managers)


def _taken_phones(cursor: psycopg.Cursor, phones: list[str]) -> set[str]:
    cursor.execute("SELECT phone FROM users WHERE phone = ANY(%s)", (phones,))
    return {row[0] for row in cursor.fetchall()}


def _cursor(session: Session) -> psycopg.Cursor:
    """A cursor on the session's own connection, inside its transaction."""
    return session.connection().connection.driver_connection.cursor()

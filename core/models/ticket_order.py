"""The ticket list's "due" and "priority" sort keys, and the open tickets' indexes
built on exactly these expressions.

A support desk's inbox is the open tickets by due time or by priority. Sorted on the
fly, every open ticket is read for a 51-row page (0.3–0.9 s at a million tickets);
read from an index on the very expression, a page costs a few index entries. The
planner uses such an index only for the same expression tree, so both keys are built
here once, for the list's ORDER BY and for the indexes, with their constants written
as literals (tests/test_ticket_list_indexes.py checks the plans).
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, DateTime, Index, Integer, func, literal_column, text

from core.models.tickets import Ticket

PRIORITY_RANK = {"low": 0, "normal": 1, "high": 2, "urgent": 3}
# Stands in for "no due time" so such tickets sort last and still have a cursor key.
NO_DUE_DATE = datetime(9999, 12, 31, tzinfo=UTC)
_NO_DUE_DATE_SQL = "'9999-12-31 00:00:00+00'::timestamptz"
_OPEN = text("status IN ('new', 'in_progress', 'escalated')")


def _priority_key_sql() -> str:
    names = ", ".join(
        f"'{name}'::character varying" for name in sorted(PRIORITY_RANK, key=PRIORITY_RANK.get)
    )
    return f"array_position(ARRAY[{names}], priority) - 1"


# Written as PostgreSQL prints it back, so that Alembic's comparison of the models with
# the database (which reads index expressions as text) sees the same expression.
PRIORITY_KEY_SQL = _priority_key_sql()


def priority_rank() -> ColumnElement[int]:
    """low 0, normal 1, high 2, urgent 3."""
    return literal_column(PRIORITY_KEY_SQL, Integer)


def due_key(due_at: Any) -> ColumnElement[datetime]:
    return func.coalesce(due_at, literal_column(_NO_DUE_DATE_SQL, DateTime(timezone=True)))


Index("ix_tickets_open_by_due", due_key(Ticket.due_at), Ticket.id, postgresql_where=_OPEN)
Index(
    "ix_tickets_open_by_priority",
    text(PRIORITY_KEY_SQL),
    Ticket.created_at,
    Ticket.id,
    postgresql_where=_OPEN,
)

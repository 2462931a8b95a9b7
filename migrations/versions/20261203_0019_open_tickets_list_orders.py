"""Indexes for the open tickets' list by due time and by priority.

The support desk's inbox is the open tickets by due time or by priority; both were
sorted on the fly, every open ticket read for one page (0.3–0.9 s at a million
tickets). These indexes are built on the very sort expressions of
core/models/ticket_order.py (copied here as they stand today: a migration is frozen).
CONCURRENTLY: writers carry on while they build.

Revision ID: 0019
Revises: 0012
Create Date: 2026-12-03 14:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0019"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OPEN = "status IN ('new', 'in_progress', 'escalated')"
PRIORITY_RANK = (
    "array_position(ARRAY['low'::character varying, 'normal'::character varying,"
    " 'high'::character varying, 'urgent'::character varying], priority) - 1"
)
INDEXES = {
    "ix_tickets_open_by_due": "(coalesce(due_at, '9999-12-31 00:00:00+00'::timestamptz)), id",
    "ix_tickets_open_by_priority": f"({PRIORITY_RANK}), created_at, id",
}


def upgrade() -> None:
    with op.get_context().autocommit_block():
        for name, columns in INDEXES.items():
            # A failed concurrent build leaves an invalid index behind: built afresh.
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
            op.execute(f"CREATE INDEX CONCURRENTLY {name} ON tickets ({columns}) WHERE {OPEN}")


def downgrade() -> None:
    for name in INDEXES:
        op.execute(f"DROP INDEX IF EXISTS {name}")

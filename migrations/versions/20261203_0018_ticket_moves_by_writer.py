"""Map moves read by their writer's transaction id, not all of them.

A remembered heatmap is brought up to date by the moves its snapshot did not see
(core/analytics/geo_grid.py). Only a transaction at or after the snapshot's xmin can be
one of those (every earlier one had ended, committed and seen or rolled back and gone),
so with this index a call reads the few recent moves instead of every move of the last
MOVES_KEPT_MINUTES: after a bulk load or a mass status change (a million demo tickets,
an import, an auto-close sweep), the log holds that many rows for half an hour, and
every map call scanned them all (0.2 s each at a million).

Built CONCURRENTLY: writers log moves on every ticket change and must not wait on it.

Revision ID: 0018
Revises: 0019
Create Date: 2026-12-03 14:05:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0018"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.get_context().autocommit_block():
        # A failed concurrent build leaves an invalid index behind: built afresh.
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS ix_analytics_ticket_moves_writer_xid")
        op.execute(
            "CREATE INDEX CONCURRENTLY ix_analytics_ticket_moves_writer_xid"
            " ON analytics_ticket_moves (writer_xid)"
        )


def downgrade() -> None:
    op.execute("DROP INDEX IF EXISTS ix_analytics_ticket_moves_writer_xid")

"""Text search without Turkish letters, over addresses too.

`tickets.search_vector` (a generated column: the description as written) gives way to
`tickets.search_document`: the description as written and folded to plain letters, and
the address folded (`core/models/search_text.py`), kept by a trigger. Comments get the
same two readings in an expression index.

Nothing here holds a lock for long at a million tickets, so a city upgrading keeps
taking reports: the new column has no default (a catalogue change), the trigger fills
it for every write from then on, the existing rows are filled in batches of their own
short transactions, and the indexes are built CONCURRENTLY. Dropping the old column
is again a catalogue change.

It also fixes what made the batches crawl: the hotspot trigger compares a statement's
old and new rows with a join over transition tables, which have no statistics, so
PostgreSQL planned a nested loop: 2,000 rows took 1.9 s, 8,000 took 40 s (quadratic;
any bulk UPDATE of tickets paid it). Hash joins only, inside that function: 20,000 rows
in 43 ms.

Revision ID: 0009
Revises: 0005
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5_000

# Frozen copies of core/models/search_text.py's expressions as of this revision: a
# migration must keep building what it built even when that module changes later.
_TR, _PLAIN = "IİıŞşĞğÜüÖöÇçÂâÎîÛû", "iiiSsGgUuOoCcAaIiUu"


def _both_ways(column: str) -> str:
    return (
        f"to_tsvector('turkish', translate({column}, 'Iİ', 'ıi'))"
        f" || to_tsvector('turkish', lower(translate({column}, '{_TR}', '{_PLAIN}')))"
    )


def _ticket_document(row: str) -> str:
    return (
        f"(({_both_ways(f'{row}description')})"
        f" || to_tsvector('turkish',"
        f" lower(translate(COALESCE({row}address, ''), '{_TR}', '{_PLAIN}'))))"
    )


COMMENT_VECTOR = f"({_both_ways('body')})"


def upgrade() -> None:
    op.execute("ALTER FUNCTION analytics_mark_hotspots_changed() SET enable_nestloop = off")
    op.execute("ALTER TABLE tickets ADD COLUMN IF NOT EXISTS search_document tsvector")
    op.execute(
        f"""
        CREATE OR REPLACE FUNCTION tickets_search_document() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            NEW.search_document := {_ticket_document("NEW.")};
            RETURN NEW;
        END $$
        """
    )
    op.execute("DROP TRIGGER IF EXISTS tickets_search_document ON tickets")
    op.execute(
        "CREATE TRIGGER tickets_search_document"
        " BEFORE INSERT OR UPDATE OF description, address ON tickets"
        " FOR EACH ROW EXECUTE FUNCTION tickets_search_document()"
    )
    with op.get_context().autocommit_block():
        # Rows written before the trigger existed, a batch per transaction.
        bind = op.get_bind()
        last = bind.exec_driver_sql("SELECT coalesce(max(id), 0) FROM tickets").scalar()
        for start in range(0, last + 1, BATCH):
            bind.exec_driver_sql(
                f"UPDATE tickets SET search_document = {_ticket_document('')}"
                f" WHERE id >= {start} AND id < {start + BATCH} AND search_document IS NULL"
            )
        # A failed concurrent build leaves an invalid index behind: drop it, so that
        # running the migration again builds it afresh.
        for name in ("ix_tickets_search_document", "ix_comments_search_text"):
            op.execute(f"DROP INDEX CONCURRENTLY IF EXISTS {name}")
        op.execute(
            "CREATE INDEX CONCURRENTLY ix_tickets_search_document ON tickets"
            " USING gin (search_document)"
        )
        op.execute(
            "CREATE INDEX CONCURRENTLY ix_comments_search_text ON comments"
            f" USING gin (({COMMENT_VECTOR}))"
        )
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS ix_comments_body_search")
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS ix_tickets_search_vector")
    op.execute("ALTER TABLE tickets DROP COLUMN IF EXISTS search_vector")


def downgrade() -> None:
    op.execute("ALTER FUNCTION analytics_mark_hotspots_changed() RESET enable_nestloop")
    op.execute(
        "ALTER TABLE tickets ADD COLUMN search_vector tsvector GENERATED ALWAYS AS"
        " (to_tsvector('turkish', translate(description, 'Iİ', 'ıi'))) STORED"
    )
    op.execute("CREATE INDEX ix_tickets_search_vector ON tickets USING gin (search_vector)")
    op.execute(
        "CREATE INDEX ix_comments_body_search ON comments"
        " USING gin ((to_tsvector('turkish', translate(body, 'Iİ', 'ıi'))))"
    )
    op.execute("DROP INDEX IF EXISTS ix_comments_search_text")
    op.execute("DROP TRIGGER IF EXISTS tickets_search_document ON tickets")
    op.execute("DROP FUNCTION IF EXISTS tickets_search_document()")
    op.execute("DROP INDEX IF EXISTS ix_tickets_search_document")
    op.execute("ALTER TABLE tickets DROP COLUMN IF EXISTS search_document")

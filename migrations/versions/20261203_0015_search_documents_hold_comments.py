"""A ticket's search documents hold its comments: public ones in `search_document`,
internal notes in the new `staff_search_document`.

With comments matched through `OR EXISTS (SELECT … FROM comments …)` PostgreSQL took
every search to match half the tickets (a sub-plan in an OR has no estimate) and so walked
the tickets newest first even for a word that matches none: 0.8 s at a million tickets.
Two stored columns of the ticket, each with its GIN index, are estimated like any other
(core/tickets/search_text.py reads the queries against them).

Triggers keep them: the ticket's own on insert and on a change of description or address
(replacing 0009's), and ones on comments that have the tickets' documents rewritten when
comments are added, changed, moved or removed (once per statement). As in 0009, nothing holds a lock for long:
the column has no default, existing tickets with comments are rewritten in batches of
their own transactions, and indexes are built and dropped CONCURRENTLY.

Revision ID: 0015
Revises: 0006
Create Date: 2026-12-03 10:20:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BATCH = 5_000

# Frozen here, as in 0009: a migration keeps building what it built.
_TR, _PLAIN = "IİıŞşĞğÜüÖöÇçÂâÎîÛû", "iiiSsGgUuOoCcAaIiUu"


def _both_ways(text: str) -> str:
    return (
        f"(to_tsvector('turkish', translate({text}, 'Iİ', 'ıi'))"
        f" || to_tsvector('turkish', lower(translate({text}, '{_TR}', '{_PLAIN}'))))"
    )


_PUBLIC = "ticket_comments_text(NEW.id, false)"
_INTERNAL = "ticket_comments_text(NEW.id, true)"
_DOCUMENT = (
    f"{_both_ways('NEW.description')}"
    f" || to_tsvector('turkish', lower(translate(COALESCE(NEW.address, ''), '{_TR}', '{_PLAIN}')))"
    f" || {_both_ways(f'COALESCE({_PUBLIC}, {chr(39) * 2})')}"
)
_STAFF_DOCUMENT = f"CASE WHEN {_INTERNAL} IS NULL THEN NULL ELSE {_both_ways(_INTERNAL)} END"

_OLD_DOCUMENT = (  # 0009's, for the downgrade
    f"{_both_ways('NEW.description')}"
    f" || to_tsvector('turkish', lower(translate(COALESCE(NEW.address, ''), '{_TR}', '{_PLAIN}')))"
)


_COMMENT_TRIGGERS = (
    ("comments_search_insert", "INSERT", "NEW TABLE AS new_rows"),
    ("comments_search_update", "UPDATE", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
    ("comments_search_delete", "DELETE", "OLD TABLE AS old_rows"),
)


def _ticket_trigger_function(document: str, staff_document: str | None) -> str:
    staff = f"NEW.staff_search_document := {staff_document};" if staff_document else ""
    return f"""
        CREATE OR REPLACE FUNCTION tickets_search_document() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            NEW.search_document := {document};
            {staff}
            RETURN NEW;
        END $$
        """


def upgrade() -> None:
    op.execute("ALTER TABLE tickets ADD COLUMN IF NOT EXISTS staff_search_document tsvector")
    op.execute(
        """
        CREATE OR REPLACE FUNCTION ticket_comments_text(ticket bigint, internal boolean)
        RETURNS text LANGUAGE sql STABLE AS $$
            SELECT string_agg(body, ' ' ORDER BY id) FROM comments
            WHERE ticket_id = ticket AND is_internal = internal
        $$
        """
    )
    op.execute(_ticket_trigger_function(_DOCUMENT, _STAFF_DOCUMENT))
    # Rewriting `description` with itself fires the ticket's own trigger, so the
    # documents are composed in one place. Per statement, not per row: demo data and
    # bulk work write thousands of comments in one statement, and each ticket is then
    # rewritten once.
    op.execute(
        """
        CREATE OR REPLACE FUNCTION comments_refresh_ticket_search() RETURNS trigger
        LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                UPDATE tickets SET description = description
                WHERE id IN (SELECT ticket_id FROM new_rows);
            ELSIF TG_OP = 'DELETE' THEN
                UPDATE tickets SET description = description
                WHERE id IN (SELECT ticket_id FROM old_rows);
            ELSE
                UPDATE tickets SET description = description
                WHERE id IN (SELECT ticket_id FROM old_rows
                             UNION SELECT ticket_id FROM new_rows);
            END IF;
            RETURN NULL;
        END $$
        """
    )
    for name, event, tables in _COMMENT_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON comments")
        op.execute(
            f"CREATE TRIGGER {name} AFTER {event} ON comments REFERENCING {tables}"
            " FOR EACH STATEMENT EXECUTE FUNCTION comments_refresh_ticket_search()"
        )
    with op.get_context().autocommit_block():
        bind = op.get_bind()
        last = bind.exec_driver_sql("SELECT coalesce(max(id), 0) FROM tickets").scalar()
        for start in range(0, last + 1, BATCH):
            bind.exec_driver_sql(
                "UPDATE tickets SET description = description"
                f" WHERE id >= {start} AND id < {start + BATCH}"
                " AND EXISTS (SELECT 1 FROM comments c WHERE c.ticket_id = tickets.id)"
            )
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS ix_tickets_staff_search_document")
        op.execute(
            "CREATE INDEX CONCURRENTLY ix_tickets_staff_search_document ON tickets"
            " USING gin (staff_search_document)"
        )
        op.execute("DROP INDEX CONCURRENTLY IF EXISTS ix_comments_search_text")


def downgrade() -> None:
    op.execute(
        "CREATE INDEX IF NOT EXISTS ix_comments_search_text ON comments"
        f" USING gin (({_both_ways('body')}))"
    )
    for name, _, _ in _COMMENT_TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS {name} ON comments")
    op.execute("DROP FUNCTION IF EXISTS comments_refresh_ticket_search()")
    op.execute(_ticket_trigger_function(_OLD_DOCUMENT, None))
    op.execute(
        "UPDATE tickets SET description = description"
        " WHERE EXISTS (SELECT 1 FROM comments c WHERE c.ticket_id = tickets.id)"
    )
    op.execute("DROP FUNCTION IF EXISTS ticket_comments_text(bigint, boolean)")
    op.execute("DROP INDEX IF EXISTS ix_tickets_staff_search_document")
    op.execute("ALTER TABLE tickets DROP COLUMN IF EXISTS staff_search_document")

"""The integration's key on the escalations it asks for and the photos it uploads.

A key acts through a stand-in user that is never saved, so `requested_by_id` and
`uploaded_by_id` stayed empty and nobody could tell who had asked or uploaded; the
ticket's event named the key, the escalation and the photo did not. As comments
already do, each keeps the key's id. Nullable columns without a default: catalogue
changes; each waits at most 2 s for its lock (a long query on the table must not
queue every writer behind this), tried again a few times.

Revision ID: 0020
Revises: 0018
Create Date: 2026-12-03 14:40:00
"""

import time
from collections.abc import Sequence

from alembic import op
from sqlalchemy.exc import DBAPIError

revision: str = "0020"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("escalations", "photos")
LOCK_TRIES = 30


def _briefly(sql: str) -> None:
    bind = op.get_bind()
    for attempt in range(LOCK_TRIES):
        try:
            with bind.begin_nested():
                bind.exec_driver_sql("SET LOCAL lock_timeout = '2s'")
                bind.exec_driver_sql(sql)
            return
        except DBAPIError as exc:
            if getattr(exc.orig, "sqlstate", None) != "55P03" or attempt == LOCK_TRIES - 1:
                raise
            time.sleep(1)


def upgrade() -> None:
    for table in TABLES:
        _briefly(
            f"ALTER TABLE {table} ADD COLUMN IF NOT EXISTS api_key_id bigint"
            f" CONSTRAINT fk_{table}_api_key_id_api_keys REFERENCES api_keys (id)"
            " ON DELETE SET NULL"
        )


def downgrade() -> None:
    for table in TABLES:
        op.drop_column(table, "api_key_id")

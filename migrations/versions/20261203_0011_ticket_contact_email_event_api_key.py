"""An Open311 contact's email; API keys as the actors of ticket events.

- `tickets.contact_email`: the email an integration (Open311) gave for the person it
  filed for, kept beside `contact_phone` for staff; forgotten by retention and erasure
  like the phone, never shown in an Open311 answer.
- `ticket_events.api_key_id`: the integration key that made the change, for events
  caused by a key with a `tickets:*` scope (`actor_id` is then NULL), and likewise
  `comments.api_key_id` for the comments and internal notes such a key writes.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("contact_email", sa.String(length=254), nullable=True))
    for table in ("ticket_events", "comments"):
        op.add_column(
            table,
            sa.Column(
                "api_key_id",
                sa.BigInteger(),
                sa.ForeignKey("api_keys.id", ondelete="SET NULL"),
                nullable=True,
            ),
        )


def downgrade() -> None:
    op.drop_column("comments", "api_key_id")
    op.drop_column("ticket_events", "api_key_id")
    op.drop_column("tickets", "contact_email")

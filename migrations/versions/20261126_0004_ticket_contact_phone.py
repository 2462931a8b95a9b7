"""A ticket's contact: the phone an integration (Open311) gave for the person it
filed for. It is never an account and never links the ticket to one.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-26 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("tickets", sa.Column("contact_phone", sa.String(length=32), nullable=True))
    # Erasure (SİL) and retention find a number's tickets; few tickets carry one.
    op.create_index(
        "ix_tickets_contact_phone",
        "tickets",
        ["contact_phone"],
        postgresql_where=sa.text("contact_phone IS NOT NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_tickets_contact_phone", table_name="tickets")
    op.drop_column("tickets", "contact_phone")

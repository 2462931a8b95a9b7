"""The words citizens use for each category; approximate ticket points; staff-only photos.

- `categories.everyday_words`: {"tr": [...], "en": [...]}, the everyday words that
  name the category in a chat ("lamba", "karanlık" for Lighting). NULL until set:
  `flask seed` fills the six defaults' lists where they are NULL, so a list a
  manager emptied stays empty.
- `tickets.location_approximate`: the point is an area's centre (a district named in
  a typed address), not the place; such tickets still need a location and stay out
  of duplicate checks and hotspots.
- `photos.is_internal`: a photo staff see but citizens do not (sent by a citizen who
  follows someone else's ticket, kept on it as part of her internal note).

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "categories",
        sa.Column("everyday_words", postgresql.JSONB(astext_type=sa.Text()), nullable=True),
    )
    op.add_column(
        "tickets",
        sa.Column(
            "location_approximate", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
    )
    op.add_column(
        "photos",
        sa.Column("is_internal", sa.Boolean(), server_default=sa.false(), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("photos", "is_internal")
    op.drop_column("tickets", "location_approximate")
    op.drop_column("categories", "everyday_words")

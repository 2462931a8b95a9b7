"""Staff in several teams: `user_teams` takes the place of `users.team_id`.

Each user's one team becomes their first membership; the column goes, so that one
place says who works for which team.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "user_teams",
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("team_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["team_id"], ["teams.id"], name=op.f("fk_user_teams_team_id_teams"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_user_teams_user_id_users"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("user_id", "team_id", name=op.f("pk_user_teams")),
    )
    op.create_index(op.f("ix_user_teams_team_id"), "user_teams", ["team_id"], unique=False)
    op.execute(
        "INSERT INTO user_teams (user_id, team_id)"
        " SELECT id, team_id FROM users WHERE team_id IS NOT NULL"
    )
    op.drop_index(op.f("ix_users_team_id"), table_name="users")
    op.drop_constraint(op.f("fk_users_team_id_teams"), "users", type_="foreignkey")
    op.drop_column("users", "team_id")


def downgrade() -> None:
    op.add_column("users", sa.Column("team_id", sa.BigInteger(), nullable=True))
    op.create_foreign_key(
        op.f("fk_users_team_id_teams"), "users", "teams", ["team_id"], ["id"], ondelete="SET NULL"
    )
    op.create_index(op.f("ix_users_team_id"), "users", ["team_id"], unique=False)
    # One team per user again: of several, the one of lowest id (memberships have no order).
    op.execute(
        "UPDATE users SET team_id = m.team_id FROM"
        " (SELECT user_id, min(team_id) AS team_id FROM user_teams GROUP BY user_id) m"
        " WHERE m.user_id = users.id"
    )
    op.drop_index(op.f("ix_user_teams_team_id"), table_name="user_teams")
    op.drop_table("user_teams")

"""Background exports expire: their files are deleted from storage a while after they
were built (EXPORT_KEEP_HOURS), and the job says so with the status `expired`.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 17:15:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OLD = "status IN ('queued', 'running', 'done', 'failed')"
_NEW = "status IN ('queued', 'running', 'done', 'failed', 'expired')"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_export_jobs_status"), "export_jobs", type_="check")
    op.create_check_constraint(op.f("ck_export_jobs_status"), "export_jobs", _NEW)


def downgrade() -> None:
    # An expired job's file is gone either way; as `failed` it reads as "build it again".
    op.execute(
        "UPDATE export_jobs SET status = 'failed', error = 'expired' WHERE status = 'expired'"
    )
    op.drop_constraint(op.f("ck_export_jobs_status"), "export_jobs", type_="check")
    op.create_check_constraint(op.f("ck_export_jobs_status"), "export_jobs", _OLD)

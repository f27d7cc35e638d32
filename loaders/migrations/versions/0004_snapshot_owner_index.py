"""a batch's deals by owner: the index a team's view reads

``ix_snap_batch_owner`` (batch_id, owner_key): a view scoped to some teams reads, from each
snapshot it uses, only the rows its reps own — an index range per owner instead of a scan of the
whole snapshot (at 2,000 reps, 2,500 rows instead of 500,000 for one team).

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 11:35:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index(
        "ix_snap_batch_owner", "opportunity_snapshots", ["batch_id", "owner_key"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_snap_batch_owner", table_name="opportunity_snapshots")

"""derived frames: the forecast's per-batch sums kept in the store

``derived_frames`` keeps frames computed from rows that never change once loaded (each snapshot
batch's per-owner sums that the forecast reads for past quarters and trend days), keyed by a hash
of what they are and the content of the batches they came from. A new process reads these small
frames instead of every past snapshot. Derived data only: the table may be emptied at any time.

Only a new table: nothing is altered, so SQLite needs no batch mode here.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-04 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "derived_frames",
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_index("ix_derived_frames_name", "derived_frames", ["name"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_derived_frames_name", table_name="derived_frames")
    op.drop_table("derived_frames")

"""a few owners' activities read from the index alone

``ix_act_owner_date`` (owner_key, activity_date) becomes (owner_key, activity_date, completed,
type, owner): a team's activities in a window (the Rider's week by type, a team's readiness) are
read from the index without a lookup of every activity in the table. At 5M activities on SQLite
a team of 20 over 8 weeks took 0.09 s, of which nearly all were those lookups; building the wider
index costs about 1.7 s more per 5M rows than the narrow one.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-05 10:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WIDE = ["owner_key", "activity_date", "completed", "type", "owner"]
NARROW = ["owner_key", "activity_date"]


def upgrade() -> None:
    op.drop_index("ix_act_owner_date", table_name="activities")
    op.create_index("ix_act_owner_date", "activities", WIDE, unique=False)


def downgrade() -> None:
    op.drop_index("ix_act_owner_date", table_name="activities")
    op.create_index("ix_act_owner_date", "activities", NARROW, unique=False)

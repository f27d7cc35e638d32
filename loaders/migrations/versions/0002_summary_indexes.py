"""indexes for the summary's activity reads

Two covering indexes on ``activities`` for what ``compute_summary`` asks of it:

- ``ix_act_deal_done`` (source, deal_id, completed, activity_date): a deal's last completed touch
  on or before a day is one index seek (it replaces ``ix_act_deal``, its prefix);
- ``ix_act_done_day`` (completed, activity_date, owner_key, owner): completed activities per owner
  in a date window are a range of the index, never the table.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 09:55:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain index operations (no batch mode): SQLite never copies the table for them.
    op.create_index(
        "ix_act_deal_done",
        "activities",
        ["source", "deal_id", "completed", "activity_date"],
        unique=False,
    )
    op.create_index(
        "ix_act_done_day",
        "activities",
        ["completed", "activity_date", "owner_key", "owner"],
        unique=False,
    )
    op.drop_index("ix_act_deal", table_name="activities")


def downgrade() -> None:
    op.create_index("ix_act_deal", "activities", ["source", "deal_id"], unique=False)
    op.drop_index("ix_act_done_day", table_name="activities")
    op.drop_index("ix_act_deal_done", table_name="activities")

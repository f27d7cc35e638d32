"""saved mappings and deal plans

``saved_mappings`` keeps the mappings users confirmed, keyed by the header they fit, so a later
file with the same header loads by itself (issue 15). ``deal_plan_steps`` keeps the steps of deal
plans (DESIGN §12; issue 17), made in the browser or loaded from a plans file.

Only new tables: nothing is altered, so SQLite needs no batch mode here.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-04 16:45:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "saved_mappings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=255), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("header_key", sa.String(length=64), nullable=False),
        sa.Column("header", sa.Text(), nullable=False),
        sa.Column("spec", sa.Text(), nullable=False),
        sa.Column("author", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
        sa.UniqueConstraint("header_key", "kind", name="uq_mapping_header_kind"),
    )
    op.create_index("ix_saved_mappings_header_key", "saved_mappings", ["header_key"], unique=False)
    op.create_table(
        "deal_plan_steps",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=64), nullable=False),
        sa.Column("deal_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("title", sa.String(length=512), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("due", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=8), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("author", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("done_at", sa.DateTime(), nullable=True),
        sa.Column("done_by", sa.String(length=255), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["owner_id"], ["reps.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["batch_id"], ["import_batches.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_plan_deal", "deal_plan_steps", ["source", "deal_id"], unique=False)
    op.create_index("ix_deal_plan_steps_owner_id", "deal_plan_steps", ["owner_id"], unique=False)
    op.create_index("ix_deal_plan_steps_batch_id", "deal_plan_steps", ["batch_id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_deal_plan_steps_batch_id", table_name="deal_plan_steps")
    op.drop_index("ix_deal_plan_steps_owner_id", table_name="deal_plan_steps")
    op.drop_index("ix_plan_deal", table_name="deal_plan_steps")
    op.drop_table("deal_plan_steps")
    op.drop_index("ix_saved_mappings_header_key", table_name="saved_mappings")
    op.drop_table("saved_mappings")

"""audit log: who loaded, changed users, made calls, edited mappings and plans, and when

``audit_log`` keeps one row per action on the store (``loaders.store.audit``): when, what kind
(load, user, call, mapping, plan, store), the action, who (the signed-in user, or the operating
system's user for the terminal and the watcher), through what (cli, watcher, browser), what it
was about and what came of it, in words. Rows are only ever added.

Only a new table: nothing is altered, so SQLite needs no batch mode here.

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-05 10:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("actor", sa.String(length=255), nullable=False),
        sa.Column("via", sa.String(length=16), nullable=False),
        sa.Column("subject", sa.String(length=512), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audit_log_at", "audit_log", ["at"], unique=False)
    op.create_index("ix_audit_kind_at", "audit_log", ["kind", "at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_audit_kind_at", table_name="audit_log")
    op.drop_index("ix_audit_log_at", table_name="audit_log")
    op.drop_table("audit_log")

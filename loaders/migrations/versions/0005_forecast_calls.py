"""forecast calls and the effective-dated reporting line

``reporting_lines`` holds who reports to whom over [effective_from, effective_to), filled from the
roster's Manager column; ``forecast_calls`` keeps every forecast call (person, quarter, submitted
day, commit, best case, note, author, time; the import batch for calls loaded from a file).

A store upgraded with data keeps every row, and gets its hierarchy from what it already holds:
each rep's stored manager (``reps.manager``, the latest roster's Manager) becomes an open-ended
line reaching back to the first membership day, as a first team membership does; a manager name
that is no rep yet becomes a person (role Manager, no team), found again by the same alias a
later roster uses.

Only new tables and indexes: nothing is altered, so SQLite needs no batch mode here.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 09:00:00
"""

import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# loaders.store.writes.EARLIEST, copied: a migration must not change when the code does.
EARLIEST = dt.date(1900, 1, 1)


def upgrade() -> None:
    op.create_table(
        "reporting_lines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rep_id", sa.Integer(), nullable=False),
        sa.Column("manager_id", sa.Integer(), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["batch_id"], ["import_batches.id"], ondelete="SET NULL"),
        sa.ForeignKeyConstraint(["manager_id"], ["reps.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["rep_id"], ["reps.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("rep_id", "effective_from", name="uq_reporting_rep_from"),
    )
    op.create_index(
        "ix_reporting_manager", "reporting_lines", ["manager_id", "effective_from"], unique=False
    )
    op.create_table(
        "forecast_calls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("person_id", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.String(length=7), nullable=False),
        sa.Column("submitted", sa.Date(), nullable=False),
        sa.Column("commit", sa.Float(), nullable=False),
        sa.Column("best_case", sa.Float(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("author", sa.String(length=255), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["batch_id"], ["import_batches.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["person_id"], ["reps.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_call_person_quarter",
        "forecast_calls",
        ["person_id", "quarter", "submitted"],
        unique=False,
    )
    op.create_index(
        op.f("ix_forecast_calls_batch_id"), "forecast_calls", ["batch_id"], unique=False
    )
    _lines_from_stored_managers()


def _key(text: str) -> str:
    """loaders.identity.name_key as of this revision (casefolded, single spaces)."""
    return " ".join(str(text).split()).casefold()


def _lines_from_stored_managers() -> None:
    conn = op.get_bind()
    meta = sa.MetaData()
    reps = sa.Table("reps", meta, autoload_with=conn)
    aliases = sa.Table("rep_aliases", meta, autoload_with=conn)
    lines = sa.Table("reporting_lines", meta, autoload_with=conn)
    managed = conn.execute(
        sa.select(reps.c.id, reps.c.name, reps.c.manager).where(reps.c.manager.is_not(None))
    ).all()
    if not managed:
        return
    by_alias = dict(conn.execute(sa.select(aliases.c.alias, aliases.c.rep_id)).all())
    by_name = {name: rid for rid, name in conn.execute(sa.select(reps.c.id, reps.c.name)).all()}
    new_lines = []
    for rep_id, _name, manager in managed:
        name = " ".join(str(manager).split())
        if not name:
            continue
        key = _key(name)
        manager_id = by_alias.get(key) or by_name.get(name)
        if manager_id is None:
            manager_id = conn.execute(
                reps.insert().values(name=name, role="Manager").returning(reps.c.id)
            ).scalar_one()
            by_name[name] = manager_id
        if key not in by_alias:
            conn.execute(aliases.insert().values(alias=key, rep_id=manager_id))
            by_alias[key] = manager_id
        if manager_id != rep_id:
            new_lines.append(
                {
                    "rep_id": rep_id,
                    "manager_id": manager_id,
                    "effective_from": EARLIEST,
                    "effective_to": None,
                    "batch_id": None,
                }
            )
    if new_lines:
        conn.execute(lines.insert(), new_lines)


def downgrade() -> None:
    op.drop_index(op.f("ix_forecast_calls_batch_id"), table_name="forecast_calls")
    op.drop_index("ix_call_person_quarter", table_name="forecast_calls")
    op.drop_table("forecast_calls")
    op.drop_index("ix_reporting_manager", table_name="reporting_lines")
    op.drop_table("reporting_lines")

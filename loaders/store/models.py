"""SQLAlchemy 2 models of the canonical store (docs/architecture.md#loaders-files-into-the-store).

Facts (snapshots, history, activities, readiness) keep the owner's name as exported plus
``owner_key``, its normalised form; reps are resolved through ``rep_aliases`` at query time, so a
roster loaded after the pipeline still claims its deals. Every fact row belongs to the import batch
that brought it, which is how a file is loaded, replaced or traced as one unit.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, relationship

SCHEMA_VERSION_KEY = "data_version"
# Bumped by a forecast call made in the browser: what depends on calls is cached by it too, so a
# call does not recompute everything an import would.
CALLS_VERSION_KEY = "calls_version"


class Base(DeclarativeBase):
    """Declarative base for every Team Car table."""


class Meta(Base):
    """Key/value facts about the store, such as the data version bumped by every import."""

    __tablename__ = "meta"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(255))


class ImportBatch(Base):
    """One loaded file: where it came from, what it was, and what came of it."""

    __tablename__ = "import_batches"
    __table_args__ = (UniqueConstraint("content_hash", "kind", name="uq_batch_hash_kind"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source_name: Mapped[str] = mapped_column(String(512))  # file name as delivered
    source: Mapped[str] = mapped_column(String(64), index=True)  # system/label: salesforce, hubspot
    kind: Mapped[str] = mapped_column(String(16))  # pipeline, activity, roster, ...
    format: Mapped[str] = mapped_column(String(64))  # detected reader
    content_hash: Mapped[str] = mapped_column(String(64))
    as_of: Mapped[dt.datetime] = mapped_column(DateTime)
    rows_read: Mapped[int] = mapped_column(Integer, default=0)
    rows_loaded: Mapped[int] = mapped_column(Integer, default=0)
    rows_rejected: Mapped[int] = mapped_column(Integer, default=0)
    warnings: Mapped[str] = mapped_column(Text, default="")  # one per line
    status: Mapped[str] = mapped_column(String(16), default="loaded")
    archived_path: Mapped[str | None] = mapped_column(String(1024))
    loaded_at: Mapped[dt.datetime] = mapped_column(DateTime)

    rejects: Mapped[list[RejectedRow]] = relationship(
        back_populates="batch", cascade="all, delete-orphan"
    )


class Team(Base):
    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)


class Rep(Base):
    """A person on the roster (or an owner seen in an export and not on it)."""

    __tablename__ = "reps"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    email: Mapped[str | None] = mapped_column(String(255))
    crm_user_id: Mapped[str | None] = mapped_column(String(64))
    role: Mapped[str | None] = mapped_column(String(32))
    manager: Mapped[str | None] = mapped_column(String(255))
    start_date: Mapped[dt.date | None] = mapped_column(Date)

    memberships: Mapped[list[TeamMembership]] = relationship(
        back_populates="rep", cascade="all, delete-orphan"
    )


class RepAlias(Base):
    """A normalised name, email or CRM id by which a rep appears in exports."""

    __tablename__ = "rep_aliases"
    alias: Mapped[str] = mapped_column(String(255), primary_key=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("reps.id", ondelete="CASCADE"), index=True)


class TeamMembership(Base):
    """Effective-dated membership: [effective_from, effective_to), open-ended when to is null."""

    __tablename__ = "team_memberships"
    __table_args__ = (
        UniqueConstraint("rep_id", "effective_from", name="uq_membership_rep_from"),
        Index("ix_membership_team", "team_id", "effective_from"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("reps.id", ondelete="CASCADE"))
    team_id: Mapped[int] = mapped_column(ForeignKey("teams.id", ondelete="CASCADE"))
    effective_from: Mapped[dt.date] = mapped_column(Date)
    effective_to: Mapped[dt.date | None] = mapped_column(Date)
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batches.id", ondelete="SET NULL")
    )

    rep: Mapped[Rep] = relationship(back_populates="memberships")
    team: Mapped[Team] = relationship()


class ReportingLine(Base):
    """Effective-dated reporting line: ``rep`` reports to ``manager`` over [effective_from,
    effective_to), open-ended when to is null (the roster's Manager column).

    A table of its own rather than a column of ``team_memberships``: people in the chain above
    the teams (directors, VPs) report to someone without belonging to a team, and a manager
    change within a team must not split the team's membership period (docs/metrics.md, calls and
    the hierarchy).
    """

    __tablename__ = "reporting_lines"
    __table_args__ = (
        UniqueConstraint("rep_id", "effective_from", name="uq_reporting_rep_from"),
        Index("ix_reporting_manager", "manager_id", "effective_from"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("reps.id", ondelete="CASCADE"))
    manager_id: Mapped[int] = mapped_column(ForeignKey("reps.id", ondelete="CASCADE"))
    effective_from: Mapped[dt.date] = mapped_column(Date)
    effective_to: Mapped[dt.date | None] = mapped_column(Date)
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batches.id", ondelete="SET NULL")
    )


class Quota(Base):
    __tablename__ = "quotas"
    rep_id: Mapped[int] = mapped_column(ForeignKey("reps.id", ondelete="CASCADE"), primary_key=True)
    quarter: Mapped[str] = mapped_column(String(7), primary_key=True)  # 2026-Q4
    amount: Mapped[float] = mapped_column(Float)
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batches.id", ondelete="SET NULL")
    )


class OpportunitySnapshot(Base):
    """One deal as one export saw it: one row per deal per snapshot (batch)."""

    __tablename__ = "opportunity_snapshots"
    __table_args__ = (
        Index("ix_snap_source_date", "source", "snapshot_date"),
        Index("ix_snap_deal", "source", "deal_id", "snapshot_date"),
        Index("ix_snap_owner", "owner_key"),
        # A team's rows of one snapshot: an index range per owner (migration 0004).
        Index("ix_snap_batch_owner", "batch_id", "owner_key"),
    )
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("import_batches.id", ondelete="CASCADE"), primary_key=True
    )
    deal_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    snapshot_date: Mapped[dt.date] = mapped_column(Date)
    deal_name: Mapped[str | None] = mapped_column(String(512))
    account: Mapped[str | None] = mapped_column(String(512))
    owner: Mapped[str] = mapped_column(String(255))
    owner_key: Mapped[str] = mapped_column(String(255))
    stage: Mapped[str | None] = mapped_column(String(255))
    stage_order: Mapped[int | None] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(8))
    amount: Mapped[float | None] = mapped_column(Float)
    probability: Mapped[float | None] = mapped_column(Float)
    forecast_category: Mapped[str | None] = mapped_column(String(16))
    close_date: Mapped[dt.date | None] = mapped_column(Date)
    created_date: Mapped[dt.date | None] = mapped_column(Date)
    next_step: Mapped[str | None] = mapped_column(Text)
    last_activity_date: Mapped[dt.date | None] = mapped_column(Date)
    deal_type: Mapped[str | None] = mapped_column(String(255))
    lead_source: Mapped[str | None] = mapped_column(String(255))
    push_count: Mapped[int | None] = mapped_column(Integer)


class OpportunityHistory(Base):
    """A field change of a deal, from a CRM's own history export."""

    __tablename__ = "opportunity_history"
    __table_args__ = (Index("ix_hist_deal", "source", "deal_id", "changed_at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("import_batches.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(64))
    deal_id: Mapped[str] = mapped_column(String(64))
    changed_at: Mapped[dt.datetime] = mapped_column(DateTime)
    field: Mapped[str] = mapped_column(String(32))
    old_value: Mapped[str | None] = mapped_column(String(512))
    new_value: Mapped[str | None] = mapped_column(String(512))


class Activity(Base):
    """A call, email, meeting or other touch, by a rep, maybe on a deal."""

    __tablename__ = "activities"
    __table_args__ = (
        UniqueConstraint("source", "activity_id", name="uq_activity_source_id"),
        # A few owners' activities in a window (a team's Rider, Course, readiness), read from
        # the index alone: without the last three columns every activity found was looked up in
        # the table (0.09 of 0.1 s for a team of 20 over 8 weeks at 5M activities on SQLite).
        Index("ix_act_owner_date", "owner_key", "activity_date", "completed", "type", "owner"),
        # A deal's last completed touch: one seek (summary stale check).
        Index("ix_act_deal_done", "source", "deal_id", "completed", "activity_date"),
        # Completed activities per owner in a window, read from the index alone.
        Index("ix_act_done_day", "completed", "activity_date", "owner_key", "owner"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("import_batches.id", ondelete="CASCADE"), index=True
    )
    source: Mapped[str] = mapped_column(String(64))
    activity_id: Mapped[str] = mapped_column(String(64))
    owner: Mapped[str] = mapped_column(String(255))
    owner_key: Mapped[str] = mapped_column(String(255))
    activity_date: Mapped[dt.date] = mapped_column(Date)
    type: Mapped[str] = mapped_column(String(16))
    deal_id: Mapped[str | None] = mapped_column(String(64))
    account: Mapped[str | None] = mapped_column(String(512))
    duration_seconds: Mapped[float | None] = mapped_column(Float)
    subject: Mapped[str | None] = mapped_column(String(512))
    participants: Mapped[str | None] = mapped_column(String(1024))
    completed: Mapped[bool] = mapped_column(Boolean, default=True)


class ReadinessEvent(Base):
    """A program, certification, assessment or call score for a rep."""

    __tablename__ = "readiness_events"
    __table_args__ = (Index("ix_ready_owner", "owner_key"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("import_batches.id", ondelete="CASCADE"), index=True
    )
    owner: Mapped[str] = mapped_column(String(255))
    owner_key: Mapped[str] = mapped_column(String(255))
    program: Mapped[str] = mapped_column(String(255))
    kind: Mapped[str] = mapped_column(String(16))
    required: Mapped[bool] = mapped_column(Boolean, default=False)
    assigned_date: Mapped[dt.date | None] = mapped_column(Date)
    due_date: Mapped[dt.date | None] = mapped_column(Date)
    completed_date: Mapped[dt.date | None] = mapped_column(Date)
    score: Mapped[float | None] = mapped_column(Float)


class RejectedRow(Base):
    """A row of an export that could not be read, kept with where and why."""

    __tablename__ = "rejected_rows"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    batch_id: Mapped[int] = mapped_column(
        ForeignKey("import_batches.id", ondelete="CASCADE"), index=True
    )
    row_number: Mapped[int] = mapped_column(Integer)  # 1-based line in the file, header = 1
    column: Mapped[str | None] = mapped_column(String(255))
    reason: Mapped[str] = mapped_column(Text)
    raw: Mapped[str | None] = mapped_column(Text)

    batch: Mapped[ImportBatch] = relationship(back_populates="rejects")


class CoachingNote(Base):
    __tablename__ = "coaching_notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    rep_id: Mapped[int] = mapped_column(ForeignKey("reps.id", ondelete="CASCADE"), index=True)
    author: Mapped[str] = mapped_column(String(255))
    body: Mapped[str] = mapped_column(Text)
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class ForecastCall(Base):
    """A forecast call: ``person``'s commit and best case for ``quarter`` as of ``submitted``.

    Every call is kept; nothing is overwritten (docs/metrics.md, calls and the hierarchy). A call
    made in the browser has no batch; one loaded from a calls file belongs to its import batch.
    """

    __tablename__ = "forecast_calls"
    __table_args__ = (Index("ix_call_person_quarter", "person_id", "quarter", "submitted"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("reps.id", ondelete="CASCADE"))
    quarter: Mapped[str] = mapped_column(String(7))  # 2026-Q4
    submitted: Mapped[dt.date] = mapped_column(Date)
    commit: Mapped[float] = mapped_column(Float)
    best_case: Mapped[float] = mapped_column(Float)
    note: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batches.id", ondelete="CASCADE"), index=True
    )


class DerivedFrame(Base):
    """A frame computed from rows that never change once loaded (a snapshot batch's per-owner sums
    for the forecast), kept so that no process reads those rows for it again.

    ``key`` is a hash of what the frame is and everything it depends on, including the content
    hash of each batch it was computed from: a store built again at the same address reuses batch
    ids, not contents. Derived data only: any row may be deleted at any time.
    """

    __tablename__ = "derived_frames"
    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    name: Mapped[str] = mapped_column(String(64), index=True)
    data: Mapped[bytes] = mapped_column(LargeBinary)  # Arrow IPC stream of the frame
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)


class User(Base):
    """Someone who may sign in: a manager (their own teams), a leader (all) or an admin (all, and
    the data and the users). ``password_hash`` is None for a user who signs in only through a
    single sign-on proxy."""

    __tablename__ = "users"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    role: Mapped[str] = mapped_column(String(16))
    password_hash: Mapped[str | None] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    # Failed sign-ins in a row and the last one's time: a run of them pauses the account briefly.
    failed_logins: Mapped[int] = mapped_column(Integer, default=0)
    last_failed_at: Mapped[dt.datetime | None] = mapped_column(DateTime)

    teams: Mapped[list[UserTeam]] = relationship(
        back_populates="user", cascade="all, delete-orphan", order_by="UserTeam.team"
    )


class UserTeam(Base):
    """A team a manager may see, by name (not a key into ``teams``: a manager can be set up
    before the roster that names their team is loaded, and a re-load keeps the grant)."""

    __tablename__ = "user_teams"
    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    team: Mapped[str] = mapped_column(String(255), primary_key=True)

    user: Mapped[User] = relationship(back_populates="teams")


class AuditEntry(Base):
    """Who did what to the store and when: loads, user changes, calls, mapping and plan edits
    (``loaders.store.audit`` writes them; docs/architecture.md#audit-log). Entries are only
    ever added."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_kind_at", "kind", "at"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(DateTime, index=True)
    kind: Mapped[str] = mapped_column(String(16))  # load, user, call, mapping, plan, store
    action: Mapped[str] = mapped_column(String(32))  # loaded, failed, added, removed, made, ...
    actor: Mapped[str] = mapped_column(String(255))  # the signed-in user, or the OS user
    via: Mapped[str] = mapped_column(String(16))  # cli, watcher, browser
    subject: Mapped[str] = mapped_column(String(512), default="")  # a file, a user, a person
    detail: Mapped[str] = mapped_column(Text, default="")  # what, in words


class SavedMapping(Base):
    """A mapping a user confirmed (browser import step or ``teamcar map --save``), reused by
    itself for any later file whose header fingerprint matches (issue 15).

    ``header_key`` is a hash of the file's normalised header (names folded, order kept) and the
    kind; ``spec`` is the mapping as TOML text, read by ``loaders.formats.mapping``."""

    __tablename__ = "saved_mappings"
    __table_args__ = (UniqueConstraint("header_key", "kind", name="uq_mapping_header_kind"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # pipeline, activity, history, roster, ...
    header_key: Mapped[str] = mapped_column(String(64), index=True)
    header: Mapped[str] = mapped_column(Text)  # the columns as found, one per line
    spec: Mapped[str] = mapped_column(Text)  # TOML
    author: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)


class DealPlanStep(Base):
    """One step of a deal plan (DESIGN §12): on one deal (source, deal id), a kind (briefing,
    legal, security, technical, partner, pricing, other), a title, an owner from the roster, a
    due day, a status (open, done) and a note. Made in the browser (no batch) or loaded from a
    plans CSV (its batch). Scoped like coaching notes, through the deal's owner."""

    __tablename__ = "deal_plan_steps"
    __table_args__ = (Index("ix_plan_deal", "source", "deal_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    deal_id: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # briefing, legal, security, technical, ...
    title: Mapped[str] = mapped_column(String(512))  # the step as written
    owner_id: Mapped[int | None] = mapped_column(
        ForeignKey("reps.id", ondelete="SET NULL"), index=True
    )
    due: Mapped[dt.date | None] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(8), default="open")  # open, done
    note: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[dt.datetime] = mapped_column(DateTime)
    updated_at: Mapped[dt.datetime] = mapped_column(DateTime)
    done_at: Mapped[dt.datetime | None] = mapped_column(DateTime)
    done_by: Mapped[str | None] = mapped_column(String(255))
    batch_id: Mapped[int | None] = mapped_column(
        ForeignKey("import_batches.id", ondelete="CASCADE"), index=True
    )

"""The numbers of docs/metrics.md as pure functions over pandas frames.

No dash and no sqlalchemy here: frames in (from ``dashboard.reads.queries`` or built by hand in tests),
frames, dicts or numbers out.
"""

from dashboard.metrics.kpis import (
    FIGURE_KEYS,
    ROWS_BEHIND,
    deal_flags,
    pace,
    rank_change,
    rank_reps,
    rep_figures,
    rows_behind,
    team_figures,
)
from dashboard.metrics.movement import (
    CATEGORIES,
    REP_WATERFALL_KEYS,
    WATERFALL_KEYS,
    compute_movement,
    compute_waterfall,
    rep_waterfalls,
    rep_waterfalls_cents,
    waterfall_cents,
)
from dashboard.metrics.pushes import close_date_observations, push_counts
from dashboard.metrics.readiness import COMPONENTS, band, readiness, team_readiness
from dashboard.metrics.state import attach_reps, deal_state_at, in_scope, snapshot_dates_at

__all__ = [
    "CATEGORIES",
    "COMPONENTS",
    "FIGURE_KEYS",
    "REP_WATERFALL_KEYS",
    "ROWS_BEHIND",
    "WATERFALL_KEYS",
    "attach_reps",
    "band",
    "close_date_observations",
    "compute_movement",
    "compute_waterfall",
    "deal_flags",
    "deal_state_at",
    "in_scope",
    "pace",
    "push_counts",
    "rank_change",
    "rank_reps",
    "readiness",
    "rep_figures",
    "rep_waterfalls",
    "rep_waterfalls_cents",
    "rows_behind",
    "snapshot_dates_at",
    "team_figures",
    "team_readiness",
    "waterfall_cents",
]

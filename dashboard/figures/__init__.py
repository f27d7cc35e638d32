"""Figure builders: frames in, a Plotly figure or a Dash component out. No store, no clock."""

from dashboard.figures.course import lane_rows, make_course_figure
from dashboard.figures.details import make_deal_details
from dashboard.figures.peloton import make_peloton_figure, swarm_offsets, zone
from dashboard.figures.strip import make_team_strip, moved_summary, must_be_true
from dashboard.models.kinds import aggregate_by_team, marker_kind

__all__ = [
    "aggregate_by_team",
    "lane_rows",
    "make_course_figure",
    "make_deal_details",
    "make_peloton_figure",
    "make_team_strip",
    "marker_kind",
    "moved_summary",
    "must_be_true",
    "swarm_offsets",
    "zone",
]

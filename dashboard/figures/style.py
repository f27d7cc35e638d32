"""One look for every chart: colours, symbols, fonts and the way numbers are written.

Money is written without a currency sign (a store holds one currency, which exports do not always
name); ratios as percentages; missing values as an em dash. User text (deal, account and rep names)
goes through ``esc`` before it reaches a Plotly label, because Plotly renders a subset of HTML in
labels and hover text: a deal called ``<b>Big</b>`` must show its angle brackets, not bold type.
"""

from __future__ import annotations

import datetime as dt
import math
import re

import pandas as pd

# Marker kinds and forecast category names are the course model's; drawn here.
from dashboard.models.kinds import CATEGORY_LABEL as CATEGORY_LABEL
from dashboard.models.kinds import KINDS as KINDS

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
INK = "#1d2430"
MUTED = "#6b7280"
GRID = "#e5e7eb"
PAPER = "#ffffff"
ELAPSED = "rgba(15, 23, 42, 0.035)"
TODAY = "#dc2626"
FINISH = "#111827"
AHEAD = "#0f766e"
NEAR = "#d97706"
BEHIND = "#dc2626"
NO_VALUE = "#9ca3af"

KIND_LABEL = {
    "commit": "Commit",
    "best_case": "Best case",
    "pipeline": "Pipeline",
    "omitted": "Omitted / none",
    "won": "Won",
    "lost": "Lost",
}
KIND_COLOUR = {
    "commit": "#0f766e",
    "best_case": "#2563eb",
    "pipeline": "#94a3b8",
    "omitted": "#cbd5e1",
    "won": "#ca8a04",
    "lost": "#6b7280",
}
KIND_SYMBOL = {
    "commit": "circle",
    "best_case": "circle",
    "pipeline": "circle",
    "omitted": "circle",
    "won": "star",
    "lost": "x-thin-open",
}
BAND_COLOUR = {"green": "#16a34a", "amber": "#f59e0b", "red": "#dc2626", None: "#d1d5db"}
BAND_LABEL = {"green": "good form", "amber": "watch", "red": "needs support", None: "no data"}

# Where a rider sits against the pace line (attainment minus pace, in points of quota).
BREAKAWAY = 0.10
DROPPED = -0.10

MISSING = "—"


# Plotly decodes only a few named entities (amp, lt, gt, ...) and numeric ones: a quote written
# ``&quot;`` would show as those six characters. ``%`` is written as an entity too, so a name
# holding ``%{x}`` is never read as a hover-template field.
_PLOTLY_ESCAPES = str.maketrans(
    {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&#34;", "'": "&#39;", "%": "&#37;"}
)


def esc(value: object) -> str:
    """User text made safe for a Plotly label or hover: markup shown as typed, None as a dash."""
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return MISSING
    return str(value).translate(_PLOTLY_ESCAPES)


def is_missing(value: object) -> bool:
    """True for None, NaN, NA and NaT."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def money(value: object, signed: bool = False) -> str:
    """A compact amount: ``1.25M``, ``340k``, ``950``; ``—`` when missing."""
    if is_missing(value):
        return MISSING
    v = float(value)
    sign = "−" if v < 0 else ("+" if signed and v > 0 else "")
    a = abs(v)
    if a >= 999_500_000:
        text = f"{a / 1e9:.2f}B"
    elif a >= 9_995_000:
        text = f"{a / 1e6:.1f}M"
    elif a >= 999_500:
        text = f"{a / 1e6:.2f}M"
    elif a >= 9_995:
        text = f"{a / 1e3:.0f}k"
    elif a >= 1_000:
        text = f"{a / 1e3:.1f}k"
    else:
        text = f"{a:.0f}"
    return sign + text


def money_full(value: object) -> str:
    """An amount with thousands separators and no decimals, for hover text and details."""
    if is_missing(value):
        return MISSING
    v = float(value)
    return ("−" if v < 0 else "") + f"{abs(v):,.0f}"


def pct(value: object, signed: bool = False) -> str:
    """A fraction as a whole percentage: ``0.423`` -> ``42%``."""
    if is_missing(value):
        return MISSING
    v = float(value) * 100
    text = f"{abs(v):.0f}%"
    if v < 0 and round(abs(v)) != 0:
        return "−" + text
    return ("+" + text) if signed and round(v) > 0 else text


def points(value: object) -> str:
    """A difference of two fractions in percentage points: ``+7 pts``, ``−12 pts``."""
    if is_missing(value):
        return MISSING
    v = round(float(value) * 100)
    if v == 0:
        return "on pace"
    return f"{'+' if v > 0 else '−'}{abs(v)} pts"


def times(value: object) -> str:
    """A coverage ratio: ``2.3×``."""
    if is_missing(value) or math.isinf(float(value)):
        return MISSING
    return f"{float(value):.1f}×"


def day(value: object, fmt: str = "%d %b %Y") -> str:
    """A date as ``20 Nov 2026``; ``—`` when missing."""
    if is_missing(value):
        return MISSING
    if isinstance(value, str):
        value = pd.Timestamp(value)
    if isinstance(value, pd.Timestamp):
        value = value.to_pydatetime()
    if isinstance(value, dt.datetime):
        value = value.date()
    return value.strftime(fmt).lstrip("0")


def pace_colour(attainment: object, pace: object) -> str:
    """Teal when at or ahead of pace, amber when a little behind, red when dropped."""
    if is_missing(attainment) or is_missing(pace):
        return NO_VALUE
    gap = round(float(attainment) - float(pace), 9)
    if gap >= 0:
        return AHEAD
    if gap > DROPPED:
        return NEAR
    return BEHIND


# Margins that already hold what Plotly would grow them to. A chart whose tick labels or legend
# do not fit its margins is drawn twice: once to measure them, again with the margins grown (half
# of the charts' drawing time in the browser). Plotly still grows a margin a label outgrows.
MONEY_AXIS_PX = 50  # a money axis's tick labels ("1.25M") at 13 px, and their standoff
PERCENT_AXIS_PX = 50  # "100%" at 13 px
SMALL_AXIS_PX = 40  # two or three digits ("100", "20")
LEGEND_ROW_PX = 22  # one row of a horizontal legend at 12–13 px
DATE_AXIS_PX = 30  # "04 Oct" below a chart
CHAR_EM = 0.62  # an upper estimate of a system-ui character's width, in ems


def label_px(labels: list[str], size: int, bold: bool = False) -> int:
    """An upper estimate, in pixels, of the widest of ``labels`` (markup ignored) at ``size``."""
    widest = max((len(_MARKUP.sub("", str(label))) for label in labels), default=0)
    return int(widest * size * CHAR_EM * (1.2 if bold else 1.0)) + 14


_MARKUP = re.compile(r"<[^>]+>|&[a-z]+;")


def base_layout(height: int) -> dict:
    """Layout settings every Team Car chart shares."""
    return dict(
        height=height,
        paper_bgcolor=PAPER,
        plot_bgcolor=PAPER,
        font=dict(family=FONT, size=13, color=INK),
        hoverlabel=dict(
            bgcolor="#ffffff",
            bordercolor="#d1d5db",
            font=dict(family=FONT, size=13, color=INK),
            align="left",
        ),
        showlegend=False,
        dragmode=False,
        # Our own look (Plotly's default template would add ~7 kB per figure). Tick labels may
        # reach past the chart's box: by default Plotly measures every one on every draw to hide
        # those that would, a third of the course map's drawing time; margins keep them inside.
        template=AXIS_TEMPLATE,
    )


AXIS_TEMPLATE = {
    "layout": {
        "xaxis": {"ticklabeloverflow": "allow"},
        "yaxis": {"ticklabeloverflow": "allow"},
    }
}

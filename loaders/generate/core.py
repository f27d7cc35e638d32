"""``generate``: draw the story once, then render it into every export file."""

from __future__ import annotations

import datetime as dt
import json
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from loaders import clock
from loaders.generate.activities import build_activities, last_activity
from loaders.generate.calendar import FiscalCalendar
from loaders.generate.calls import build_calls, caller_truth
from loaders.generate.deals import KIND_NAMES, build_deals
from loaders.generate.enablement import build_enablement
from loaders.generate.people import HUBSPOT, SALESFORCE, build_org, quota_rows
from loaders.generate.render import (
    Renderer,
    write_calls,
    write_enablement,
    write_quotas,
    write_roster,
)
from loaders.generate.timeline import Timeline

TRUTH_DIR = "_truth"
# Files a previous run may have left: removed first, so that old snapshot days never linger.
_OWN_FILES = re.compile(
    r"^(roster|quotas|enablement|calls|"
    r"(salesforce_(opportunities|tasks|events)|hubspot_(deals|calls|emails|meetings))"
    r"_\d{4}-\d{2}-\d{2})\.csv$"
)

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class GenerateParams:
    """What to generate.

    Attributes:
        reps: account executives (AEs); teams of 8, every third team on HubSpot.
        deals_per_rep: open deals per rep closing in the current quarter, on average.
        weeks: weekly snapshots (and activity files), the last one on ``today``.
        today: the day the story ends on; the current quarter is the fiscal quarter holding it.
        seed: the same seed and parameters give the same files, byte for byte.
        fiscal_year_start_month: 1 = calendar quarters.
        calls: also write ``calls.csv``, the weekly forecast calls of reps and the chain above
            them, and who sandbags or over-calls in ``_truth/calls.json``.
    """

    reps: int = 24
    deals_per_rep: int = 12
    weeks: int = 13
    today: dt.date = field(default_factory=clock.today)
    seed: int = 7
    fiscal_year_start_month: int = 1
    calls: bool = False

    def __post_init__(self) -> None:
        for name in ("reps", "deals_per_rep", "weeks"):
            if getattr(self, name) < 1:
                raise ValueError(f"{name} must be at least 1, not {getattr(self, name)}")
        if not 1 <= self.fiscal_year_start_month <= 12:
            raise ValueError("fiscal_year_start_month must be 1 to 12")


@dataclass
class GenerateSummary:
    """What ``generate`` wrote."""

    out_dir: Path
    files: dict[str, int] = field(default_factory=dict)  # path under out_dir -> data rows
    bytes_written: int = 0
    deals: int = 0
    events: int = 0
    activities: int = 0
    seconds: float = 0.0

    @property
    def rows(self) -> int:
        """Data rows over all files (headers and footers not counted)."""
        return sum(self.files.values())


def generate(
    out_dir: Path, params: GenerateParams | None = None, progress: Progress | None = None
) -> GenerateSummary:
    """Write a seeded demo data set (exports of Salesforce, HubSpot and an LMS) into ``out_dir``.

    Args:
        out_dir: created if missing; files of an earlier run there are replaced.
        params: sizes, today, seed; defaults when omitted.
        progress: called as ``progress(step, done, total)`` while it works.

    Returns:
        The files written with their row counts.
    """
    params = params or GenerateParams()
    report = progress or (lambda step, done, total: None)
    started = time.perf_counter()
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.iterdir():
        if old.is_file() and _OWN_FILES.match(old.name):
            old.unlink()
    shutil.rmtree(out_dir / TRUTH_DIR, ignore_errors=True)
    (out_dir / TRUTH_DIR).mkdir()

    # One child generator per part: changing how one part draws leaves the others as they were.
    rng_org, rng_deals, rng_acts, rng_last, rng_lms, rng_calls = (
        np.random.default_rng(s) for s in np.random.SeedSequence(params.seed).spawn(6)
    )
    tl = Timeline(params.today, params.weeks, FiscalCalendar(params.fiscal_year_start_month))
    report("story", 0, 3)
    org = build_org(rng_org, params.reps, tl)
    deals = build_deals(rng_deals, org, tl, params.deals_per_rep)
    report("story", 1, 3)
    acts = build_activities(rng_acts, org, deals, tl)
    last_seen = last_activity(rng_last, deals, acts, tl)
    report("story", 2, 3)
    readiness = build_enablement(rng_lms, org, tl)
    renderer = Renderer(org, deals, acts, last_seen, tl)
    report("story", 3, 3)

    summary = GenerateSummary(out_dir=out_dir, deals=len(deals), activities=len(acts))
    summary.files["roster.csv"] = write_roster(out_dir / "roster.csv", org)
    summary.files["quotas.csv"] = write_quotas(out_dir / "quotas.csv", quota_rows(org, tl))
    summary.files["enablement.csv"] = write_enablement(out_dir / "enablement.csv", readiness, org)
    if params.calls:
        calls = build_calls(rng_calls, org, deals, tl)
        summary.files["calls.csv"] = write_calls(out_dir / "calls.csv", calls, org, tl)
        truth = out_dir / TRUTH_DIR / "calls.json"
        truth.write_text(
            json.dumps(caller_truth(org, deals, tl), indent=2) + "\n", encoding="utf-8"
        )
        summary.files[f"{TRUTH_DIR}/calls.json"] = 0
    sources = set(org.team_source.tolist())
    for k, day in enumerate(tl.snapshots.tolist()):
        date = tl.date(day).isoformat()
        if SALESFORCE in sources:
            name = f"salesforce_opportunities_{date}.csv"
            summary.files[name] = renderer.salesforce_opportunities(out_dir / name, k)
        if HUBSPOT in sources:
            name = f"hubspot_deals_{date}.csv"
            summary.files[name] = renderer.hubspot_deals(out_dir / name, k)
        summary.files.update(renderer.activity_files(out_dir, k))
        report("weeks", k + 1, tl.weeks)

    events_name = f"{TRUTH_DIR}/events.csv"
    summary.events = summary.files[events_name] = renderer.event_log(out_dir / events_name)
    report("events", 1, 1)
    summary.seconds = time.perf_counter() - started
    _write_params(out_dir / TRUTH_DIR / "params.json", params, tl, deals, summary)
    summary.files[f"{TRUTH_DIR}/params.json"] = 0
    summary.bytes_written = sum((out_dir / name).stat().st_size for name in summary.files)
    return summary


def _write_params(path: Path, params: GenerateParams, tl: Timeline, deals, summary) -> None:
    kinds = np.bincount(deals.kind, minlength=len(KIND_NAMES))
    info = {
        "params": {
            k: (v.isoformat() if isinstance(v, dt.date) else v) for k, v in asdict(params).items()
        },
        "quarter": tl.cal.name(tl.q_index),
        "quarter_start": tl.date(tl.q_start).isoformat(),
        "quarter_end": tl.date(tl.q_end).isoformat(),
        "history_start": tl.date(tl.history_start).isoformat(),
        "snapshots": [tl.date(d).isoformat() for d in tl.snapshots.tolist()],
        "deals": dict(zip(KIND_NAMES, kinds.tolist(), strict=True)),
        "activities": summary.activities,
        "events": summary.events,
    }
    path.write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")

"""The seeded demo store: the generator's exports, loaded the way ``teamcar load`` loads them.

One builder for ``teamcar demo``, the tests and the benchmarks, so all three look at the same
data: 24 reps, seed 7, with their weekly forecast calls (``calls.csv``), through the same readers
and the same all-or-nothing loads as real exports.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from loaders import clock
from loaders.config import Config, load_config
from loaders.generate import GenerateParams, GenerateSummary, generate
from loaders.generate.core import Progress
from loaders.ingest import LoadOutcome, expand_paths, load_file
from loaders.store.engine import get_engine, upgrade

DEMO_REPS = 24
DEMO_SEED = 7
# Thirty weekly snapshots hold every week of the two quarters before today's, so the demo's
# forecast draws on past quarters (the reference method) and shows a backtest and call accuracy.
DEMO_WEEKS = 30


@dataclass
class DemoStore:
    """What ``build_demo_store`` made."""

    database_url: str
    exports_dir: Path
    generated: GenerateSummary
    outcomes: list[LoadOutcome]

    @property
    def failed(self) -> list[LoadOutcome]:
        """The exports that did not load (none, unless a reader broke)."""
        return [o for o in self.outcomes if o.status == "failed"]


def build_demo_store(
    exports_dir: Path,
    database_url: str,
    *,
    reps: int = DEMO_REPS,
    today: dt.date | None = None,
    config: Config | None = None,
    progress: Progress | None = None,
) -> DemoStore:
    """Generate the demo's exports into ``exports_dir`` and load them into ``database_url``.

    The store is created or upgraded first; loading into a store that holds the same files
    already changes nothing (each file is recognised by its hash).

    Args:
        exports_dir: folder for the generated exports (created).
        database_url: the store to load into.
        reps: account executives in the demo.
        today: the day the demo's story ends on (default: ``loaders.clock.today()``).
        config: settings for the load (archive folder, fiscal year); default: the environment's.
        progress: the generator's progress callback (stage, done, total).

    Returns:
        The store's URL, the generator's summary and one load outcome per export.
    """
    config = config or load_config()
    config = dataclasses.replace(config, database_url=database_url)
    params = GenerateParams(
        reps=reps,
        today=today or clock.today(),
        seed=DEMO_SEED,
        weeks=DEMO_WEEKS,
        fiscal_year_start_month=config.fiscal_year_start_month,
        calls=True,
    )
    exports_dir = Path(exports_dir)
    generated = generate(exports_dir, params, progress=progress)
    upgrade(database_url)
    engine = get_engine(database_url)
    outcomes = [
        load_file(path, engine=engine, config=config) for path in expand_paths([exports_dir])
    ]
    return DemoStore(database_url, exports_dir, generated, outcomes)

"""Watch a folder: load each new export once it stops growing, then file it away.

Polling (not inotify) so it works the same on network shares and in containers. A file is loaded
after its size and modification time have held still for ``settle`` seconds; it then moves to
``processed/`` or, with a ``.error.txt`` beside it, to ``failed/``. A bad file never stops the watcher.
"""

from __future__ import annotations

import logging
import shutil
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy.exc import InterfaceError, OperationalError

from loaders.ingest import LoadOutcome, load_file, load_order

log = logging.getLogger(__name__)
EXPORT_SUFFIXES = {".csv", ".xlsx", ".txt", ".tsv", ".zip"}


@dataclass
class Watcher:
    """State of one watched folder: what was seen, and since when it has been still."""

    folder: Path
    settle: float = 2.0
    load: Callable[[Path], LoadOutcome] = load_file
    on_outcome: Callable[[LoadOutcome], None] = lambda _o: None
    _seen: dict[Path, tuple[tuple[int, float], float]] = field(default_factory=dict)

    @property
    def processed(self) -> Path:
        return self.folder / "processed"

    @property
    def failed(self) -> Path:
        return self.folder / "failed"

    def candidates(self) -> list[Path]:
        """Export files waiting in the folder (not hidden, not partial uploads), in the order a
        folder is loaded (``ingest.load_order``: the roster before what refers to it)."""
        return sorted(
            (
                p
                for p in self.folder.iterdir()
                if p.is_file()
                and not p.name.startswith((".", "_", "~$"))
                and p.suffix.lower() in EXPORT_SUFFIXES
            ),
            key=load_order,
        )

    def poll(self, now: float | None = None) -> list[LoadOutcome]:
        """Look once; load every file that has been still for ``settle`` seconds."""
        now = time.monotonic() if now is None else now
        outcomes = []
        current = set()
        for path in self.candidates():
            current.add(path)
            try:
                st = path.stat()
            except FileNotFoundError:
                continue
            sig = (st.st_size, st.st_mtime)
            seen = self._seen.get(path)
            if seen is None or seen[0] != sig:
                self._seen[path] = (sig, now)
                continue
            if now - seen[1] < self.settle:
                continue
            outcomes.append(self._handle(path))
            self._seen.pop(path, None)
        for gone in set(self._seen) - current:
            self._seen.pop(gone)
        return outcomes

    def _handle(self, path: Path) -> LoadOutcome:
        try:
            outcome = self.load(path)
        except (OperationalError, InterfaceError) as exc:
            # The store is away, not the file at fault: it stays where it is and is tried again
            # once it has been still for ``settle`` seconds more.
            first = str(getattr(exc, "orig", None) or exc).strip().splitlines()
            log.warning(
                "store unreachable while loading %s (%s); will retry",
                path.name,
                first[0] if first else type(exc).__name__,
            )
            outcome = LoadOutcome(
                path=path, status="failed", message=f"{path.name}: store unreachable; will retry"
            )
            self.on_outcome(outcome)
            return outcome
        except Exception as exc:  # noqa: BLE001 - a bad file must never stop the watcher
            log.error("loading %s failed unexpectedly:\n%s", path, traceback.format_exc())
            outcome = LoadOutcome(
                path=path, status="failed", message=f"{path.name}: unexpected error: {exc}"
            )
        target_dir = self.failed if outcome.status == "failed" else self.processed
        try:
            target_dir.mkdir(exist_ok=True)
            target = _free_name(target_dir / path.name)
            shutil.move(str(path), target)
            if outcome.status == "failed":
                target.with_name(target.name + ".error.txt").write_text(outcome.message + "\n")
        except OSError as exc:  # gone meanwhile, or the folder is read-only
            log.error("could not file %s away: %s", path.name, exc)
        self.on_outcome(outcome)
        return outcome

    def run(self, interval: float = 1.0, stop: Callable[[], bool] = lambda: False) -> None:
        """Poll every ``interval`` seconds until ``stop()`` is true (or Ctrl+C).

        A folder that disappears for a while (an unmounted share) is waited for, not fatal.
        """
        while not stop():
            try:
                self.poll()
            except OSError as exc:
                log.warning("cannot read %s (%s); trying again", self.folder, exc)
            time.sleep(interval)


def _free_name(path: Path) -> Path:
    """``path``, or ``name-2.ext``, ``name-3.ext``... when it is taken."""
    if not path.exists():
        return path
    n = 2
    while (candidate := path.with_name(f"{path.stem}-{n}{path.suffix}")).exists():
        n += 1
    return candidate

"""Imports flow one way: the import-linter contracts in pyproject.toml hold.

Layers from the top: the CLI and the server's entry points; the app shell; pages; the serving
plumbing pages use (warm-up, live version, outage, upload); sign-in; figures; view models; store
reads; metrics; the shared leaves (urls, ids, exports); and loaders beneath the dashboard. Metrics
import no dash, plotly, flask or sqlalchemy, and only reads (and sign-in) query the store. When an
import breaks a contract, the failure shows the chain that breaks it.

No database, no browser.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from importlinter.cli import lint_imports

PYPROJECT = Path(__file__).resolve().parents[2] / "pyproject.toml"


def test_the_import_contracts_hold(capfd):
    status = lint_imports(config_filename=str(PYPROJECT), no_cache=True, no_logo=True)
    report = capfd.readouterr().out
    assert status == 0, report


def test_no_contract_is_kept_by_ignoring_imports():
    contracts = tomllib.loads(PYPROJECT.read_text())["tool"]["importlinter"]["contracts"]
    assert contracts
    assert [c["name"] for c in contracts if c.get("ignore_imports")] == []

"""Dash's babel polyfill swapped for regenerator's runtime (``dashboard.serve.polyfill``): the
swap happens where Dash writes the tag, the runtime stays first, and the bundles that call
``regeneratorRuntime`` are the ones the README names (a new one would need a look). No browser,
no store."""

from __future__ import annotations

import re
from pathlib import Path

import dash

from dashboard.serve import polyfill

DASH_TAGS = (
    '<script src="/_dash-component-suites/dash/deps/polyfill@7.v4_4_1m17.12.1.min.js"></script>\n'
    '<script src="/_dash-component-suites/dash/deps/react@18.v4_4_1m17.3.1.min.js"></script>'
)


def test_the_polyfill_tag_becomes_the_runtime_in_its_place():
    out = polyfill.scripts_html(DASH_TAGS, "/assets/vendor/regenerator/r.js")
    assert "polyfill@" not in out
    assert out.splitlines()[0] == '<script src="/assets/vendor/regenerator/r.js"></script>'
    assert "react@18" in out.splitlines()[1]


def test_scripts_without_the_polyfill_are_left_alone():
    tags = '<script src="/_dash-component-suites/dash/deps/react@18.min.js"></script>'
    assert polyfill.scripts_html(tags, "/r.js") == tags


def test_the_runtime_file_defines_the_global_and_is_ignored_as_an_asset():
    text = polyfill.RUNTIME_FILE.read_text()
    assert "globalThis.regeneratorRuntime = runtime" in text
    assert re.search(polyfill.ASSETS_IGNORE, polyfill.RUNTIME_FILE.name)


def test_the_bundles_that_need_the_runtime_are_known():
    """The page scripts that call ``regeneratorRuntime`` (the one thing they take from the
    polyfill); a Dash upgrade that changes this list gets a look before it ships."""
    import dash_ag_grid
    import dash_bootstrap_components

    root = Path(dash.__file__).parent
    served = {
        "dash-renderer": root / "dash-renderer/build/dash_renderer.min.js",
        "dcc": root / "dcc/dash_core_components.js",
        "html": root / "html/dash_html_components.min.js",
        "dash_table": root / "dash_table/bundle.js",
        "dbc": Path(dash_bootstrap_components.__file__).parent
        / "_components/dash_bootstrap_components.min.js",
        "ag-grid": Path(dash_ag_grid.__file__).parent / "dash_ag_grid.min.js",
    }
    users = {name for name, path in served.items() if "regeneratorRuntime" in path.read_text()}
    assert users == {"dash-renderer", "dcc", "dash_table", "dbc"}

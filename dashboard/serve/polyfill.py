"""Dash's babel polyfill replaced by the one thing modern browsers lack: regenerator's runtime.

Dash's index puts ``@babel/polyfill`` 7.12.1 first on every page: core-js 2 (polyfills for
ES2015–ES2019, all native in the browsers Team Car supports) and regenerator's runtime, 99 KB of
JavaScript to parse and run before anything else, which the bare Dash page pays too. The
component bundles still call the global ``regeneratorRuntime`` from their transpiled ``async``
functions, so ``scripts_html`` puts that runtime alone (25 KB, ``assets/vendor/regenerator/``)
where the polyfill's tag was, still first. ``ASSETS_IGNORE`` keeps Dash from adding the file a
second time among the assets.
"""

from __future__ import annotations

import re

from loaders.config import REPO_ROOT

RUNTIME = "vendor/regenerator/regenerator-runtime-0.14.1.js"
RUNTIME_FILE = REPO_ROOT / "assets" / RUNTIME
ASSETS_IGNORE = r"^regenerator-runtime-[0-9.]+\.js$"
# The polyfill's tag as Dash writes it (served locally, fingerprinted: polyfill@7.v4_4_1m….js).
_POLYFILL_TAG = re.compile(r'<script src="[^"]*/deps/polyfill@[^"]*"></script>')


def scripts_html(scripts: str, runtime_url: str) -> str:
    """Dash's script tags with the polyfill's tag replaced by the runtime's.

    Args:
        scripts: what ``Dash._generate_scripts_html`` wrote.
        runtime_url: where the runtime is served (``app.get_asset_url(RUNTIME)``).

    Returns:
        The tags with the runtime first; unchanged when Dash wrote no polyfill tag (a Dash that
        stopped shipping it, or scripts served from a CDN).
    """
    return _POLYFILL_TAG.sub(lambda _m: f'<script src="{runtime_url}"></script>', scripts, count=1)


__all__ = ["ASSETS_IGNORE", "RUNTIME", "RUNTIME_FILE", "scripts_html"]

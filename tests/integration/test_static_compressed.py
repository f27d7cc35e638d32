"""Static files are compressed once per worker; pages and callbacks are compressed each time."""

from __future__ import annotations

import gzip
import re

import pytest

from tests.support.demo import demo_copy
from tests.support.stores import use_store

PLOTLY = "/_dash-component-suites/plotly/package_data/plotly.min.js"


@pytest.fixture
def served(tmp_path, monkeypatch):
    from dashboard.serve.server import served_app

    use_store(demo_copy(tmp_path), monkeypatch, tmp_path / "data")
    return served_app()


def _cache(app):
    from flask_compress import Compress

    from dashboard.serve.server import StaticCompressed

    hooks = app.server.after_request_funcs[None]
    (compress,) = [h.__self__ for h in hooks if isinstance(getattr(h, "__self__", None), Compress)]
    assert isinstance(compress.cache, StaticCompressed)
    return compress.cache


def test_a_static_file_is_compressed_once_and_served_the_same(served, monkeypatch):
    import flask_compress.flask_compress as fc

    client = served.server.test_client()
    html = gzip.decompress(client.get("/", headers={"Accept-Encoding": "gzip"}).data).decode()
    (script,) = re.findall(r'src="([^"]+dash_ag_grid[^"]*\.js)"', html)
    calls = []
    real = fc._compress_data
    monkeypatch.setattr(fc, "_compress_data", lambda *a: calls.append(a[2]) or real(*a))
    first = client.get(script, headers={"Accept-Encoding": "br"})
    again = client.get(script, headers={"Accept-Encoding": "br"})
    zipped = client.get(script, headers={"Accept-Encoding": "gzip"})
    plain = client.get(script)
    assert first.headers["Content-Encoding"] == "br" and again.data == first.data
    assert gzip.decompress(zipped.data) == plain.data
    assert calls == ["br", "gzip"], "each encoding of the file compressed once"
    assert f"br;{script}" in _cache(served)._kept


def test_pages_and_callbacks_are_never_kept(served):
    client = served.server.test_client()
    for _ in range(2):
        page = client.get("/", headers={"Accept-Encoding": "gzip"})
        assert page.headers["Content-Encoding"] == "gzip"
        layout = client.get("/_dash-layout", headers={"Accept-Encoding": "gzip"})
        assert layout.status_code == 200
        script = client.get(PLOTLY, headers={"Accept-Encoding": "gzip"})
        assert script.headers["Content-Encoding"] == "gzip"
    assert list(_cache(served)._kept) == [f"gzip;{PLOTLY}"]


def test_the_lazy_wrappers_are_on_every_page(served):
    """assets/lazy.js (grids and graphs built when they come on screen) loads before the two
    wrappers that use it, lazy_grid.js after the grid's bundle, and both before Dash's renderer
    reads the components (lazy_graph.js wraps dash_core_components as it is assigned: Dash 4
    loads it after the renderer's script, before the renderer starts); and before lazy_panel.js,
    whose panels it decides (``whenNear``)."""
    html = served.server.test_client().get("/").data.decode()
    scripts = re.findall(r'<script src="([^"]+)"', html)
    names = [s.rsplit("/", 1)[-1].split("?")[0] for s in scripts]
    grid = next(i for i, n in enumerate(names) if n.startswith("dash_ag_grid"))
    renderer = next(i for i, n in enumerate(names) if n.startswith("dash_renderer"))
    assert grid < names.index("lazy.js") < names.index("lazy_grid.js") < renderer
    assert names.index("lazy.js") < names.index("lazy_graph.js") < renderer
    assert names.index("lazy.js") < names.index("lazy_panel.js")

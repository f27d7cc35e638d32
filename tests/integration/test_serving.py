"""The served app compresses what it sends (scripts, pages, callback JSON) when asked to."""

from __future__ import annotations

import re

from tests.support.demo import demo_copy
from tests.support.stores import use_store


def test_responses_are_compressed(tmp_path, monkeypatch):
    import gzip

    from dashboard.serve.server import served_app

    use_store(demo_copy(tmp_path), monkeypatch, tmp_path / "data")
    client = served_app().server.test_client()
    page = client.get("/", headers={"Accept-Encoding": "gzip"})
    assert page.status_code == 200
    assert page.headers.get("Content-Encoding") == "gzip"
    html = gzip.decompress(page.data).decode()
    scripts = re.findall(r'src="([^"]+dash_ag_grid[^"]*\.js)"', html)
    assert scripts, "the page loads the grid's bundle"
    plain = client.get(scripts[0])
    packed = client.get(scripts[0], headers={"Accept-Encoding": "gzip"})
    assert packed.headers.get("Content-Encoding") == "gzip"
    assert gzip.decompress(packed.data) == plain.data
    assert len(packed.data) < len(plain.data) / 2


def test_dash_is_set_up_before_the_first_request(tmp_path, monkeypatch):
    """Threaded workers: a script asked for while another thread serves the first request must
    find its library registered (Dash registers them in a first-request hook)."""
    from dashboard.serve.server import served_app

    use_store(demo_copy(tmp_path), monkeypatch, tmp_path / "data")
    app = served_app()
    assert {"dash_bootstrap_components", "dash_ag_grid"} <= set(app.registered_paths)
    assert all(app._got_first_request.values())


def test_plotly_js_is_the_partial_bundle_and_other_files_are_dashs():
    """Dash's graph loads plotly.js from the plotly package's path: the app answers it with the
    partial bundle (1.6 MB, not the full 4.8 MB); every other component file is Dash's."""
    from dashboard.app import create_app
    from dashboard.serve import plotly_js

    client = create_app().server.test_client()
    resp = client.get(plotly_js.PATH)
    assert resp.status_code == 200
    assert resp.headers["X-Teamcar-Plotly-Bundle"] == "teamcar"
    assert resp.data == plotly_js.bundle_path().read_bytes()
    assert len(resp.data) < 2_000_000
    dcc_js = client.get("/_dash-component-suites/dash/dcc/dash_core_components.js")
    assert dcc_js.status_code == 200 and b"dash_core_components" in dcc_js.data
    page = client.get("/data").get_data(as_text=True)
    assert "vendor/plotly" not in page  # neither the bundle nor its build entry is a page script

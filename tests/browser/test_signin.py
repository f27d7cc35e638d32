"""Journeys: signing in to a shared Team Car, and seeing only what one may.

A store of nine reps in three teams (East, West, Central). Mia manages East: after signing in she
lands on East, the team picker offers East alone, and the Course shows East's riders only. Lee,
a leader, sees every team. A wrong password gets the one generic message. The sign-in page is
saved under ``bench/out/screenshots/`` for people to look at.
"""

from __future__ import annotations

import re

import pytest

from dashboard import auth
from loaders.generate.course_store import build_course_store
from loaders.store.engine import get_engine, upgrade
from tests.support.browser import screenshot

pytestmark = pytest.mark.browser
PASSWORD = "correct horse battery"
LANES_JS = """
() => {
  const gd = document.querySelector('#course-map .js-plotly-plot');
  return gd.layout.yaxis.ticktext.filter((t) => !t.startsWith('<b>'));
}
"""
MAP_READY_JS = (
    "() => { const gd = document.querySelector('#course-map .js-plotly-plot');"
    " return gd && gd.layout && gd.layout.yaxis && gd.layout.yaxis.ticktext &&"
    " gd.layout.yaxis.ticktext.length > 0; }"
)


@pytest.fixture
def shared_store(tmp_path, data_dir):
    url = f"sqlite:///{tmp_path / 'shared.db'}"
    upgrade(url)
    engine = get_engine(url)
    info = build_course_store(engine, reps=9, teams=3, weeks=3)
    auth.add_user(engine, "Mia Manager", "manager", ["East"], PASSWORD)
    auth.add_user(engine, "Lee Leader", "leader", password=PASSWORD)
    engine.dispose()
    teams = info["teams"]
    return url, {
        t: sorted(r for r, team in teams.items() if team == t) for t in set(teams.values())
    }


def sign_in(page, name: str, password: str = PASSWORD) -> None:
    page.locator("#signin-name").fill(name)
    page.locator("#signin-password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def lanes(page) -> list[str]:
    page.wait_for_function(MAP_READY_JS, timeout=30_000)
    page.wait_for_timeout(300)
    return sorted(page.evaluate(LANES_JS))


def test_a_manager_signs_in_and_sees_only_their_team(
    serve_store, shared_store, data_dir, page, console_errors
):
    url, by_team = shared_store
    base = serve_store(url, data_dir)
    page.goto(base + "/review")
    page.wait_for_url(re.compile(r"/login\?next="))
    assert page.get_by_role("heading", name="Sign in").is_visible()
    screenshot(page, "signin-page")

    sign_in(page, "Mia Manager", "not her password")
    alert = page.get_by_role("alert")
    alert.wait_for()
    assert "do not match an account" in alert.inner_text()
    assert page.locator("#signin-name").input_value() == "Mia Manager"
    screenshot(page, "signin-wrong-password")
    console_errors.clear()  # the browser logs the 401 answer of a refused sign-in

    page.locator("#signin-password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(re.compile(r"/review\?.*team=East"))
    assert page.locator(".shell-user-name").inner_text() == "Mia Manager"

    course_link = page.locator(".navbar").get_by_role("link", name="Course", exact=True)
    page.wait_for_function(
        "() => (document.querySelector('#shell-nav-course') || {}).href"
        " && document.querySelector('#shell-nav-course').href"
        ".includes('team=East')"
    )
    course_link.click()
    page.wait_for_url(re.compile(r"^[^?]*/\?.*team=East"))
    assert lanes(page) == by_team["East"]
    options = [o for o in page.locator("#shell-team option").all_inner_texts() if o]
    assert options == ["East"]
    assert not page.locator(".navbar").get_by_role("link", name="Data", exact=True).is_visible()
    assert page.get_by_role("button", name="Sign out").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 1440
    screenshot(page, "signin-manager-course")

    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url(re.compile(r"/login$"))
    page.goto(base + "/")
    page.wait_for_url(re.compile(r"/login\?next="))
    assert console_errors == []


def test_a_leader_sees_every_team(serve_store, shared_store, data_dir, page, console_errors):
    url, by_team = shared_store
    base = serve_store(url, data_dir)
    page.goto(base + "/")
    sign_in(page, "Lee Leader")
    page.wait_for_url(re.compile(r"^[^?]*/(\?.*)?$"))
    everyone = sorted(r for reps in by_team.values() for r in reps)
    assert lanes(page) == everyone
    options = [o for o in page.locator("#shell-team option").all_inner_texts() if o]
    assert options == ["All teams", *sorted(by_team)]
    assert page.locator(".shell-user-role").text_content() == "leader"
    # The bar fits a laptop's screen: nothing pushed off its right edge.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1440
    assert console_errors == []

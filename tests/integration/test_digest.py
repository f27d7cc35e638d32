"""``teamcar digest`` on the hand-checked book (tests/support/book.py): the glance's numbers are the
Course's and the Review's, each format renders them with the data escaped, and ``--post`` talks
to a local incoming webhook (success, 500, timeout, refused, redirect).

The book: quarter 2026-Q4 (92 days), as_of 2026-11-22 -> pace 53/92. Snapshot days 10-30
(HubSpot), 11-01 (Salesforce), 11-20 (HubSpot), 11-22 (Salesforce).
"""

from __future__ import annotations

import dataclasses
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from dashboard import urls
from dashboard.cli import digest as cli_digest
from dashboard.cli.digest import PostError, post, render_html, render_markdown, render_slack
from dashboard.models.course import course_model
from dashboard.models.digest import DigestError, build_glance, default_since
from dashboard.models.review import focus_list, review_model
from dashboard.models.rider import rider_model
from loaders.store.engine import get_engine
from tests.support.book import AS_OF, QUARTER, make_store, seed_book
from tests.support.cli import teamcar

PACE = 53 / 92
SINCE_DEFAULT = AS_OF.replace(day=20)  # the snapshot day before 11-22


@pytest.fixture(scope="module")
def book_engine(tmp_path_factory):
    """The book on SQLite (the glance reads through the pages' models, tested on both stores)."""
    url, drop = make_store("sqlite", tmp_path_factory.mktemp("digest-book"))
    engine = get_engine(url)
    seed_book(engine)
    yield engine
    drop()


@pytest.fixture
def glance(book_engine):
    return build_glance(book_engine, AS_OF)


def _course(engine, team=None):
    query = {"quarter": QUARTER, "as_of": AS_OF.isoformat(), "since": SINCE_DEFAULT.isoformat()}
    return course_model(engine, urls.resolve({**query, "team": team} if team else query), None)


# --- the numbers are the pages' ----------------------------------------------------------------


def test_position_is_the_courses_and_the_reviews(book_engine, glance):
    p = glance.position
    # Riders' quotas Ann 100,000 + Bob 50,000 + Dan 20,000 = 170,000; won A1 30,000 + B1 60,000;
    # pace gap 90,000 - 170,000 x 53/92 = -7,934.78; open A3 20k + A4 40k + B2 10k + C1 15k +
    # D1 20k = 105,000; coverage 105,000 / 80,000; commit forecast 90,000 + A3 20,000.
    assert p["quota"] == 170000.0 and p["won"] == 90000.0
    assert p["attainment"] == pytest.approx(90 / 170) and p["pace"] == pytest.approx(PACE)
    assert p["pace_gap"] == pytest.approx(90000 - 170000 * PACE)
    assert p["open_pipeline"] == 105000.0 and p["coverage"] == pytest.approx(105000 / 80000)
    assert p["commit_forecast"] == 110000.0
    course = _course(book_engine).team
    review = review_model(book_engine, QUARTER, AS_OF, SINCE_DEFAULT, None, None).figures
    for key, value in p.items():
        assert value == course[key] == review[key], key


def test_each_teams_position_is_the_course_with_that_team(book_engine, glance):
    # East first: -7,934.78 behind; West has no quota (pace gap 0 - 0 x pace = 0).
    assert [t["team"] for t in glance.by_team] == ["East", "West"]
    for row in glance.by_team:
        course = _course(book_engine, row["team"]).team
        for key in ("won", "quota", "pace_gap", "open_pipeline", "coverage"):
            assert row[key] == course[key], (row["team"], key)
    assert glance.by_team[1]["open_pipeline"] == 15000.0  # C1


def test_movement_since_the_previous_snapshot_is_the_reviews_waterfall(book_engine, glance):
    # Default since: latest snapshot on or before 11-22 is 11-22, the one before it 11-20.
    assert glance.since == SINCE_DEFAULT
    # On 11-20 Salesforce's latest is 11-01: SA = A3 20k, A4 30k, B1 60k, B2 10k, X1 5k, P1 8k,
    # C1 15k = 148,000; + D1 20,000 created + A4 10,000 increased - B1 60,000 won - P1 8,000
    # pushed out - X1 5,000 removed = 105,000; A2 5,000 created and won apart.
    w = glance.movement
    assert (w["start"], w["created"], w["increased"], w["won"]) == (148000, 20000, 10000, 60000)
    assert (w["pushed_out"], w["removed"], w["end"], w["won_new"]) == (8000, 5000, 105000, 5000)
    review = review_model(book_engine, QUARTER, AS_OF, SINCE_DEFAULT, None, None)
    assert w == {k: review.waterfall[k] for k in w}
    assert [m["deal_name"] for m in glance.moves] == [
        "Deal B1",  # -60,000
        "Deal D1",  # +20,000
        "Deal A4",  # +10,000
        "Deal P1",  # -8,000
        "Deal X1",  # -5,000
    ]
    assert glance.moved_counts["won"] == 1 and glance.moved_counts["won_new"] == 1


def test_focus_is_the_reviews_focus_list(book_engine, glance):
    # Open in-quarter deals by amount x probability: A4 40k x 0.5 = 20,000; A3 20k x 0.8 = 16,000;
    # D1 20k x 0.5 = 10,000; C1 15k x 0.2 = 3,000; B2 10k x 0.1 = 1,000. Gap 170,000 - 90,000 =
    # 80,000: running 40,000, 60,000, 80,000 -> the top 3 close it.
    assert [d["deal_name"] for d in glance.focus] == ["Deal A4", "Deal A3", "Deal D1"]
    assert [d["running_amount"] for d in glance.focus] == [40000.0, 60000.0, 80000.0]
    assert glance.focus_info == {
        "gap": 80000.0,
        "deals": 5,
        "deals_to_gap": 3,
        "open_pipeline": 105000.0,
    }
    review = review_model(book_engine, QUARTER, AS_OF, SINCE_DEFAULT, None, None)
    rows, _ = focus_list(review)
    assert [d["weighted"] for d in glance.focus] == rows["weighted"].head(3).tolist()


def test_who_needs_help_carries_the_riders_flags(book_engine, glance):
    # Behind pace (attainment - pace): Dan 0 - 0.576, Ann 0.3 - 0.576; Bob is ahead (120%);
    # Cat (West) and Zed (off the roster) have no quota.
    assert [h["rep"] for h in glance.help] == ["Dan New", "Ann Lee"]
    ann = glance.help[1]
    assert ann["pace_gap"] == pytest.approx(30000 - 100000 * PACE)  # -27,608.70
    # Ann's open deals: A3 past due (close 11-10), A4 without a next step; neither stale
    # (A3 called 11-12, Sam Se met on A4 11-15), pushed, or large (2 x 36,666.67).
    assert ann["flags"] == {"past due": 1, "no next step": 1}
    assert (ann["readiness_index"], ann["readiness_band"]) == (50.0, "amber")
    rider = rider_model(book_engine, "Ann Lee", QUARTER, AS_OF, SINCE_DEFAULT, None)
    deals = rider.deals
    assert ann["flags"]["past due"] == int(deals["past_due"].sum())
    assert ann["flags"]["no next step"] == int(deals["no_next_step"].sum())
    assert ann["coverage"] == rider.figures["coverage"]
    assert glance.help[0]["flags"] == {}
    assert glance.no_quota == ["Cat Wu", "Zed Unknown"]


def test_one_team(book_engine):
    east = build_glance(book_engine, AS_OF, teams=["East"])
    # Without Cat's C1 (15,000): open 90,000, movement 133,000 -> 90,000; 4 open deals.
    assert east.position["open_pipeline"] == 90000.0 and east.by_team == []
    assert (east.movement["start"], east.movement["end"]) == (133000.0, 90000.0)
    assert east.focus_info["deals"] == 4 and east.no_quota == []
    assert east.position == {k: _course(book_engine, "East").team[k] for k in east.position}


def test_given_since_and_bad_requests(book_engine):
    g = build_glance(book_engine, AS_OF, since=AS_OF.replace(day=1))
    assert g.since == AS_OF.replace(day=1) and g.movement["start"] == 148000.0
    with pytest.raises(DigestError, match="unknown team 'North'.*East, West"):
        build_glance(book_engine, AS_OF, teams=["North"])
    with pytest.raises(DigestError, match="before"):
        build_glance(book_engine, AS_OF, since=AS_OF)
    first = build_glance(book_engine, AS_OF.replace(day=1), since=None)
    # 11-01: the latest snapshot on or before it is 11-01, the one before it 10-30.
    assert first.since == AS_OF.replace(month=10, day=30)


@pytest.mark.parametrize(
    ("days", "as_of", "expected"),
    [
        ([], 22, None),
        ([20], 22, None),
        ([1, 20, 22], 22, 20),
        ([1, 20, 22], 21, 1),
        ([1, 20, 22, 29], 22, 20),
    ],
)
def test_default_since(days, as_of, expected):
    day = AS_OF.replace
    got = default_since([day(day=d) for d in days], day(day=as_of))
    assert got == (day(day=expected) if expected else None)


# --- formats -----------------------------------------------------------------------------------


def test_markdown(glance):
    text = render_markdown(glance)
    assert text.startswith("### Team Car · 2026-Q4 · 22 Nov 2026 · all teams\n")
    assert (
        "Won **90,000** of 170,000 quota · attainment **53%** vs pace 58% · pace gap "
        "**−7,935** (behind pace)" in text
    )
    assert "Pipeline this quarter **148,000** → **105,000**: +20,000 new (1)" in text
    assert "Gap to quota **80,000**: winning the top 3 of 5 open deals closes it." in text
    assert "1. Deal A4 · Acct A4 · Ann Lee · **40,000** × 50% · closes 15 Dec" in text
    assert "- Ann Lee (East): **30%** vs pace 58%, gap −27,609" in text
    assert "1 past due, 1 no next step, readiness 50 (watch)" in text
    assert "No quota loaded: Cat Wu, Zed Unknown" in text


HOSTILE = '<script>alert("x")</script> & *bold* [link](http://e.x) |pipe| _u_ `c`'


def _hostile(glance):
    focus = [dict(glance.focus[0], deal_name=HOSTILE, account="A&B <Co>"), *glance.focus[1:]]
    return dataclasses.replace(glance, focus=focus, teams=["East <b>"])


def test_every_format_escapes_the_data(glance):
    g = _hostile(glance)
    page = render_html(g)
    assert "<script" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; *bold*" in page
    assert "A&amp;B &lt;Co&gt;" in page and "East &lt;b&gt;" in page
    md = render_markdown(g)
    assert r"\<script\>alert(\"x\")" not in md  # quotes are not Markdown
    assert r"\<script\>alert(" in md and r"\&" in md and r"\*bold\*" in md
    assert r"\[link\](http://e.x) \|pipe\| \_u\_ \`c\`" in md
    assert "East \\<b\\>" in md
    slack = render_slack(g)
    dump = json.dumps(slack)
    assert "<script" not in dump and "&lt;script&gt;" in dump and "A&amp;B &lt;Co&gt;" in dump
    assert slack["text"].startswith("Team Car · 2026-Q4 · 22 Nov 2026 · East &lt;b&gt;")


def test_slack_blocks(glance):
    msg = render_slack(glance)
    assert msg["text"].startswith("Team Car · 2026-Q4 · 22 Nov 2026 · all teams: Won 90,000")
    kinds = [b["type"] for b in msg["blocks"]]
    assert kinds == ["header", "section", "section", "section", "section", "context"]
    sections = [b["text"]["text"] for b in msg["blocks"] if b["type"] == "section"]
    assert sections[0].startswith("*Position against pace*\nWon *90,000* of 170,000")
    assert "1. Deal A4 · Acct A4 · Ann Lee · *40,000* × 50%" in sections[2]
    assert all(b["text"]["type"] == "mrkdwn" for b in msg["blocks"] if b["type"] == "section")
    assert all(len(t) <= 3000 for t in sections)


def test_html_is_a_fragment(glance):
    page = render_html(glance)
    assert page.startswith("<div style=") and page.rstrip().endswith("</div>")
    for tag in ("<html", "<head", "<style", "<script", "<img", "<link", "class="):
        assert tag not in page
    assert "<strong>90,000</strong> of 170,000 quota" in page


# --- posting -------------------------------------------------------------------------------------

TOKEN_PATH = "/services/T000/B000/SeCrEtToKeN"


class _Receiver:
    """An incoming webhook on an ephemeral port: records posts, answers as told."""

    def __init__(self):
        self.posts: list[tuple[str, dict, dict]] = []
        self.status, self.body, self.headers = 200, b"ok", {}
        self.hold = threading.Event()  # set: answer; unset with wait: hang until released
        self.hold.set()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                length = int(self.headers.get("Content-Length", 0))
                raw = self.rfile.read(length)
                receiver.posts.append((self.path, dict(self.headers), json.loads(raw)))
                receiver.hold.wait(10)
                self.send_response(receiver.status)
                for k, v in receiver.headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(receiver.body)))
                self.end_headers()
                self.wfile.write(receiver.body)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_port}{TOKEN_PATH}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self):
        self.hold.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    r = _Receiver()
    yield r
    r.close()


def _no_secret(message: str) -> None:
    assert "SeCrEtToKeN" not in message and "/services" not in message


def test_post_success(receiver, glance):
    status = post(receiver.url, cli_digest.payload(glance, "slack"), timeout=5)
    assert status == "200 OK"
    path, headers, body = receiver.posts[0]
    assert path == TOKEN_PATH and headers["Content-Type"].startswith("application/json")
    assert body == render_slack(glance)
    post(receiver.url, cli_digest.payload(glance, "markdown"), timeout=5)
    assert receiver.posts[1][2] == {"text": render_markdown(glance)}


def test_post_500_names_status_and_first_line(receiver):
    receiver.status, receiver.body = 500, f"boom at {TOKEN_PATH}\nsecond line".encode()
    with pytest.raises(PostError) as caught:
        post(receiver.url, {"text": "x"}, timeout=5)
    message = str(caught.value)
    port = receiver.server.server_port
    assert message == f"http://127.0.0.1:{port}/… answered 500 Internal Server Error: boom at …"
    _no_secret(message)


def test_post_redirect_is_not_followed(receiver):
    receiver.status, receiver.headers = 302, {"Location": "http://127.0.0.1:1/elsewhere"}
    with pytest.raises(PostError, match="answered 302 Found") as caught:
        post(receiver.url, {"text": "x"}, timeout=5)
    _no_secret(str(caught.value))
    assert len(receiver.posts) == 1


def test_post_timeout(receiver):
    receiver.hold.clear()  # the receiver reads the post and does not answer
    with pytest.raises(PostError) as caught:
        post(receiver.url, {"text": "x"}, timeout=0.3)
    message = str(caught.value)
    assert message.endswith("did not answer within 0.3 s") or "no answer within 0.3 s" in message
    _no_secret(message)


def test_post_refused():
    import socket

    with socket.socket() as sock:  # a port nobody listens on once closed
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    with pytest.raises(PostError) as caught:
        post(f"http://127.0.0.1:{port}{TOKEN_PATH}", {"text": "x"}, timeout=2)
    assert str(caught.value) == f"could not reach http://127.0.0.1:{port}/…: connection refused"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("file:///etc/passwd", "only http:// and https://"),
        ("ftp://example.com/x", "only http:// and https://"),
        ("https:///services/x", "no host"),
        ("http://example.com:port/services/SeCrEtToKeN", "not a web address"),
    ],
)
def test_post_refuses_other_addresses(url, message):
    with pytest.raises(PostError, match=message) as caught:
        post(url, {"text": "x"})
    _no_secret(str(caught.value))


def test_safe_url():
    assert cli_digest.safe_url("https://user:pw@hooks.example.com:8443" + TOKEN_PATH + "?t=1") == (
        "https://hooks.example.com:8443/…"
    )


def test_the_command_posts_and_fails_in_one_line(book_engine, receiver):
    env = {
        "TEAMCAR_DATABASE_URL": book_engine.url.render_as_string(hide_password=False),
        "COLUMNS": "80",
    }
    args = ("digest", "--as-of", "2026-11-22", "--format", "slack", "--post", receiver.url)
    run = teamcar(*args, env=env)
    port = receiver.server.server_port
    assert run.stdout == f"Posted the digest (slack) to http://127.0.0.1:{port}/…: 200 OK.\n"
    assert receiver.posts[0][2]["blocks"][0]["type"] == "header"
    receiver.status, receiver.body = 500, b"invalid_payload"
    failed = teamcar(*args, env=env, check=False)
    assert failed.returncode == 2 and "Traceback" not in failed.stderr
    assert failed.stderr.strip().splitlines() == [
        f"error http://127.0.0.1:{port}/… answered 500 Internal Server Error: invalid_payload"
    ]
    _no_secret(failed.stdout + failed.stderr)


def test_the_command_reads_the_webhook_from_the_environment(book_engine, receiver):
    """``--post-env VAR``: the address never is an argument (the process list shows arguments
    to every user of the machine), only the variable's name is."""
    env = {
        "TEAMCAR_DATABASE_URL": book_engine.url.render_as_string(hide_password=False),
        "COLUMNS": "80",
        "DIGEST_WEBHOOK": receiver.url,
    }
    args = ("digest", "--as-of", "2026-11-22", "--format", "markdown", "--post-env")
    run = teamcar(*args, "DIGEST_WEBHOOK", env=env)
    port = receiver.server.server_port
    assert run.stdout == f"Posted the digest (markdown) to http://127.0.0.1:{port}/…: 200 OK.\n"
    ((path, _headers, body),) = receiver.posts
    assert path == TOKEN_PATH and body["text"].startswith("#")
    assert cli_digest.webhook_from_env("HOOK", {"HOOK": f" {receiver.url}\n"}) == receiver.url
    # unset, empty, not a variable's name, or with --post as well: one line, nothing posted
    for extra, said in (
        (("--post-env", "NO_SUCH_HOOK"), "--post-env NO_SUCH_HOOK: that environment variable"),
        (("--post-env", "EMPTY_HOOK"), "--post-env EMPTY_HOOK: that environment variable"),
        (("--post-env", receiver.url), "give the name of an environment variable"),
        (("--post-env", "DIGEST_WEBHOOK", "--post", receiver.url), "not both"),
    ):
        failed = teamcar(*args[:-1], *extra, env={**env, "EMPTY_HOOK": " "}, check=False)
        assert failed.returncode == 2 and "Traceback" not in failed.stderr
        (line,) = failed.stderr.strip().splitlines()
        assert said in line
        _no_secret(line)
    assert len(receiver.posts) == 1

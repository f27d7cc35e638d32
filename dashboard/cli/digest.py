"""``teamcar digest``: the day's glance as Markdown, an HTML fragment or a Slack message, and its
post to an incoming webhook.

The glance comes from ``dashboard.models.digest.build_glance`` (the pages' own numbers). Here it
is laid out once as sections of lines made of segments, each segment either our own words and
numbers or a value from the data; each renderer escapes the data for its format: Markdown
(GitHub and Teams) by backslashes, HTML by entities, Slack's mrkdwn by its three entities (&, <,
>). Deal, account, rep and team names are clipped to ``CLIP`` characters (a chat line, not a
record) and their line breaks folded.

``post`` sends the message with the standard library (``urllib.request``): one JSON POST, a
timeout, no redirects followed, and errors in one line naming only ``scheme://host/…`` (an
incoming webhook's path is its secret). ``--post-env VAR`` reads the address from an environment
variable (``webhook_from_env``), so it is never in the process list as ``--post URL`` is.
"""

from __future__ import annotations

import html
import json
import re
import socket
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from dashboard.figures import style as s
from dashboard.models.digest import Glance

FORMATS = ("markdown", "html", "slack")
CLIP = 80  # characters of a name in a message
SLACK_SECTION_MAX = 3000  # Slack's limit on a section's text
BODY_LINE_MAX = 200  # characters of an error body quoted back
DEFAULT_TIMEOUT = 10.0
MOVE_WORDS = {
    "created": "new",
    "pulled_in": "pulled in",
    "increased": "increased",
    "decreased": "decreased",
    "won": "won",
    "lost": "lost",
    "pushed_out": "pushed out",
    "removed": "removed",
}
ARRIVING = ("created", "pulled_in", "increased")


class PostError(Exception):
    """The webhook could not take the message; a one-line, secret-free message."""


# --- the message as sections of segments ---------------------------------------------------


@dataclass
class Seg:
    """A piece of a line: ``data`` pieces come from the store and are escaped by every renderer
    (our own words and numbers are too, where the format needs it)."""

    text: str
    bold: bool = False
    data: bool = False


@dataclass
class Section:
    title: str
    lines: list[list[Seg]] = field(default_factory=list)  # paragraphs before the list
    items: list[list[Seg]] = field(default_factory=list)
    ordered: bool = False
    after: list[list[Seg]] = field(default_factory=list)  # paragraphs after the list


def _d(value: object) -> Seg:
    """A value from the data: one line, clipped."""
    text = " ".join(str(value if value is not None else "—").split())
    if len(text) > CLIP:
        text = text[: CLIP - 1].rstrip() + "…"
    return Seg(text, data=True)


def _t(text: str, bold: bool = False) -> Seg:
    return Seg(text, bold=bold)


def _money(value) -> str:
    return s.money_full(value)


def _signed(value) -> str:
    text = s.money_full(value)
    return text if text.startswith("−") or text == s.MISSING or value == 0 else "+" + text


def _times(value) -> str:
    return s.MISSING if s.is_missing(value) else f"{float(value):.1f}x"


def _new_words(account: object, name: object) -> bool:
    """Whether ``account`` adds to a deal ``name`` (names often start with their account)."""
    if not account:
        return False
    return str(account).casefold() not in str(name or "").casefold()


def _who(glance: Glance) -> str:
    return ", ".join(glance.teams) if glance.teams else "all teams"


def title(glance: Glance) -> str:
    """``Team Car · 2026-Q4 · 22 Nov 2026 · all teams`` (teams are data: escape to render)."""
    return f"Team Car · {glance.quarter.name} · {s.day(glance.as_of)} · {_who(glance)}"


def _pace_words(figures: dict) -> list[Seg]:
    if not figures.get("quota"):
        return [_t("No quota loaded · won "), _t(_money(figures.get("won")), bold=True)]
    gap = figures.get("pace_gap") or 0.0
    state = "ahead of pace" if gap > 0 else "on pace" if gap == 0 else "behind pace"
    return [
        _t("Won "),
        _t(_money(figures.get("won")), bold=True),
        _t(f" of {_money(figures.get('quota'))} quota · attainment "),
        _t(s.pct(figures.get("attainment")), bold=True),
        _t(f" vs pace {s.pct(figures.get('pace'))} · pace gap "),
        _t(_signed(gap), bold=True),
        _t(f" ({state})"),
    ]


def _team_words(figures: dict) -> list[Seg]:
    """One team's line (the pace is the view's, said above)."""
    if not figures.get("quota"):
        return [_t(f"no quota loaded · won {_money(figures.get('won'))}")]
    return [
        _t("attainment "),
        _t(s.pct(figures.get("attainment")), bold=True),
        _t(f" · won {_money(figures.get('won'))} of {_money(figures.get('quota'))} · pace gap "),
        _t(_signed(figures.get("pace_gap")), bold=True),
    ]


def sections(glance: Glance) -> list[Section]:
    """The glance laid out: position, what moved, the deals that decide, who needs help."""
    p = glance.position
    out = []
    position = Section("Position against pace")
    position.lines.append(_pace_words(p))
    position.lines.append(
        [
            _t(
                f"Open pipeline {_money(p.get('open_pipeline'))} · coverage "
                f"{_times(p.get('coverage'))} · commit forecast {_money(p.get('commit_forecast'))}"
            )
        ]
    )
    for row in glance.by_team:
        position.items.append([_d(row["team"]), _t(": "), *_team_words(row)])
    if glance.teams_more:
        position.after.append(
            [_t(f"… and {glance.teams_more} more teams (teamcar digest --team NAME).")]
        )
    out.append(position)

    if glance.movement is not None:
        w, n = glance.movement, glance.moved_counts
        moved = Section(f"What moved since {s.day(glance.since)}")
        steps = []
        for key, word in MOVE_WORDS.items():
            if w.get(key):
                sign = "+" if key in ARRIVING else "−"
                steps.append(f"{sign}{_money(w[key])} {word} ({n.get(key, 0)})")
        moved.lines.append(
            [
                _t("Pipeline this quarter "),
                _t(_money(w["start"]), bold=True),
                _t(" → "),
                _t(_money(w["end"]), bold=True),
                _t(": " + (" · ".join(steps) if steps else "no change") + "."),
            ]
        )
        if w.get("won_new"):
            moved.lines.append(
                [
                    _t(
                        f"Created and won in between (apart from the pipeline): "
                        f"{_money(w['won_new'])} ({n.get('won_new', 0)})."
                    )
                ]
            )
        for m in glance.moves:
            moved.items.append(
                [
                    _d(m["deal_name"]),
                    _t(" ("),
                    _d(m["rep"]),
                    _t(f"): {m['movement'].lower()}, pipeline "),
                    _t(_signed(m["change"]), bold=True),
                ]
            )
        out.append(moved)
    else:
        out.append(Section("What moved", lines=[[_t("No earlier snapshot to compare with.")]]))

    info = glance.focus_info
    focus = Section("Deals that decide the quarter", ordered=True)
    gap, reach, total = info.get("gap"), info.get("deals_to_gap"), info.get("deals", 0)
    if gap is None:
        focus.lines.append([_t("No quota loaded: open deals by amount × probability.")])
    elif gap <= 0:
        focus.lines.append([_t("Quota is met: the largest expected wins still open.")])
    elif reach:
        focus.lines.append(
            [
                _t("Gap to quota "),
                _t(_money(gap), bold=True),
                _t(
                    f": winning the top {reach} of {total} open deals closes it"
                    + (
                        f" (the first {len(glance.focus)} here)."
                        if reach > len(glance.focus)
                        else "."
                    )
                ),
            ]
        )
    else:
        focus.lines.append(
            [
                _t("Gap to quota "),
                _t(_money(gap), bold=True),
                _t(
                    f": even all {total} open deals ({_money(info.get('open_pipeline'))}) "
                    "would not close it."
                ),
            ]
        )
    for d in glance.focus:
        due = ("past due " if d["past_due"] else "closes ") + s.day(d["close_date"], "%d %b")
        focus.items.append(
            [
                _d(d["deal_name"]),
                # the account when the deal's name does not already say it
                *(
                    [_t(" · "), _d(d["account"])]
                    if _new_words(d["account"], d["deal_name"])
                    else []
                ),
                _t(" · "),
                _d(d["rep"]),
                _t(" · "),
                _t(_money(d["amount"]), bold=True),
                _t(f" × {s.pct(d['probability'])} · {due} · running {_money(d['running_amount'])}"),
                *([_t(" ✓ closes the gap")] if d["closes_gap"] and d["rank"] == reach else []),
            ]
        )
    if not glance.focus:
        focus.lines.append([_t("No open deals closing this quarter.")])
    out.append(focus)

    helping = Section("Who needs help")
    behind = len(glance.help) + glance.help_more
    helping.lines.append(
        [
            _t(
                f"{behind} rider{'s' if behind != 1 else ''} behind pace"
                if behind
                else "Nobody is behind pace."
            )
        ]
    )
    for h in glance.help:
        words = [f"{n} {word}" for word, n in h["flags"].items()]
        band = h.get("readiness_band")
        if band in ("amber", "red"):
            words.append(f"readiness {float(h['readiness_index']):.0f} ({s.BAND_LABEL[band]})")
        helping.items.append(
            [
                _d(h["rep"]),
                *([_t(" ("), _d(h["team"]), _t(")")] if h["team"] else []),
                _t(": "),
                _t(s.pct(h["attainment"]), bold=True),
                _t(
                    f" vs pace {s.pct(h['pace'])}, gap {_signed(h['pace_gap'])} · coverage "
                    f"{_times(h['coverage'])}" + (" · " + ", ".join(words) if words else "")
                ),
            ]
        )
    if glance.help_more:
        helping.after.append([_t(f"… and {glance.help_more} more behind pace.")])
    if glance.no_quota:
        segs = [_t("No quota loaded: ")]
        for n, name in enumerate(glance.no_quota[:10]):
            segs += [*([_t(", ")] if n else []), _d(name)]
        if len(glance.no_quota) > 10:
            segs.append(_t(f" and {len(glance.no_quota) - 10} more"))
        helping.after.append(segs)
    out.append(helping)
    return out


def footer(glance: Glance) -> str:
    since = f" · compared with {s.day(glance.since)}" if glance.since else ""
    return f"Team Car digest · {glance.quarter.name} as of {s.day(glance.as_of)}{since}"


# --- renderers --------------------------------------------------------------------------------

_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|~#&])")


def md_escape(text: str) -> str:
    """Markdown text that renders as typed: backslash before every character Markdown (GitHub,
    Teams) could read as formatting, a link, HTML or an entity."""
    return _MD_SPECIAL.sub(r"\\\1", text)


def _md_line(segs: list[Seg]) -> str:
    out = []
    for seg in segs:
        text = md_escape(seg.text)
        out.append(f"**{text}**" if seg.bold else text)
    return "".join(out)


def render_markdown(glance: Glance) -> str:
    """The glance as Markdown (GitHub- and Teams-flavoured: a heading, bold, lists)."""
    parts = [f"### {md_escape(title(glance))}", ""]
    for sec in sections(glance):
        parts += [f"**{md_escape(sec.title)}**", ""]
        for line in sec.lines:
            parts += [_md_line(line), ""]
        for n, item in enumerate(sec.items, 1):
            parts.append((f"{n}. " if sec.ordered else "- ") + _md_line(item))
        if sec.items:
            parts.append("")
        for line in sec.after:
            parts += [_md_line(line), ""]
    parts.append(f"_{md_escape(footer(glance))}_")
    return "\n".join(parts) + "\n"


def _html_line(segs: list[Seg]) -> str:
    out = []
    for seg in segs:
        text = html.escape(seg.text, quote=True)
        out.append(f"<strong>{text}</strong>" if seg.bold else text)
    return "".join(out)


FONT = "font-family:Arial,Helvetica,sans-serif;color:#1f2933"


def render_html(glance: Glance) -> str:
    """The glance as an HTML fragment for an e-mail: inline styles only, no scripts, no images,
    every value escaped."""
    h = html.escape
    parts = [f'<div style="{FONT};font-size:14px;line-height:1.45">']
    parts.append(f'<h2 style="font-size:18px;margin:0 0 12px">{h(title(glance))}</h2>')
    for sec in sections(glance):
        parts.append(f'<h3 style="font-size:15px;margin:16px 0 6px">{h(sec.title)}</h3>')
        for line in sec.lines:
            parts.append(f'<p style="margin:0 0 6px">{_html_line(line)}</p>')
        if sec.items:
            tag = "ol" if sec.ordered else "ul"
            parts.append(f'<{tag} style="margin:0 0 6px;padding-left:22px">')
            parts += [f'<li style="margin:0 0 3px">{_html_line(i)}</li>' for i in sec.items]
            parts.append(f"</{tag}>")
        for line in sec.after:
            parts.append(f'<p style="margin:0 0 6px">{_html_line(line)}</p>')
    parts.append(f'<p style="margin:16px 0 0;font-size:12px;color:#616e7c">{h(footer(glance))}</p>')
    parts.append("</div>")
    return "\n".join(parts) + "\n"


def slack_escape(text: str) -> str:
    """Text for Slack: its three control characters as entities (``&``, ``<``, ``>``)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _slack_line(segs: list[Seg]) -> str:
    out = []
    for seg in segs:
        text = slack_escape(seg.text)
        out.append(f"*{text}*" if seg.bold and text.strip() else text)
    return "".join(out)


def _slack_sections(text: str) -> list[dict]:
    """Section blocks of at most Slack's 3,000 characters, split between lines."""
    blocks, chunk = [], ""
    for line in text.split("\n"):
        if chunk and len(chunk) + 1 + len(line) > SLACK_SECTION_MAX:
            blocks.append(chunk)
            chunk = ""
        chunk = f"{chunk}\n{line}" if chunk else line[:SLACK_SECTION_MAX]
    if chunk:
        blocks.append(chunk)
    return [{"type": "section", "text": {"type": "mrkdwn", "text": b}} for b in blocks]


def render_slack(glance: Glance) -> dict:
    """The glance as a Slack message: ``{"text": ..., "blocks": [...]}`` with mrkdwn sections
    (``text`` is the notification's fallback)."""
    head = title(glance)
    blocks: list[dict] = [
        {"type": "header", "text": {"type": "plain_text", "text": head[:150], "emoji": False}}
    ]
    for sec in sections(glance):
        lines = [f"*{slack_escape(sec.title)}*"]
        lines += [_slack_line(line) for line in sec.lines]
        for n, item in enumerate(sec.items, 1):
            lines.append((f"{n}. " if sec.ordered else "• ") + _slack_line(item))
        lines += [_slack_line(line) for line in sec.after]
        blocks += _slack_sections("\n".join(lines))
    blocks.append(
        {"type": "context", "elements": [{"type": "mrkdwn", "text": slack_escape(footer(glance))}]}
    )
    p = glance.position
    fallback = f"{head}: " + "".join(seg.text for seg in _pace_words(p))
    return {"text": slack_escape(fallback), "blocks": blocks}


def render(glance: Glance, fmt: str) -> str:
    """The message in ``fmt`` as text (Slack's as its JSON)."""
    if fmt == "markdown":
        return render_markdown(glance)
    if fmt == "html":
        return render_html(glance)
    if fmt == "slack":
        return json.dumps(render_slack(glance), ensure_ascii=False, indent=2) + "\n"
    raise ValueError(f"unknown format {fmt!r} (one of {', '.join(FORMATS)})")


def payload(glance: Glance, fmt: str) -> dict:
    """What ``--post`` sends: Slack's message as is, else ``{"text": <the message>}``."""
    if fmt == "slack":
        return render_slack(glance)
    return {"text": render(glance, fmt)}


# --- posting ------------------------------------------------------------------------------------


def safe_url(url: str) -> str:
    """``scheme://host[:port]/…``: where a webhook is, without its path, query or credentials
    (an incoming webhook's token is in its path)."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or "?"
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(an unreadable address)"
    if ":" in host:
        host = f"[{host}]"
    return f"{parts.scheme or '?'}://{host}{port}/…"


def check_url(url: str) -> None:
    """Refuse anything but an http(s) address with a host (``PostError``, secret-free)."""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - raises ValueError on a port that is not a number
    except ValueError:
        raise PostError(f"--post {safe_url(url)}: not a web address") from None
    if parts.scheme not in ("http", "https"):
        raise PostError(
            f"--post: only http:// and https:// webhooks are accepted, not {parts.scheme or 'none'}:"
        )
    if not parts.hostname:
        raise PostError("--post: the address has no host")


_ENV_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,127}")


def webhook_from_env(name: str, environ=None) -> str:
    """The webhook address kept in the environment variable ``name`` (``--post-env``): cron
    and the shell pass it to Team Car without it ever being a command-line argument, which
    every user of the machine can read in the process list.

    Raises:
        PostError: a name that is no variable's, or a variable unset or empty (the message names
            the variable, never its value).
    """
    import os

    environ = os.environ if environ is None else environ
    if not isinstance(name, str) or not _ENV_NAME.fullmatch(name):
        raise PostError(
            "--post-env: give the name of an environment variable (letters, digits and _), "
            "not the address"
        )
    value = (environ.get(name) or "").strip()
    if not value:
        raise PostError(f"--post-env {name}: that environment variable is not set or is empty")
    return value


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A webhook that redirects is answered as it stands: its status is reported, not followed
    (a redirected POST would be resent, or turned into a GET, somewhere else)."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):  # noqa: ANN001
        return None


def _first_line(body: bytes, url: str) -> str:
    text = body.decode("utf-8", "replace").strip()
    line = text.splitlines()[0].strip() if text else ""
    parts = urlsplit(url)
    for secret in (url, parts.path, parts.query):  # never quote the token back
        if secret and len(secret) > 1:
            line = line.replace(secret, "…")
    return line[:BODY_LINE_MAX]


def post(url: str, body: dict, timeout: float = DEFAULT_TIMEOUT) -> str:
    """POST ``body`` as JSON to the webhook at ``url``.

    Returns:
        ``"200 OK"``-like status words.

    Raises:
        PostError: a bad address, no connection (refused, unknown host), no answer within
            ``timeout`` seconds, or an answer outside 2xx (its status and the first line of its
            body); each in one line naming only ``scheme://host/…``.
    """
    check_url(url)
    where = safe_url(url)
    data = json.dumps(body, ensure_ascii=False).encode("utf-8")
    request = urllib.request.Request(
        url,
        data=data,
        method="POST",
        headers={"Content-Type": "application/json; charset=utf-8", "User-Agent": "teamcar"},
    )
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=timeout) as answer:
            answer.read(64 * 1024)
            return f"{answer.status} {answer.reason}".strip()
    except urllib.error.HTTPError as exc:
        try:
            line = _first_line(exc.read(64 * 1024), url)
        except Exception:  # noqa: BLE001 - the body is a courtesy
            line = ""
        raise PostError(
            f"{where} answered {exc.code} {exc.reason}" + (f": {line}" if line else "")
        ) from None
    except TimeoutError:
        raise PostError(f"{where} did not answer within {timeout:g} s") from None
    except urllib.error.URLError as exc:
        raise PostError(f"could not reach {where}: {_reason(exc.reason, timeout)}") from None
    except (OSError, ValueError) as exc:  # a connection dropped mid-answer, a bad address
        raise PostError(f"could not post to {where}: {_reason(exc, timeout)}") from None


def _reason(reason: object, timeout: float) -> str:
    """Why a connection failed, in words with no address in them."""
    if isinstance(reason, TimeoutError | socket.timeout):
        return f"no answer within {timeout:g} s"
    if isinstance(reason, ConnectionRefusedError):
        return "connection refused"
    if isinstance(reason, socket.gaierror):
        return "unknown host"
    if isinstance(reason, OSError) and reason.strerror:
        return reason.strerror.lower()
    return type(reason).__name__ if not isinstance(reason, str) else "failed"


def digest_command(
    engine,
    as_of=None,
    since=None,
    teams=None,
    fmt: str = "markdown",
    post_to: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
    out=None,
) -> str:
    """What ``teamcar digest`` runs: the message on ``out`` (stdout), or posted to ``post_to``.

    Returns:
        The message (Slack's as JSON text), also when it was posted.

    Raises:
        DigestError: a request the glance cannot answer. PostError: the webhook did not take it.
    """
    import sys

    from dashboard.models.digest import build_glance

    if fmt not in FORMATS:
        raise ValueError(f"--format: one of {', '.join(FORMATS)}")
    if post_to is not None:
        check_url(post_to)  # before any work
    glance = build_glance(engine, as_of, since, teams)
    text = render(glance, fmt)
    out = out or sys.stdout
    if post_to is None:
        out.write(text)
    else:
        status = post(post_to, payload(glance, fmt), timeout)
        out.write(f"Posted the digest ({fmt}) to {safe_url(post_to)}: {status}.\n")
    out.flush()
    return text

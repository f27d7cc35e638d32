"""Every view's state lives in its URL: parse, resolve and write query strings.

``?quarter=2026-Q4&team=East&since=2026-11-15&page=2&q=ann&lanes=reps&as_of=2026-11-20``

Missing keys take defaults (the current quarter, all teams, as of the earlier of today and the
quarter's end, compared with a week before), so a short link works; the shell rewrites the
address bar to the full state so a link copied from it opens the same picture later. Keys that
apply everywhere (quarter, team, as_of) travel with navigation between views; the rest belong to
one view.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass, replace
from urllib.parse import parse_qsl, quote, unquote, urlencode

from loaders import clock
from loaders.fiscal import Quarter, default_as_of, parse_quarter, quarter_of

GLOBAL_KEYS = ("quarter", "team", "as_of")
ALL_TEAMS = "*"  # the team picker's "All teams" (a URL without team)
LANE_VIEWS = ("reps", "teams")


def parse(search: str | None) -> dict[str, str]:
    """``?a=1&b=2`` -> ``{"a": "1", "b": "2"}`` (the last value of a repeated key wins)."""
    return dict(parse_qsl((search or "").lstrip("?"), keep_blank_values=False))


def build(params: dict[str, object]) -> str:
    """A query string from ``params``, empty values left out; ``""`` when nothing is left."""
    clean = {k: str(v) for k, v in params.items() if v not in (None, "")}
    return "?" + urlencode(clean) if clean else ""


def merge(search: str | None, **changes: object) -> str:
    """``search`` with ``changes`` applied (None or ``""`` removes a key)."""
    params = parse(search)
    for key, value in changes.items():
        if value in (None, ""):
            params.pop(key, None)
        else:
            params[key] = str(value)
    return build(params)


def search_of(canonical: dict | str | None) -> str:
    """The query string the shell last put in the address bar (its canonical store's data)."""
    if isinstance(canonical, dict):
        return str(canonical.get("search") or "")
    return canonical or ""


def carry(search: str | None) -> str:
    """The part of ``search`` that travels to another view (quarter, team, as_of)."""
    params = parse(search)
    return build({k: params[k] for k in GLOBAL_KEYS if k in params})


def rider_path(rep: str, search: str | None = None) -> str:
    """The rider page of ``rep``, carrying the shared state."""
    return "/rider/" + quote(str(rep), safe="") + carry(search)


def rep_from_path(value: str | None) -> str | None:
    """The rep's name from the ``<rep>`` part of ``/rider/<rep>``."""
    if not value:
        return None
    return unquote(value).strip() or None


# Days and quarters a link may ask for: enough for any real history, and far from the calendar's
# ends, where date arithmetic (a week before, a year back) would overflow.
EARLIEST_YEAR, LATEST_YEAR = 1900, 2199
MAX_PAGE = 100_000


class PeriodError(ValueError):
    """A quarter or day that cannot be used as asked; callers word it for whoever asked.

    Attributes:
        field: what was asked: ``"quarter"``, ``"as_of"``, ``"since"`` (or the caller's own name
            for a lone day).
        value: what was given.
        problem: what is wrong, worded to follow the field's name (``must be YYYY-MM-DD``).
    """

    def __init__(self, field: str, value: object, problem: str):
        self.field, self.value, self.problem = field, value, problem
        super().__init__(self.worded())

    def worded(self, names: Mapping[str, str] | None = None) -> str:
        """The message, with the field called what the caller calls it (``{"as_of": "--as-of"}``)."""
        name = (names or {}).get(self.field, self.field)
        return f"{name} {str(self.value)[:40]!r}: {self.problem}"


def read_day(value: object, field: str = "day") -> dt.date | None:
    """A day as asked: None when not given, else an ISO day within 1900-2199.

    Raises:
        PeriodError: for anything else (``field`` names what was asked).
    """
    if value is None or value == "":
        return None
    if isinstance(value, dt.date):
        day = value
    else:
        try:
            day = dt.date.fromisoformat(str(value)) if len(str(value)) <= 32 else None
        except ValueError:
            day = None
        if day is None:
            raise PeriodError(field, value, "must be a date as YYYY-MM-DD")
    if not EARLIEST_YEAR <= day.year <= LATEST_YEAR:
        raise PeriodError(field, value, f"must be a day from {EARLIEST_YEAR} to {LATEST_YEAR}")
    return day


def parse_day(value: object) -> dt.date | None:
    """A day from a link or the browser: ``read_day``'s day, or None for anything it refuses."""
    try:
        return read_day(value)
    except PeriodError:
        return None


def read_quarter(
    value: str | Quarter | None, start_month: int | None = None, today: dt.date | None = None
) -> Quarter:
    """The quarter asked for (``2026-Q4``); the one holding today when none is given.

    Raises:
        PeriodError: when ``value`` is not a quarter (field ``quarter``).
    """
    if isinstance(value, Quarter):
        return value
    if value is None or value == "":
        return quarter_of(today or clock.today(), start_month)
    try:
        return parse_quarter(str(value), start_month)
    except ValueError:
        raise PeriodError("quarter", value, "not a quarter; expected for example 2026-Q4") from None


@dataclass(frozen=True)
class Period:
    """A quarter and the days a view or a summary is measured on."""

    quarter: Quarter
    as_of: dt.date
    since: dt.date | None
    explicit_as_of: bool  # as_of was asked for, not defaulted


def resolve_period(
    quarter: str | Quarter | None,
    as_of: object = None,
    since: object = None,
    *,
    start_month: int | None = None,
    today: dt.date | None = None,
) -> Period:
    """The quarter and days asked for, defaults filled in and checked: the one rule for all.

    Args:
        quarter: ``2026-Q4`` or a ``Quarter``; None for the quarter holding today.
        as_of: the day to measure on (ISO text or a date); None for the earlier of today and the
            quarter's last day.
        since: the comparison day; None for none (each caller picks its own default).
        start_month: the fiscal year's first month (default: the configured one).
        today: the clock's today.

    Raises:
        PeriodError: on a bad quarter or day, or a ``since`` not before ``as_of``; its ``field``
            is ``quarter``, ``as_of`` or ``since``, for the caller to word.
    """
    today = today or clock.today()
    q = read_quarter(quarter, start_month, today)
    day = read_day(as_of, "as_of")
    then = read_day(since, "since")
    now = day or default_as_of(q, today)
    if then is not None and then >= now:
        raise PeriodError("since", since, f"must be before the as-of day {now.isoformat()}")
    return Period(q, now, then, day is not None)


def _int(value: object, default: int) -> int:
    try:
        text = str(value)
        return min(MAX_PAGE, max(1, int(text))) if len(text) <= 12 else default
    except (TypeError, ValueError):
        return default


def _quarter(value: object, today: dt.date) -> Quarter:
    try:
        quarter = parse_quarter(str(value or "")[:32])
    except ValueError:
        return quarter_of(today)
    if not EARLIEST_YEAR < quarter.start.year < LATEST_YEAR:
        return quarter_of(today)
    return quarter


@dataclass(frozen=True)
class ViewState:
    """A view's resolved state: what its URL asks for, defaults filled in."""

    quarter: str
    team: str | None
    as_of: str
    since: str | None
    page: int = 1
    q: str = ""
    lanes: str = "auto"
    explicit_as_of: bool = False

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ViewState:
        """A state a callback received from the browser, checked again like a URL: a forged or
        stale one (unknown keys, a bad quarter or day, not a dict) falls back to defaults."""
        if not isinstance(data, dict):
            data = {}
        query = {
            k: data.get(k)
            for k in ("quarter", "team", "as_of", "since", "page", "q", "lanes")
            if isinstance(data.get(k), str | int)
        }
        state = resolve(query)
        return replace(
            state, explicit_as_of=state.explicit_as_of and bool(data.get("explicit_as_of"))
        )

    def quarter_obj(self) -> Quarter:
        return parse_quarter(self.quarter)

    @property
    def as_of_day(self) -> dt.date:
        return dt.date.fromisoformat(self.as_of)

    @property
    def since_day(self) -> dt.date | None:
        return dt.date.fromisoformat(self.since) if self.since else None


def default_since(as_of: dt.date) -> dt.date:
    """The comparison day by default: a week before ``as_of`` (last week's snapshot)."""
    return as_of - dt.timedelta(days=7)


def resolve(query: dict[str, object], today: dt.date | None = None) -> ViewState:
    """The state a URL's query asks for, with defaults for what it leaves out.

    Bad values (an unknown quarter, a malformed day) fall back to the defaults rather than fail:
    a mistyped link still opens a picture.
    """
    today = today or clock.today()
    period = resolve_period(
        _quarter(query.get("quarter"), today), parse_day(query.get("as_of")), today=today
    )
    quarter, as_of, explicit = period.quarter, period.as_of, period.explicit_as_of
    since = parse_day(query.get("since"))
    if since is None or since >= as_of:
        since = default_since(as_of)
    team = str(query.get("team") or "").strip() or None
    if team == ALL_TEAMS:
        team = None
    lanes = str(query.get("lanes") or "auto")
    return ViewState(
        quarter=quarter.name,
        team=team,
        as_of=as_of.isoformat(),
        since=since.isoformat() if since else None,
        page=_int(query.get("page"), 1),
        q=str(query.get("q") or "").strip(),
        lanes=lanes if lanes in LANE_VIEWS else "auto",
        explicit_as_of=explicit,
    )


def canonical(query: dict[str, object], today: dt.date | None = None) -> str:
    """The query with the quarter made explicit (what the address bar should show)."""
    state = resolve(query, today)
    params = {k: v for k, v in query.items() if v not in (None, "")}
    params["quarter"] = state.quarter
    ordered = {
        k: params[k]
        for k in ("quarter", "team", "as_of", "since", "lanes", "q", "page")
        if k in params
    }
    ordered.update({k: v for k, v in params.items() if k not in ordered})
    return build(ordered)


def quarter_options(
    selected: str | None, today: dt.date | None = None, back: int = 4, ahead: int = 1
) -> list[dict]:
    """Quarters to offer: ``back`` before the current one to ``ahead`` after, plus ``selected``."""
    today = today or clock.today()
    current = quarter_of(today)
    quarters = [current]
    q = current
    for _ in range(back):
        q = q.previous()
        quarters.append(q)
    q = current
    for _ in range(ahead):
        q = q.next()
        quarters.insert(0, q)
    names = [x.name for x in quarters]
    if selected and selected not in names:
        with contextlib.suppress(ValueError):
            names.append(parse_quarter(selected).name)
    names = sorted(set(names), reverse=True)
    return [{"label": n + (" · now" if n == current.name else ""), "value": n} for n in names]

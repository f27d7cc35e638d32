"""Compute what the first views need as soon as new data lands, before anyone asks.

At the design sizes (docs/architecture.md#sizes) the all-teams summary behind every view takes
seconds to compute. A server process (every gunicorn worker, or the single-process server) runs one
background thread that watches the store's data version and, whenever it changes, computes the
landing views through the same cached functions the pages call: the Course and the Review for the
current quarter on their default days, for all teams. Every other view — a team, a manager's teams,
a rider — is then narrowed from that shared summary in milliseconds (``summary.restrict``).

The all-teams summaries and forecast behind those views, and the Course's all-teams model, are
also kept in the store per data version (``dashboard.reads.kept``): the first process to compute them (a worker's warming thread,
``teamcar load`` through ``keep``, ``teamcar watch``) writes them there, and any other process —
another worker, a server started again on the same data — reads them back in a fraction of a
second and only draws. Two processes that miss at once do not both compute (a claim row in the
store; a shared Redis cache does the same for its keys). Warming is only ever a head start: a
request that arrives first computes the same thing itself, and one that arrives meanwhile waits
for it.
"""

from __future__ import annotations

import gc
import logging
import threading
import time
from collections.abc import Callable

from sqlalchemy import Engine

from dashboard import urls
from dashboard.models import course as cm
from dashboard.models import review as rm
from dashboard.reads import catalog
from dashboard.reads.catalog import current_version
from loaders.fiscal import parse_quarter

log = logging.getLogger(__name__)
CHECK_SECONDS = 2.0
# Warming gives way to visitors: between its steps it waits while this process is answering a
# request, at most this long per step, so a worker that has just started (or just seen new
# data) answers its first visitors with both cores' share it would otherwise take.
GIVE_WAY_SECONDS = 2.0
# A worker starting on data takes its first request once it has warmed (``start``), or after this
# long at most: from the kept tables a few seconds at the full sizes; computed (nothing kept) far
# longer, when the worker should serve what it can meanwhile.
READY_WAIT_SECONDS = 15.0
_STARTED: set[int] = set()
_HOOKS: dict[str, Callable[[Engine], object]] = {}
_SERVING = [0]  # requests this process is answering (``serving``)
_SERVING_LOCK = threading.Lock()


def serving(wsgi_app):
    """``wsgi_app`` counting the requests it is answering, for warming to give way to them."""

    def counted(environ, start_response):
        with _SERVING_LOCK:
            _SERVING[0] += 1
        try:
            return wsgi_app(environ, start_response)
        finally:
            with _SERVING_LOCK:
                _SERVING[0] -= 1

    return counted


def _give_way(limit: float = GIVE_WAY_SECONDS) -> None:
    """Wait while a request is being answered, at most ``limit`` seconds."""
    deadline = time.monotonic() + limit
    while _SERVING[0] > 0 and time.monotonic() < deadline:
        time.sleep(0.02)


def on_new_data(name: str):
    """Register ``fn(engine)`` to run after the models are warm (a page drawing its landing view)."""

    def register(fn: Callable[[Engine], object]) -> Callable[[Engine], object]:
        _HOOKS[name] = fn
        return fn

    return register


def keep(engine: Engine) -> dict[str, float]:
    """Compute the landing views' models for the store's current data, which keeps their
    all-teams summaries and forecast in the store (``teamcar load`` and ``teamcar watch`` call
    this; it draws nothing). Returns seconds per view."""
    took: dict[str, float] = {}
    started = time.perf_counter()
    catalog.freshness(engine)  # the top bar of every open page asks next
    state = urls.resolve({})
    model = cm.course_model(engine, state, None)
    took["course"] = time.perf_counter() - started
    _riders(engine, model, took)
    _support(engine, state, took)
    started = time.perf_counter()
    quarter = parse_quarter(state.quarter)
    days = rm.snapshot_days(engine)
    now, since = rm.resolve_days({}, days, quarter)
    rm.review_model(engine, state.quarter, now, since, None, None)
    took["review"] = time.perf_counter() - started
    _season(engine, took)
    _trend(engine, model, took)
    return took


def _riders(engine: Engine, model, took: dict[str, float]) -> None:
    """The all-teams tables a Rider page (and a team's Course) narrows: each rider's focus share
    (DESIGN §12) and whether they sit in (§11), kept in the store for the Course's days."""
    from dashboard.models import season as sm
    from dashboard.models import support

    started = time.perf_counter()
    support.focus_table(engine, model.quarter, model.as_of)
    sm.sitting_table(engine, model.quarter, model.as_of)
    took["riders"] = time.perf_counter() - started


def _support(engine: Engine, state: urls.ViewState, took: dict[str, float]) -> None:
    """The support car's all-teams reads (experts' work and support, four weeks), kept in the
    store: each worker otherwise read them (14 s at 2,000 reps) as it started."""
    from dashboard.models import support

    started = time.perf_counter()
    support.support_model(engine, state, None)
    took["support"] = time.perf_counter() - started


def _trend(engine: Engine, model, took: dict[str, float]) -> None:
    """Every rider's figures on each day of the Course's quarter so far, kept in the store: a
    Rider's trend reads them (``rider.trend_day``) instead of summarising the rider's team on
    every snapshot day on its first visit."""
    from dashboard.models import rider

    started = time.perf_counter()
    rider.trend_table(engine, model.quarter, model.as_of)
    took["trend"] = time.perf_counter() - started


def _season(engine: Engine, took: dict[str, float]) -> None:
    """The all-teams season on its default days, kept in the store (``season.prepare``)."""
    from dashboard.models import season as sm

    started = time.perf_counter()
    sm.prepare(engine)
    took["season"] = time.perf_counter() - started


def warm(engine: Engine) -> dict[str, float]:
    """Compute and draw the landing views for the store's current data (the Course's first, the
    page everyone lands on); returns seconds per view. Between views it gives way to requests
    being answered (``_give_way``)."""
    took: dict[str, float] = {}
    _give_way()
    started = time.perf_counter()
    catalog.freshness(engine)  # the top bar of every open page asks next
    state = urls.resolve({})
    model = cm.course_model(engine, state, None)
    cm.course_page(engine, model, state, None)
    took["course"] = time.perf_counter() - started
    _give_way()
    _riders(engine, model, took)
    hooks = sorted(_HOOKS.items(), key=lambda item: not item[0].startswith("course"))
    for name, hook in hooks:
        if name.startswith("course"):
            _give_way()
            started = time.perf_counter()
            hook(engine)
            took[name] = time.perf_counter() - started
    _give_way()
    started = time.perf_counter()
    quarter = parse_quarter(state.quarter)
    days = rm.snapshot_days(engine)
    now, since = rm.resolve_days({}, days, quarter)
    rm.review_model(engine, state.quarter, now, since, None, None)
    took["review"] = time.perf_counter() - started
    for name, hook in hooks:
        if not name.startswith("course"):
            _give_way()
            started = time.perf_counter()
            hook(engine)
            took[name] = time.perf_counter() - started
    _give_way()
    _season(engine, took)
    _give_way()
    _trend(engine, model, took)
    _give_way()
    _a_rider(engine, state, took)
    return took


def _a_rider(engine: Engine, state: urls.ViewState, took: dict[str, float]) -> None:
    """One Rider's model and trend, built in this worker: the leader of the all-teams standings
    on the Course's days. Not to have that rider ready (each rider's model is their own) but to
    run the Rider's code once: at 2,000 reps a worker's first Rider took 1.2 s to build and the
    next ones 0.5-0.6 s, and that first one fell to the first manager to open a Rider."""
    from dashboard.models import rider
    from dashboard.models.standings import summary_for

    started = time.perf_counter()
    ranked = summary_for(engine, state.quarter, state.as_of_day, state.since_day).reps["rank"]
    ranked = ranked.dropna()  # a store without quotas ranks nobody: no Rider is built
    if not ranked.empty:
        rep = str(ranked.idxmin())
        model = rider.rider_model(
            engine, rep, state.quarter, state.as_of_day, state.since_day, None
        )
        if model is not None:
            rider.rider_trend(engine, rep, model.quarter, model.as_of, model.team, None)
    took["a-rider"] = time.perf_counter() - started


def _settle() -> None:
    """Collect what warming left behind, then freeze what is still alive (``gc.freeze``): the
    kept frames and models of this data version stay out of Python's cyclic collections, which
    otherwise walked them all every so often in the middle of a request (0.09 s at 2,000 reps,
    about one Rider layout in six; 0.01 s frozen). Reference counting still frees them when a
    newer version replaces them; ``_loop`` unfreezes before warming that version."""
    gc.collect()
    gc.freeze()


def _loop(
    engine: Engine,
    stop: threading.Event,
    every: float,
    draw: bool = True,
    ready: threading.Event | None = None,
) -> None:
    """Watch the data version and warm each new one; ``ready`` is set once the first check is
    done (the data there warmed, nothing to warm, or the store could not answer)."""
    ready = ready or threading.Event()
    seen = None
    while not stop.is_set():
        try:
            version = current_version(engine)
            if version != seen and version > 0:
                gc.unfreeze()  # the last version's frames may be collected again
                took = warm(engine) if draw else keep(engine)
                _settle()
                log.info(
                    "warmed data version %s: %s",
                    version,
                    ", ".join(f"{k} {v:.1f} s" for k, v in took.items()),
                )
                seen = version
        except Exception as exc:  # noqa: BLE001 - the pages report store trouble; keep watching
            log.warning("warming skipped: %s", exc)
        ready.set()
        stop.wait(every)


def start(
    engine: Engine | None = None,
    every: float = CHECK_SECONDS,
    draw: bool = True,
    ready_wait: float = 0.0,
) -> threading.Event | None:
    """Start this process's warming thread (once); returns the event that stops it.

    ``draw=False`` (a process that serves no pages, such as ``teamcar watch``) only computes and
    keeps the models (``keep``). With ``ready_wait``, it returns once the thread's first check is
    done (the data that is there warmed) or after that many seconds: a server worker calls it
    before it takes requests, so its first visitors do not share the cores with the warming (at
    full size the Course's first visit after a start took 2.1-2.6 s against a bare page's 1.6,
    and 1.6 s once warm)."""
    import os

    from loaders.store.engine import get_engine

    if os.getpid() in _STARTED:
        return None
    _STARTED.add(os.getpid())
    stop, ready = threading.Event(), threading.Event()
    thread = threading.Thread(
        target=_loop,
        args=(engine or get_engine(), stop, every, draw, ready),
        name="teamcar-warm",
        daemon=True,
    )
    thread.start()
    if ready_wait > 0:
        ready.wait(ready_wait)
    return stop

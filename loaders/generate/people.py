"""The sales organisation: teams, people, the reporting chain, re-orgs, quotas and how each rep
performs.

Person 0 is the VP; then the directors; then, team by team, the manager, the SE and the AEs. AEs
and the SE report to their team's manager, each manager to a director (a director heads two to six
teams), each director to the VP: the chain of docs/metrics.md's roll-up. Arrays are indexed by
person (``Org.names``...) or by rep, i.e. AE (``Org.rep_*``); ``rep_person`` links the two.

How a rep performs is drawn once: a typical attainment of quota (spread like a real team's: most
reps between half and one and a half times quota, the team near 95 %), a win rate around 27 %, and
how the rep calls their number (``call_style``: honest, sandbagging or over-calling).
"""

from __future__ import annotations

import math
import unicodedata
from dataclasses import dataclass
from statistics import NormalDist

import numpy as np
import pyarrow as pa

from loaders.generate import vocab
from loaders.generate.text import NEVER, sf_ids
from loaders.generate.timeline import Timeline

SALESFORCE, HUBSPOT = 0, 1
SOURCE_NAMES = ("salesforce", "hubspot")
AES_PER_TEAM = 8
ROLE_VP, ROLE_DIRECTOR, ROLE_MANAGER, ROLE_SE, ROLE_AE = "VP", "Director", "Manager", "SE", "AE"
# How a person calls their number against what they end up winning (docs/metrics.md, call accuracy).
HONEST, SANDBAGGER, OVER_CALLER = range(3)
CALL_STYLES = ("honest", "sandbagger", "over-caller")
# The team's typical attainment of quota: a real team lands near it, its reps spread around it.
TEAM_ATTAINMENT = 0.97
LAST_MONTH_DAYS = 30
EMAIL_DOMAIN = "example.com"


@dataclass
class Org:
    """Everyone in the roster, and what the story needs to know about each rep."""

    names: list[str]
    emails: list[str]
    roles: np.ndarray  # role labels
    sf_user_ids: pa.Array  # Salesforce user id of every person (used where they sell on Salesforce)
    start_day: np.ndarray
    # team index before a re-org (= team_after for most); -1 for the VP and the directors
    team_before: np.ndarray
    team_after: np.ndarray
    move_day: np.ndarray  # day the re-org takes effect; NEVER when none
    team_names: list[str]
    team_source: np.ndarray  # SALESFORCE or HUBSPOT per team
    team_manager: np.ndarray  # person index per team
    team_se: np.ndarray
    team_director: np.ndarray  # person index of the director each team's manager reports to
    executive: int  # the VP, top of the chain
    reports_to: np.ndarray  # person index of each person's manager; -1 for the VP
    call_style: np.ndarray  # HONEST, SANDBAGGER or OVER_CALLER per person
    call_bias: np.ndarray  # the person's commit call over what they end up winning, minus one
    rep_person: np.ndarray  # person index of each rep (AE)
    rep_quota: np.ndarray  # full (ramped-up) quarterly quota
    rep_perf: np.ndarray  # typical attainment of (ramped) quota in a quarter
    rep_win_rate: np.ndarray
    rep_activity: np.ndarray  # multiplier on activity volume
    rep_patchy: np.ndarray  # True: some weeks with almost no activity
    rep_diligence: np.ndarray  # 0..1: completes required training on time
    rep_skill: np.ndarray  # z-score behind assessment and call scores

    @property
    def n_people(self) -> int:
        return len(self.names)

    @property
    def person_source(self) -> np.ndarray:
        """The CRM each person works in: their team's (Salesforce for the VP and directors)."""
        team = np.maximum(self.team_after, 0)
        return np.where(self.team_after < 0, SALESFORCE, self.team_source[team])

    def team_on(self, day: int | np.ndarray, people: np.ndarray) -> np.ndarray:
        """The team index of ``people`` on ``day`` (one day, or one per person); -1 = no team."""
        return np.where(
            day >= self.move_day[people], self.team_after[people], self.team_before[people]
        )

    def ramp(self, quarter_start: int, quarter_end: int) -> np.ndarray:
        """Share of full quota each rep carries in the quarter from ``quarter_start`` to ``quarter_end``.

        The quarter a rep starts in carries 25%, then 50% and 75% while the rep has been with us
        less than three and six months at the quarter's start; zero before the rep starts, and in
        a quarter they join in its last month (nobody is asked to close a deal in their first
        weeks).
        """
        start = self.start_day[self.rep_person]
        months = (quarter_start - start) / 30.44
        share = np.select([months < 0, months < 3, months < 6], [0.25, 0.5, 0.75], 1.0)
        return np.where(start > quarter_end - LAST_MONTH_DAYS, 0.0, share)


def _team_names(n: int) -> list[str]:
    segs, regs = vocab.SEGMENTS, vocab.REGIONS
    unique = len(segs) * len(regs)
    names = []
    for i in range(n):
        base, lap = i % unique, i // unique
        # (i // segs + i) walks every region once per segment: len(segs) + 1 and len(regs) are coprime.
        name = f"{segs[base % len(segs)]} {regs[(base // len(segs) + base) % len(regs)]}"
        names.append(name if lap == 0 else f"{name} {lap + 1}")
    return names


def _people_names(rng: np.random.Generator, n: int) -> list[str]:
    firsts, lasts = vocab.FIRST_NAMES, vocab.LAST_NAMES
    combos = len(firsts) * len(lasts)
    picks = rng.permutation(combos * 27)[:n] if n > combos else rng.choice(combos, n, replace=False)
    names = []
    for p in picks.tolist():
        initial, rest = divmod(p, combos)
        middle = f" {chr(64 + initial)}." if initial else ""
        names.append(f"{firsts[rest // len(lasts)]}{middle} {lasts[rest % len(lasts)]}")
    return names


def _email(name: str, seen: set[str]) -> str:
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    local = ".".join(part for part in ascii_name.lower().replace("'", "").replace(".", "").split())
    email, k = f"{local}@{EMAIL_DOMAIN}", 1
    while email in seen:
        k += 1
        email = f"{local}{k}@{EMAIL_DOMAIN}"
    seen.add(email)
    return email


def _spread(n: int, rng: np.random.Generator) -> np.ndarray:
    """n standard-normal scores at evenly spaced quantiles, in random order: a spread is certain."""
    dist = NormalDist()
    return np.array([dist.inv_cdf((k + 0.5) / n) for k in rng.permutation(n)])


def _directors(n_teams: int) -> int:
    """How many directors the teams report to: two teams each in a small org, up to six at scale."""
    per_director = min(6, max(2, round(math.sqrt(n_teams))))
    return math.ceil(n_teams / per_director)


def _call_styles(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Call style and bias of ``n`` reps: a fifth sandbag, a fifth over-call, the rest are honest.

    A sandbagger calls 20-30 % under what they end up winning, an over-caller 20-40 % over, an
    honest rep within a few percent either way.
    """
    style = np.full(n, HONEST)
    if n >= 3:
        k = max(1, round(0.2 * n))
        order = rng.permutation(n)
        style[order[:k]] = SANDBAGGER
        style[order[k : 2 * k]] = OVER_CALLER
    bias = np.select(
        [style == SANDBAGGER, style == OVER_CALLER],
        [rng.uniform(-0.30, -0.20, n), rng.uniform(0.20, 0.40, n)],
        rng.normal(0, 0.03, n),
    )
    return style, bias


def build_org(rng: np.random.Generator, reps: int, tl: Timeline) -> Org:
    """Teams of up to 8 AEs with a manager and an SE each, directors over the managers, one VP."""
    if reps < 1:
        raise ValueError("reps must be at least 1")
    n_teams = math.ceil(reps / AES_PER_TEAM)
    n_directors = _directors(n_teams)
    team_size = np.full(n_teams, reps // n_teams) + (np.arange(n_teams) < reps % n_teams)
    team_source = np.where(np.arange(n_teams) % 3 == 2, HUBSPOT, SALESFORCE)

    roles, team = [ROLE_VP] + [ROLE_DIRECTOR] * n_directors, [-1] * (1 + n_directors)
    for t, size in enumerate(team_size.tolist()):
        roles += [ROLE_MANAGER, ROLE_SE] + [ROLE_AE] * size
        team += [t] * (size + 2)
    roles_arr, team_arr = np.array(roles), np.array(team)
    n = len(roles)
    names = _people_names(rng, n)
    seen: set[str] = set()
    emails = [_email(name, seen) for name in names]
    rep_person = np.flatnonzero(roles_arr == ROLE_AE)
    team_manager = np.flatnonzero(roles_arr == ROLE_MANAGER)
    team_se = np.flatnonzero(roles_arr == ROLE_SE)
    # Directors head consecutive teams, as evenly as the count allows.
    team_director = 1 + (np.arange(n_teams) * n_directors) // n_teams
    reports_to = np.full(n, -1)
    reports_to[1 : 1 + n_directors] = 0
    reports_to[team_manager] = team_director
    on_team = team_arr >= 0
    reports_to[on_team & (roles_arr != ROLE_MANAGER)] = team_manager[
        team_arr[on_team & (roles_arr != ROLE_MANAGER)]
    ]

    # Tenured people started 7 months to 6 years ago; about 15% of AEs are ramping (last 6 months).
    start = tl.today - rng.integers(210, 2200, n)
    n_ramping = max(1, round(0.15 * reps)) if reps >= 4 else 0
    ramping = rng.choice(rep_person, n_ramping, replace=False)
    start[ramping] = tl.today - rng.integers(14, 180, n_ramping)

    # Re-org: one or two tenured AEs (a few more at scale) move to another team of the same CRM.
    team_before, team_after = team_arr.copy(), team_arr.copy()
    move_day = np.full(n, NEVER, dtype=np.int64)
    movable = np.array(
        [
            p
            for p in rep_person
            if p not in set(ramping.tolist())
            and (team_source == team_source[team_arr[p]]).sum() > 1
        ]
    )
    n_moves = min(len(movable), (2 if reps >= 16 else 1) + reps // 1000)
    latest = max(tl.q_start, tl.today - 7)
    for p in rng.choice(movable, n_moves, replace=False) if n_moves else []:
        others = np.flatnonzero(
            (team_source == team_source[team_arr[p]]) & (np.arange(n_teams) != team_arr[p])
        )
        team_after[p] = rng.choice(others)
        move_day[p] = rng.integers(min(tl.q_start + 7, latest), latest + 1)

    n_reps = len(rep_person)
    perf_z = _spread(n_reps, rng)
    quota = np.round(rng.uniform(250_000, 600_000, n_reps) / 25_000) * 25_000
    # Chain people call the roll-up of their reports with their own adjustment: most shave a
    # little off, a few add; reps call with their style.
    call_style = np.full(n, HONEST)
    call_bias = rng.normal(-0.04, 0.06, n)
    call_style[(call_bias < -0.08) & (roles_arr != ROLE_AE)] = SANDBAGGER
    call_style[(call_bias > 0.04) & (roles_arr != ROLE_AE)] = OVER_CALLER
    call_style[rep_person], call_bias[rep_person] = _call_styles(rng, n_reps)
    return Org(
        names=names,
        emails=emails,
        roles=roles_arr,
        sf_user_ids=sf_ids("005", 4_000_000 + np.arange(n) * 7),
        start_day=start,
        team_before=team_before,
        team_after=team_after,
        move_day=move_day,
        team_names=_team_names(n_teams),
        team_source=team_source,
        team_manager=team_manager,
        team_se=team_se,
        team_director=team_director,
        executive=0,
        reports_to=reports_to,
        call_style=call_style,
        call_bias=call_bias,
        rep_person=rep_person,
        rep_quota=quota,
        # Lognormal around the team's attainment (mean TEAM_ATTAINMENT): z = +-1.6 gives about
        # 60 % and 150 % of quota.
        rep_perf=TEAM_ATTAINMENT * np.exp(0.28 * perf_z - 0.28**2 / 2),
        rep_win_rate=np.clip(0.27 + 0.04 * perf_z + rng.normal(0, 0.03, n_reps), 0.15, 0.45),
        rep_activity=np.exp(rng.normal(0, 0.3, n_reps) + 0.1 * perf_z),
        rep_patchy=rng.random(n_reps) < 0.25,
        rep_diligence=np.clip(rng.beta(4, 2, n_reps) + 0.05 * perf_z, 0, 1),
        rep_skill=0.6 * perf_z + 0.8 * rng.normal(0, 1, n_reps),
    )


def quota_rows(org: Org, tl: Timeline) -> list[tuple[str, str, float]]:
    """(rep, quarter, quota) for every AE employed in the history quarters, this one and the next."""
    rows = []
    for q in range(tl.q_index - 4, tl.q_index + 2):
        share = org.ramp(tl.day(tl.cal.start(q)), tl.day(tl.cal.end(q)))
        amounts = np.round(org.rep_quota * share / 5_000) * 5_000
        for r in np.flatnonzero(share > 0).tolist():
            rows.append((org.names[org.rep_person[r]], tl.cal.name(q), float(amounts[r])))
    return rows

"""Readiness as an LMS export shows it: required programs with due dates, assessments, call scores.

Diligent reps finish required programs on time, others late or not at all; skill drives assessment
and call scores, which ramping reps improve week by week.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from loaders.generate import vocab
from loaders.generate.people import Org
from loaders.generate.text import NEVER
from loaders.generate.timeline import Timeline

COLUMNS = [
    "User Email",
    "User Name",
    "Program",
    "Program Type",
    "Required",
    "Assigned Date",
    "Due Date",
    "Completed Date",
    "Score (%)",
]


def build_enablement(rng: np.random.Generator, org: Org, tl: Timeline) -> pd.DataFrame:
    """One row per rep and program, and one per scored call; day numbers, NEVER when blank."""
    reps = org.rep_person
    start = org.start_day[reps]
    diligence, skill = org.rep_diligence, org.rep_skill
    frames = []
    for name, kind, required, assigned_rel, allowed in vocab.PROGRAMS:
        base = start + 3 if assigned_rel is None else np.full(len(reps), tl.q_start + assigned_rel)
        assigned = np.maximum(base, start + 3)
        due = assigned + allowed
        on_time_p = 0.35 + 0.6 * diligence
        draw = rng.random(len(reps))
        done = np.select(
            [draw < on_time_p, draw < on_time_p + 0.5 * (1 - on_time_p)],
            [
                assigned + np.floor(rng.random(len(reps)) * (allowed + 1)),
                due + rng.integers(1, 30, len(reps)),
            ],
            NEVER,
        ).astype(np.int64)
        done = np.where(done > tl.today, NEVER, done)
        scored = kind in ("Assessment", "Certification")
        score = np.clip(np.round(rng.normal(72 + 9 * skill, 8)), 0, 100) if scored else None
        frames.append(
            pd.DataFrame(
                {
                    "person": reps,
                    "Program": name,
                    "Program Type": kind,
                    "Required": "Yes" if required else "No",
                    "assigned": assigned,
                    "due": due,
                    "completed": done,
                    "score": np.where(done < NEVER, score, np.nan) if scored else np.nan,
                }
            )[assigned <= tl.today]
        )

    # Call reviews: a few per rep over the weeks, improving as a ramping rep settles in.
    first = np.maximum(start + 7, tl.window_start)
    count = np.where(first <= tl.today, rng.poisson(max(1.0, tl.weeks / 3), len(reps)) + 1, 0)
    rep = np.repeat(np.arange(len(reps)), count)
    day = first[rep] + np.floor(rng.random(len(rep)) * (tl.today - first[rep] + 1)).astype(np.int64)
    tenure = np.minimum((day - start[rep]) / 180, 1)
    score = np.clip(np.round(rng.normal(58 + 8 * skill[rep] + 12 * tenure, 9)), 0, 100)
    frames.append(
        pd.DataFrame(
            {
                "person": reps[rep],
                "Program": rng.choice(vocab.CALL_SCORE_PROGRAMS, len(rep)),
                "Program Type": "Call Score",
                "Required": "No",
                "assigned": NEVER,
                "due": NEVER,
                "completed": day,
                "score": score,
            }
        )
    )
    rows = pd.concat(frames, ignore_index=True)
    return rows.sort_values(["person", "completed", "Program"], kind="stable", ignore_index=True)

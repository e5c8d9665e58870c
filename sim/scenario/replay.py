"""Replayed referrals: a CSV file with `arrival_day` and `priority_class`, checked row by row."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from sim.scenario.problems import Problem

COLUMNS = ("arrival_day", "priority_class")
MAX_REPORTED = 10


def replay_problems(file: Path, classes: list[str], horizon_days: int) -> list[Problem]:
    """Everything wrong with a replay file (first rows of each kind), with CSV line numbers."""
    try:
        frame = pd.read_csv(file, dtype=str, keep_default_na=False)  # report values as written
    except (OSError, ValueError, pd.errors.ParserError) as error:
        return [Problem(file, None, (), f"cannot read as CSV: {error}")]
    missing = [column for column in COLUMNS if column not in frame.columns]
    if missing:
        found = ", ".join(map(str, frame.columns)) or "(none)"
        return [
            Problem(file, 1, (), f"missing column(s) {', '.join(missing)}; found columns {found}")
        ]
    problems: list[Problem] = []
    day = pd.to_numeric(frame["arrival_day"], errors="coerce").to_numpy(float)
    bad_day = ~np.isfinite(day) | (day < 0) | (day >= horizon_days)
    for row in np.flatnonzero(bad_day)[:MAX_REPORTED]:
        problems.append(
            Problem(
                file,
                int(row) + 2,  # line 1 is the header
                ("arrival_day",),
                f"found {frame['arrival_day'].iloc[row]!r}; allowed: a number of days from 0 "
                f"to below the horizon ({horizon_days})",
            )
        )
    bad_class = ~frame["priority_class"].isin(classes)
    for row in np.flatnonzero(bad_class.to_numpy())[:MAX_REPORTED]:
        problems.append(
            Problem(
                file,
                int(row) + 2,
                ("priority_class",),
                f"found {frame['priority_class'].iloc[row]!r}; allowed: {', '.join(classes)}",
            )
        )
    return sorted(problems, key=lambda p: p.line or 0)

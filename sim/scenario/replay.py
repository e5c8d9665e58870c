"""Replayed referrals: a CSV file with `arrival_day` and `priority_class`, checked row by row."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pandas as pd

from sim.scenario.problems import Problem

COLUMNS = ("arrival_day", "priority_class")
MAX_REPORTED = 10
MAX_REPLAY_BYTES = 500_000_000
"""Largest replay file read (about 20 million referrals)."""


def read_replay(file: Path) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows of a replay file as written (every value a string, none read as missing:
    a class may be called `nan` or `null`) and the line each row starts on.

    Blank lines are skipped and a quoted field may span lines, so row i is not always line
    i + 2: the csv module tracks the lines. `validate` and `run` both read through here, so
    they agree on what a file holds."""
    file = Path(file)
    if not file.is_file():
        raise ValueError(f"{file} is not a regular file")
    if file.stat().st_size > MAX_REPLAY_BYTES:
        raise ValueError(f"the file is over {MAX_REPLAY_BYTES:,} bytes, the most allowed")
    with open(file, newline="", encoding="utf-8") as handle:
        reader = csv.reader(handle)
        header: list[str] | None = None
        rows, lines = [], []
        before = 0
        for record in reader:
            start, before = before + 1, reader.line_num
            if not record or not any(field.strip() for field in record):
                continue  # a blank line
            if header is None:
                header = [name.strip() for name in record]
                continue
            rows.append(record)
            lines.append(start)
    header = header or []
    width = len(header)
    for j, row in enumerate(rows):
        if len(row) != width:
            raise ValueError(f"line {lines[j]}: expected {width} fields, found {len(row)}")
    frame = pd.DataFrame(rows, columns=header, dtype=str) if header else pd.DataFrame()
    return frame, np.asarray(lines, np.int64)


def replay_problems(file: Path, classes: list[str], horizon_days: int) -> list[Problem]:
    """Everything wrong with a replay file (first rows of each kind), with CSV line numbers."""
    try:
        frame, lines = read_replay(file)
    except (OSError, ValueError, UnicodeDecodeError, csv.Error) as error:
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
                int(lines[row]),
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
                int(lines[row]),
                ("priority_class",),
                f"found {frame['priority_class'].iloc[row]!r}; allowed: {', '.join(classes)}",
            )
        )
    return sorted(problems, key=lambda p: p.line or 0)

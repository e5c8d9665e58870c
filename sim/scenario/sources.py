"""Where each value of a scenario was written and what its comment says: the record of
sources that scenario files keep in their comments (`# DF §3 'Hub uptake' (D: 1-4%/yr)`,
`# assumption`), read back so that a results folder can carry it to the report.

A value's comment is the comment at the end of the line it was written on (a flow mapping
such as `{from_date: 2021-02-01, wte: 3.0}   # assumption` gives its comment to each of its
values). A value without one takes the comment of the line that opens its mapping or list
when that comment cites a source (`staff_group_shares:   # assumption`), so a block of
numbers under one cited heading is not shown as unsourced.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pandas as pd

from sim.scenario.extends import read_scenario_document
from sim.scenario.model import Scenario

SKIPPED = ("name", "description", "outputs", "extends")
"""Top-level keys that are not model parameters."""

CITES_A_SOURCE = re.compile(r"DF §|assumption|calibrat", re.IGNORECASE)
"""A comment that says where a number comes from (a domain-facts row, an assumption, or a
calibration), not just what the key is."""

_COMMENT = re.compile(r"""(?:^|\s)#\s?(.*)$""")


def dotted(path: tuple[str | int, ...]) -> str:
    """A key path as `--set` writes it: `hub.stages.assessment.capacity[0].wte`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def leaves(data: Any, path: tuple[str | int, ...] = ()) -> list[tuple[tuple[str | int, ...], Any]]:
    """Every scalar of nested dicts and lists with its key path, in document order."""
    if isinstance(data, dict):
        return [item for key, value in data.items() for item in leaves(value, (*path, key))]
    if isinstance(data, list | tuple):
        return [item for i, value in enumerate(data) for item in leaves(value, (*path, i))]
    return [(path, data)]


def _line_comment(text: str) -> str:
    """The comment at the end of a YAML line ('' if none); a `#` inside quotes is text."""
    quoted = None
    for position, character in enumerate(text):
        if quoted:
            quoted = None if character == quoted else quoted
        elif character in "'\"":
            quoted = character
        elif character == "#" and (position == 0 or text[position - 1].isspace()):
            return text[position + 1 :].strip()
    return ""


def parameter_sources(scenario: Scenario, file: str | Path) -> pd.DataFrame:
    """Every parameter of a resolved scenario with where it was written and its comment.

    Parameters
    ----------
    scenario
        The scenario as resolved (after `extends` and any `--set`): the values shown.
    file
        The scenario file it was loaded from (its `extends` chain is read again).

    Returns
    -------
    DataFrame
        One row per parameter (every scalar but name, description and outputs):
        `parameter` (its key path), `value` (as text), `file` and `line` where it was
        written (empty for a default of hubsim), `comment` (its source, or '').
    """
    document = read_scenario_document(Path(file))
    texts: dict[Path, list[str]] = {}

    def comment_at(where: tuple[Any, int | None] | None) -> str:
        if where is None or where[1] is None:
            return ""
        source = Path(where[0])
        if source not in texts:
            texts[source] = source.read_text(encoding="utf-8").splitlines()
        lines = texts[source]
        return _line_comment(lines[where[1] - 1]) if where[1] <= len(lines) else ""

    rows = []
    for path, value in leaves(scenario.model_dump(mode="json")):
        if path[0] in SKIPPED:
            continue
        where = document.lines.get(path)
        comment = comment_at(where)
        if not comment:
            heading = comment_at(document.lines.get(path[:-1]))
            comment = heading if CITES_A_SOURCE.search(heading) else ""
        rows.append(
            {
                "parameter": dotted(path),
                "value": _text(value),
                "file": "" if where is None else str(where[0]),
                "line": pd.NA if where is None or where[1] is None else where[1],
                "comment": comment,
            }
        )
    frame = pd.DataFrame(rows, columns=["parameter", "value", "file", "line", "comment"])
    return frame.astype({"line": "Int64"})


def _text(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    return f"{value:g}" if isinstance(value, float) else str(value)

"""Problems found in an input file, reported with file, line and key path."""

from __future__ import annotations

import difflib
from dataclasses import dataclass
from pathlib import Path

KeyPath = tuple[str | int, ...]
Source = Path | str
"""Where a value was written: a file, or an override such as `--set PATH=VALUE`."""


def dotted(path: KeyPath) -> str:
    """`hub.stages.assessment.capacity[0].wte` for a key path."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text or "(document)"


def unknown_key(key: str, allowed: list[str]) -> str:
    """The message for a key the schema does not know, with a "did you mean"."""
    hint = difflib.get_close_matches(key, allowed, n=1, cutoff=0.6)
    suggestion = f"; did you mean '{hint[0]}'?" if hint else "."
    listing = f" Allowed keys: {', '.join(allowed)}." if allowed else ""
    return f"unknown key '{key}'{suggestion}{listing}"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input file (or an override of a scenario)."""

    file: Source
    line: int | None
    path: KeyPath
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else f"{self.file}"
        return _printable(f"{where}: {dotted(self.path)}: {self.message}")


def _printable(text: str) -> str:
    r"""Escape control characters and line breaks (in a key written as "a\nb", say).

    So a problem stays one output line (str.splitlines() also breaks at \x1e, \x85, \u2028).
    """
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else c.encode("unicode_escape").decode() for c in text)


class ScenarioError(Exception):
    """A scenario file (or one it extends) is not valid; `problems` lists every problem."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(problem) for problem in problems))

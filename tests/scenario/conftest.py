"""Shared fixtures for the scenario tests: bad variants of the baseline, and validation runs.

A variant is the baseline text with a few exact string replacements. Each replaced text must
occur exactly once, so an edit to baseline.yaml that moves or removes a line fails loudly here
instead of silently testing something else. Expected line numbers are looked up in the written
text (`Variant.line_of`), never hard-coded, so they follow the baseline as it grows.

The helpers are handed out as fixtures, not imported, because conftest modules of different
test folders all import under the one name `conftest`.
"""

from __future__ import annotations

import contextlib
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pytest

from sim.cli import main

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
BASELINE = SCENARIOS / "baseline.yaml"

Edit = tuple[str, str]

# FILE:LINE: key.path: message (key paths hold no spaces in these tests)
PROBLEM_LINE = re.compile(r"^(?P<file>.+?):(?P<line>\d+): (?P<path>\S+): (?P<message>.*)$")


def edited(text: str, edits: Iterable[Edit]) -> str:
    """`text` with each `(old, new)` replaced; every `old` must occur exactly once."""
    for old, new in edits:
        count = text.count(old)
        assert count == 1, f"expected {old!r} once in the text, found it {count} times"
        text = text.replace(old, new)
    return text


@dataclass(frozen=True)
class Variant:
    """A scenario file written for a test, and its text."""

    file: Path
    text: str

    def line_of(self, needle: str) -> int:
        """1-based line on which the single occurrence of `needle` starts."""
        count = self.text.count(needle)
        assert count == 1, f"expected {needle!r} once in {self.file.name}, found {count}"
        return self.text[: self.text.index(needle)].count("\n") + 1


@dataclass(frozen=True)
class Problem:
    """One parsed `FILE:LINE: key.path: message` line."""

    file: str
    line: int
    path: str
    message: str


@dataclass(frozen=True)
class Reported:
    """What `hubsim validate` did with one file: exit code and its output."""

    file: Path
    code: int
    out: str
    err: str

    @property
    def problem_lines(self) -> list[str]:
        """The stderr lines naming a problem (all but the closing `FILE: invalid (...)`)."""
        closing = f"{self.file}: invalid ("
        return [line for line in self.err.splitlines() if not line.startswith(closing)]

    @property
    def problems(self) -> list[Problem]:
        """Every problem, parsed; fails on a line that is not `FILE:LINE: path: message`."""
        parsed = []
        for text in self.problem_lines:
            match = PROBLEM_LINE.match(text)
            assert match, f"not a FILE:LINE: key.path: message line: {text!r}"
            line = int(match["line"])
            parsed.append(Problem(match["file"], line, match["path"], match["message"]))
        return parsed

    def problem_at(self, path: str) -> Problem:
        """The one problem at key path `path`."""
        found = [problem for problem in self.problems if problem.path == path]
        assert len(found) == 1, f"expected one problem at {path}, got:\n{self.err}"
        return found[0]


def run_validate(file: Path) -> Reported:
    """Run `hubsim validate FILE` in-process; an exception escapes and fails the test."""
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main(["validate", str(file)])
    return Reported(file, code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="session")
def baseline_text() -> str:
    """The text of scenarios/baseline.yaml."""
    return BASELINE.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def scenarios_dir() -> Path:
    """The shipped scenarios folder."""
    return SCENARIOS


@pytest.fixture(scope="session")
def validate():
    """`validate(file) -> Reported`: `hubsim validate FILE`, in-process."""
    return run_validate


@pytest.fixture(scope="session")
def apply_edits():
    """`apply_edits(text, [(old, new), ...]) -> str`, each `old` found exactly once."""
    return edited


@pytest.fixture
def write_variant(tmp_path, baseline_text):
    """`write_variant(edits, text=None, name=...) -> Variant` under `tmp_path`.

    Writes the baseline with `edits` applied, or `text` (str or bytes) as given.
    """

    def write(
        edits: Iterable[Edit] = (), *, text: str | bytes | None = None, name: str = "bad.yaml"
    ) -> Variant:
        file = tmp_path / name
        file.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            file.write_bytes(text)
            return Variant(file, text.decode("utf-8", errors="replace"))
        content = edited(baseline_text, edits) if text is None else text
        file.write_text(content, encoding="utf-8")
        return Variant(file, content)

    return write

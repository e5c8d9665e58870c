"""Random damage to baseline.yaml is either still valid or refused well, never a crash.

Two levels of damage: to the parsed data (values of the wrong type or out of range, keys
deleted, renamed or added, subtrees swapped), dumped back to YAML with ruamel.yaml; and to the
raw text (lines deleted, duplicated, swapped or re-indented, tabs and garbage inserted, the
text truncated). Either way `hubsim validate` must exit 0, or exit 2 with every problem on a
`FILE:LINE: ...` line; a traceback or any other exit code is a bug.

The default run takes some 30 s; `-m slow` runs the same properties on many more examples.
"""

from __future__ import annotations

import copy
import io
import re
from datetime import date, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, note, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from sim.scenario.yaml_source import read_yaml

BASELINE = Path(__file__).resolve().parents[2] / "scenarios" / "baseline.yaml"
BASELINE_TEXT = BASELINE.read_text(encoding="utf-8")
BASELINE_DATA = read_yaml(BASELINE).data

# Examples per test: a data example (dump + validate) takes some 60 ms, a text one 20 ms.
DEFAULT_RUN = {"data": 350, "text": 700}
SLOW_RUN = {"data": 4000, "text": 8000}


def _examples(count: int) -> settings:
    return settings(max_examples=count, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _paths(node: Any, path: tuple = ()) -> list[tuple]:
    """Every key path in the data, the root included."""
    found = [path]
    if isinstance(node, dict):
        for key, value in node.items():
            found += _paths(value, (*path, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += _paths(value, (*path, index))
    return found


PATHS = _paths(BASELINE_DATA)
KEYS = sorted({part for path in PATHS for part in path if isinstance(part, str)})

# Values a planner might plausibly write by mistake, and some nobody would.
ODD_VALUES = st.one_of(
    st.sampled_from(
        [None, True, False, 0, -1, 1, 2, 0.5, 1.5, -0.0, 1e308, 10**30, "", "exit", "all"],
    ),
    st.sampled_from(["gamma", "2021-02-30", "1095", "yes", [], {}, [1, 2], {"kind": "fixed"}]),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=12),
    st.dates(min_value=date(1900, 1, 1), max_value=date(2100, 12, 31)),
    st.datetimes(min_value=datetime(1900, 1, 1), max_value=datetime(2100, 12, 31)),
    st.lists(st.integers(min_value=-3, max_value=3), max_size=3),
    st.dictionaries(st.sampled_from(KEYS), st.integers(min_value=-3, max_value=3), max_size=2),
)


def _parent_and_key(data: Any, path: tuple) -> tuple[Any, Any]:
    node = data
    for part in path[:-1]:
        node = node[part]
    return node, path[-1]


def _get(data: Any, path: tuple) -> Any:
    for part in path:
        data = data[part]
    return data


def _odd_value(draw) -> Any:
    # A copy: `sampled_from` hands out the same `{}` or `[]` every time, and a later
    # `add_key` would change it for every example after (hypothesis then reports the
    # strategy as flaky).
    return copy.deepcopy(draw(ODD_VALUES))


@st.composite
def damaged_data(draw) -> tuple[Any, list[str]]:
    """The baseline data with one to three random mutations, and what they were."""
    data = copy.deepcopy(BASELINE_DATA)
    steps: list[str] = []
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        paths = _paths(data)
        path = draw(st.sampled_from(paths))
        action = draw(st.sampled_from(["replace", "delete", "add_key", "rename", "swap"]))
        if not path:
            if action == "replace":
                data = _odd_value(draw)
                steps.append(f"root = {data!r}")
            continue
        parent, key = _parent_and_key(data, path)
        if action == "replace":
            parent[key] = _odd_value(draw)
            steps.append(f"{path} = {parent[key]!r}")
        elif action == "delete":
            del parent[key]
            steps.append(f"del {path}")
        elif action == "add_key" and isinstance(parent[key], dict):
            new_key = draw(st.one_of(st.sampled_from(KEYS), st.text(min_size=1, max_size=8)))
            parent[key][new_key] = _odd_value(draw)
            steps.append(f"{path}[{new_key!r}] = {parent[key][new_key]!r}")
        elif action == "rename" and isinstance(parent, dict):
            typo = key + draw(st.sampled_from(["s", "_", "x", " ", "-"]))
            parent[typo] = parent.pop(key)
            steps.append(f"rename {path} -> {typo!r}")
        elif action == "swap":
            other = draw(st.sampled_from(paths))
            if other and other[: len(path)] != path and path[: len(other)] != other:
                parent[key] = copy.deepcopy(_get(data, other))
                steps.append(f"{path} = copy of {other}")
    return data, steps


def _dump(data: Any) -> str:
    stream = io.StringIO()
    YAML(typ="safe", pure=True).dump(data, stream)
    return stream.getvalue()


GARBAGE = st.text(
    alphabet=st.sampled_from([*":-[]{}&*!%@`|>#\"',?~\\ \t\n\r", "\x00", "\x07", "é", "→"]),
    min_size=1,
    max_size=4,
)


@st.composite
def damaged_text(draw) -> tuple[str, list[str]]:
    """The baseline text with one to three random edits, and what they were."""
    text = BASELINE_TEXT
    steps: list[str] = []
    for _ in range(draw(st.integers(min_value=1, max_value=3))):
        lines = text.splitlines(keepends=True) or [""]
        i = draw(st.integers(min_value=0, max_value=len(lines) - 1))
        action = draw(
            st.sampled_from(
                ["delete", "duplicate", "swap", "indent", "dedent", "tab", "garbage", "truncate"]
            )
        )
        if action == "delete":
            del lines[i]
        elif action == "duplicate":
            lines.insert(i, lines[i])
        elif action == "swap":
            j = draw(st.integers(min_value=0, max_value=len(lines) - 1))
            lines[i], lines[j] = lines[j], lines[i]
        elif action == "indent":
            lines[i] = " " * draw(st.integers(min_value=1, max_value=4)) + lines[i]
        elif action == "dedent":
            lines[i] = lines[i][draw(st.integers(min_value=1, max_value=4)) :]
        elif action in ("tab", "garbage"):
            at = draw(st.integers(min_value=0, max_value=len(lines[i])))
            insert = "\t" if action == "tab" else draw(GARBAGE)
            lines[i] = lines[i][:at] + insert + lines[i][at:]
        text = "".join(lines)
        if action == "truncate":
            text = text[: draw(st.integers(min_value=0, max_value=len(text)))]
        steps.append(f"{action} line {i + 1}")
    return text, steps


@pytest.fixture(scope="module")
def scratch(tmp_path_factory) -> Path:
    """One file, rewritten for each example (hypothesis reuses module-scoped fixtures)."""
    return tmp_path_factory.mktemp("mutations") / "mutated.yaml"


def _assert_handled(file: Path, validate) -> None:
    reported = validate(file)
    event(f"exit code {reported.code}")  # shown by --hypothesis-show-statistics
    assert reported.code in (0, 2), reported.err
    assert "Traceback" not in reported.err
    if reported.code == 0:
        assert reported.err == ""
        return
    lines = reported.problem_lines
    assert lines, "refused without a problem"
    located = re.compile(re.escape(str(file)) + r":\d+: ")
    for line in lines:
        assert located.match(line), f"problem without a line number: {line!r}"
    plural = "s" if len(lines) > 1 else ""
    assert reported.err.endswith(f"{file}: invalid ({len(lines)} problem{plural})\n")


def _check_data(damage, scratch, validate) -> None:
    data, steps = damage
    note(f"mutations: {steps}")
    scratch.write_text(_dump(data), encoding="utf-8")
    _assert_handled(scratch, validate)


def _check_text(damage, scratch, validate) -> None:
    text, steps = damage
    note(f"edits: {steps}")
    scratch.write_text(text, encoding="utf-8", newline="")
    _assert_handled(scratch, validate)


def test_the_dumped_baseline_is_valid(scratch, validate):
    # The data round trip must not by itself break the file, or every example is refused.
    scratch.write_text(_dump(BASELINE_DATA), encoding="utf-8")

    assert validate(scratch).code == 0


@_examples(DEFAULT_RUN["data"])
@given(damage=damaged_data())
def test_damaged_data_is_valid_or_refused_with_lines(damage, scratch, validate):
    _check_data(damage, scratch, validate)


@_examples(DEFAULT_RUN["text"])
@given(damage=damaged_text())
def test_damaged_text_is_valid_or_refused_with_lines(damage, scratch, validate):
    _check_text(damage, scratch, validate)


@pytest.mark.slow
@_examples(SLOW_RUN["data"])
@given(damage=damaged_data())
def test_much_damaged_data_is_valid_or_refused_with_lines(damage, scratch, validate):
    _check_data(damage, scratch, validate)


@pytest.mark.slow
@_examples(SLOW_RUN["text"])
@given(damage=damaged_text())
def test_much_damaged_text_is_valid_or_refused_with_lines(damage, scratch, validate):
    _check_text(damage, scratch, validate)

"""Variants of a scenario: values changed at dotted key paths, then validated whole.

`variant(base, {"hub.stages.assessment.capacity[0].wte": 4})` gives the scenario a file that
`extends` the base's file with that one value would give: a mapping value is merged onto the
mapping at its path by the rules of `extends` (see `sim.scenario.extends`), anything else
replaces the value there, and the result is checked exactly as `load_scenario` checks a
file, cross-section checks included. So `hubsim validate`, `hubsim run --set` and `variant`
agree on what is valid.

A path names existing keys and list entries; only its last key may be new, where the
scenario has a mapping of names (a new stage, service, class, route destination, sector or
target): the validation then says whether the name is allowed there. A new key where the
schema has fixed keys (a typo) is an unknown key, with a "did you mean".
"""

from __future__ import annotations

import dataclasses
import io
import numbers
import os
import re
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel
from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from sim.scenario.extends import merge_value
from sim.scenario.loading import validate_document
from sim.scenario.model import Scenario
from sim.scenario.problems import KeyPath, Problem, ScenarioError, dotted, unknown_key
from sim.scenario.yaml_source import Document, read_yaml_value

OVERRIDE = "override"
"""How problems name an override given in Python (`override PATH=VALUE`)."""
SET_OPTION = "--set"
"""The command-line option whose `PATH=VALUE` arguments become overrides."""
EXAMPLE = "hub.stages.assessment.capacity[0].wte"

_PATH = re.compile(r"[^.\[\]\s=]+(?:\.[^.\[\]\s=]+|\[\d+\])*")
_PART = re.compile(r"\.?([^.\[\]\s=]+)|\[(\d+)\]")
_SHOWN_CHARACTERS = 80


def variant(base: Scenario, overrides: Mapping[str, object], *, origin: str = OVERRIDE) -> Scenario:
    """`base` with values changed at dotted key paths, validated as a whole scenario.

    Parameters
    ----------
    base
        The scenario to build on (never changed: scenarios are immutable).
    overrides
        Key path (`hub.stages.assessment.capacity[0].wte`) to value, applied in order. A
        mapping value is merged onto the mapping there as `extends` merges a file (one whose
        `kind`, `type`, `action` or `mode` changes, or a mapping of shares, replaces it
        whole); any other value replaces. A relative replay `demand.file` is relative to the
        working directory.
    origin
        How problems name an override: `override PATH=VALUE` by default; the command line
        passes `--set`.

    Returns
    -------
    Scenario
        The changed scenario; with no overrides, a scenario equal to `base`.

    Raises
    ------
    ScenarioError
        Listing every problem, each naming the override it comes from in place of a file
        (`--set PATH=VALUE`), the key path, what was found and what is allowed. A problem
        with a mapping names the overrides inside it; one no override's path explains (a
        date now outside a shortened horizon) names the base scenario and every override.
    """
    data = _plain(base.model_dump())
    # Where each key came from, as `extends` keeps file and line: the override that last
    # wrote it (none for the base's keys).
    lines: dict[KeyPath, tuple[str, None]] = {}
    labels: list[str] = []
    problems: list[Problem] = []
    for text, value in overrides.items():
        label = f"{origin} {text}={_as_yaml(value)}"
        labels.append(label)
        given = _plain(value)
        try:
            path = _parse_path(text)
            replaced = _apply(data, path, given)
        except _PathError as error:
            problems.append(Problem(label, None, error.path, error.message))
            continue
        lines = {
            at: where
            for at, where in lines.items()
            if not any(at[: len(r)] == r and len(at) > len(r) for r in replaced)
        }
        lines.update(dict.fromkeys(_key_paths(given, path), (label, None)))
    if problems:
        raise ScenarioError(problems)
    _resolve_replay_file(data)
    fallback = f"scenario '{base.name}'" + (f" with {', '.join(labels)}" if labels else "")
    scenario, problems = validate_document(Document(data, lines), fallback)
    if problems:
        raise ScenarioError([_attributed(problem, lines, fallback) for problem in problems])
    return scenario


def parse_overrides(settings: Iterable[str]) -> dict[str, Any]:
    """Command-line `PATH=VALUE` settings as overrides for `variant` (path to value).

    Each value is a YAML scalar (`4.5`, `2021-02-01`, `text`) or flow value
    (`{kind: exponential, mean_days: 3}`, `[a, b]`), read by the project's safe loader;
    empty is null. A path given twice keeps its last value.

    Raises
    ------
    ScenarioError
        Listing every setting without `=` or whose value is not valid YAML, each named
        as given (`--set PATH=VALUE`).
    """
    overrides: dict[str, Any] = {}
    problems: list[Problem] = []
    for text in settings:
        try:
            path, value = _parse_setting(text)
        except ScenarioError as error:
            problems.extend(error.problems)
            continue
        overrides.pop(path, None)  # the last one given applies last
        overrides[path] = value
    if problems:
        raise ScenarioError(problems)
    return overrides


def _parse_setting(text: str) -> tuple[str, Any]:
    label = f"{SET_OPTION} {text}"
    path, equals, value_text = text.partition("=")
    if not equals or not path.strip():
        message = f"expected PATH=VALUE, like {SET_OPTION} {EXAMPLE}=4.5"
        raise ScenarioError([Problem(label, None, (text,), message)])
    try:
        return path.strip(), read_yaml_value(value_text, label)
    except ScenarioError as error:
        # A line number inside a one-line value says nothing: leave it out.
        at = (path.strip(),)
        problems = [Problem(label, None, at, problem.message) for problem in error.problems]
        raise ScenarioError(problems) from None


class _PathError(Exception):
    def __init__(self, path: KeyPath, message: str) -> None:
        super().__init__(message)
        self.path, self.message = path, message


def _parse_path(text: str) -> KeyPath:
    """`hub.stages.x.capacity[0].wte` -> ("hub", "stages", "x", "capacity", 0, "wte")."""
    if not (isinstance(text, str) and _PATH.fullmatch(text)):
        raise _PathError(
            (text,),
            f"not a key path: {text!r}; expected keys joined by dots, with [N] for a list "
            f"entry, like {EXAMPLE}",
        )
    return tuple(int(index) if index else key for key, index in _PART.findall(text))


def _apply(data: dict, path: KeyPath, value: Any) -> list[KeyPath]:
    """Set `value` at `path` in `data` (in place: `data` is this call's own copy); return
    the key paths whose value was replaced whole."""
    node: Any = data
    for depth in range(len(path) - 1):
        node = node[_entry(node, path, depth)]
    last = _entry(node, path, len(path) - 1)
    if isinstance(node, dict) and last not in node:
        node[last] = value  # a new name; the validation says whether one is allowed here
        return [path]
    node[last], replaced = merge_value(node[last], value, path)
    return replaced


def _entry(node: Any, path: KeyPath, depth: int) -> str | int:
    """`path[depth]`, checked to name an entry of `node`; the last key may be new."""
    part, here, above = path[depth], path[: depth + 1], path[:depth]
    if isinstance(node, dict):
        if isinstance(part, int):
            raise _PathError(above, f"is a mapping, not a list; found [{part}]")
        if part not in node and depth < len(path) - 1:
            raise _PathError(here, unknown_key(part, [str(key) for key in node]))
    elif isinstance(node, list):
        if not isinstance(part, int):
            raise _PathError(above, f"is a list; expected an entry number [N], found '{part}'")
        if part >= len(node):
            span = f"entries 0 to {len(node) - 1}" if node else "no entries"
            raise _PathError(
                here, f"no entry [{part}]: the list has {span}; to add one, give the whole list"
            )
    else:
        raise _PathError(
            above,
            f"is {_as_yaml(node)}, not a mapping or list; give the whole value "
            f"({dotted(above)}={{...}})",
        )
    return part


def _key_paths(value: Any, path: KeyPath) -> list[KeyPath]:
    """`path` and the key path of everything inside `value`."""
    if isinstance(value, dict):
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return [path]
    return [path, *(inner for key, item in items for inner in _key_paths(item, (*path, key)))]


def _attributed(problem: Problem, lines: dict[KeyPath, tuple[str, None]], fallback: str) -> Problem:
    """A problem with a mapping (capacity dates out of order) named by the overrides inside
    it: the base was valid, so they are its cause."""
    if problem.file != fallback:
        return problem
    depth = len(problem.path)
    inside = dict.fromkeys(label for at, (label, _) in lines.items() if at[:depth] == problem.path)
    return dataclasses.replace(problem, file=", ".join(inside)) if inside else problem


def _resolve_replay_file(data: dict) -> None:
    # The base's replay path is absolute already (the loader resolves it): only one given
    # by an override can be relative, and it is relative to where the command runs.
    demand = data.get("demand")
    if isinstance(demand, dict) and isinstance(demand.get("file"), str) and demand["file"]:
        demand["file"] = os.path.abspath(demand["file"])


def _plain(value: Any) -> Any:
    """Plain YAML-like data: dicts, lists and scalars (models dumped, numpy numbers as
    Python numbers), always a fresh copy."""
    if isinstance(value, BaseModel):
        value = value.model_dump()
    if isinstance(value, Mapping):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, bool | str) or type(value) in (int, float):
        return value
    if isinstance(value, numbers.Integral):  # numpy's too (np.float64 is a float subclass)
        return int(value)
    if isinstance(value, numbers.Real):
        return float(value)
    return value


def _as_yaml(value: Any) -> str:
    """A value as YAML flow text, on one line, for naming an override in a problem."""
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = True
    yaml.sort_base_mapping_type_on_output = False  # as given: order matters in a scenario
    yaml.width = 10_000
    out = io.StringIO()
    try:
        yaml.dump(_plain(value), out)
    except YAMLError:  # not a YAML value at all (a set, an object): validation says so
        text = repr(value)
    else:
        text = out.getvalue().removesuffix("\n...\n").strip()
    return text if len(text) <= _SHOWN_CHARACTERS else text[: _SHOWN_CHARACTERS - 3] + "..."

"""Load a scenario file into a validated `Scenario`, or report every problem with its line."""

from __future__ import annotations

import os
import types
import typing
from datetime import date
from pathlib import Path
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ValidationError

from sim.scenario.extends import read_scenario_document
from sim.scenario.model import DEFER_CROSS_CHECKS, Scenario
from sim.scenario.pathway import ReplayReferrals
from sim.scenario.problems import KeyPath, Problem, ScenarioError, Source, unknown_key
from sim.scenario.replay import replay_problems
from sim.scenario.yaml_source import Document

_TYPE_NAMES = {
    "int_type": "a whole number",
    "int_from_float": "a whole number",
    "float_type": "a number",
    "string_type": "text",
    "bool_type": "true or false",
    "dict_type": "a mapping (key: value lines)",
    "model_type": "a mapping (key: value lines)",
    "model_attributes_type": "a mapping (key: value lines)",
    "tuple_type": "a list",
    "list_type": "a list",
    "date_type": "a date (YYYY-MM-DD)",
    "date_from_datetime_inexact": "a date without a time of day",
    "date_from_datetime_parsing": "a date (YYYY-MM-DD)",
    "date_parsing": "a date (YYYY-MM-DD)",
    "finite_number": "a finite number (not .nan or .inf)",
}


def load_scenario(file: str | Path) -> Scenario:
    """Read, merge (`extends`) and validate a scenario file.

    Raises
    ------
    ScenarioError
        Listing every problem found, each with file, line, key path, what was found and
        what is allowed.
    """
    file = Path(file)
    document = read_scenario_document(file)
    scenario, problems = validate_document(document, file)
    if problems:
        raise ScenarioError(problems)
    return scenario


def validate_document(document: Document, file: Source) -> tuple[Scenario | None, list[Problem]]:
    """Validate merged scenario data; problems carry the file and line of each key.

    `file` is named by problems at keys the document has no line for.
    """
    document = _with_resolved_paths(document, file)
    try:
        scenario = Scenario.model_validate(document.data, context={DEFER_CROSS_CHECKS: True})
    except ValidationError as error:
        return None, validation_problems(document, file, error, Scenario)
    problems = []
    for issue in scenario.cross_section_issues():
        at_file, line = document.where(issue.path, file)
        problems.append(Problem(at_file, line, issue.path, issue.message))
    problems.extend(_replay_file_problems(scenario, document, file))
    return (None if problems else scenario), problems


def _with_resolved_paths(document: Document, file: Source) -> Document:
    """The replay file's path made absolute, relative to the file that names it, so the
    resolved scenario runs from any working directory (an absolute path stays as it is)."""
    demand = document.data.get("demand") if isinstance(document.data, dict) else None
    if not (isinstance(demand, dict) and isinstance(demand.get("file"), str)):
        return document
    if os.path.isabs(demand["file"]):
        return document
    at_file, _ = document.where(("demand", "file"), file)
    resolved = str(Path(os.path.abspath(Path(at_file).parent / demand["file"])))
    data = document.data | {"demand": demand | {"file": resolved}}
    return Document(data, document.lines)


def _replay_file_problems(scenario: Scenario, document: Document, file: Source) -> list[Problem]:
    if not isinstance(scenario.demand, ReplayReferrals):
        return []
    path = ("demand", "file")
    at_file, line = document.where(path, file)
    target = Path(scenario.demand.file)
    try:
        if target.is_file():
            classes = list(scenario.hub.priority_classes)
            return replay_problems(target, classes, scenario.simulation.horizon_days)
    except OSError as error:  # a name too long for the system: is_file() raises
        return [Problem(at_file, line, path, f"replay file unusable: {error.strerror}")]
    return [Problem(at_file, line, path, f"replay file not found: {target}")]


def validation_problems(
    document: Document, file: Source, error: ValidationError, root: type[BaseModel]
) -> list[Problem]:
    """Every error of validating `document` as the pydantic model `root`, as problems at the
    key paths the user wrote (with file and line), sorted by file and line.

    Shared with other input files built like scenarios (experiment files, `sim.analysis`).
    """
    problems = [_problem(document, file, detail, root) for detail in error.errors()]
    return sorted(problems, key=lambda p: (str(p.file), p.line or 0))


def _problem(document: Document, file: Source, detail: dict, root: type[BaseModel]) -> Problem:
    """Turn one pydantic error into a problem at the key path the user wrote."""
    path = _data_path(document.data, detail["loc"], missing=detail["type"] == "missing")
    at_file, line = document.where(path, file)
    return Problem(at_file, line, path, _message(detail, path, root))


def _data_path(data: Any, loc: tuple, missing: bool) -> KeyPath:
    """The part of pydantic's location that exists in the data (drops union tags).

    Only a missing key is named though absent: any other absent last part is pydantic's
    (a union tag such as `campaign`, or `[key]` for a bad mapping key).
    """
    path: list[str | int] = []
    node = data
    for part in loc:
        in_dict = isinstance(node, dict) and part in node
        in_list = isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node)
        if in_dict or in_list:
            node = node[part]
            path.append(part)
        elif missing and isinstance(node, dict) and loc[-1] == part:
            path.append(part)  # a missing key: name it
    return tuple(path)


def _found(value: Any) -> str:
    # Spelled as the YAML was written, not as Python prints it (None, True).
    if value is None:
        return "null (no value)"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, date):
        return value.isoformat()
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _message(detail: dict, path: KeyPath, root: type[BaseModel]) -> str:
    kind, loc, ctx = detail["type"], detail["loc"], detail.get("ctx") or {}
    found = _found(detail.get("input"))
    if kind == "missing":
        return f"missing required key '{loc[-1]}'"
    if kind == "extra_forbidden":
        return unknown_key(str(loc[-1]), _allowed_keys(loc[:-1], root))
    if kind == "union_tag_invalid":
        return (
            f"unknown {ctx['discriminator'].strip(chr(39))} '{ctx['tag']}'; "
            f"allowed: {ctx['expected_tags']}"
        )
    if kind == "union_tag_not_found":
        return f"missing key {ctx['discriminator']} (it says which kind of entry this is)"
    if kind in _TYPE_NAMES:
        return f"expected {_TYPE_NAMES[kind]}, found {found}"
    if kind in ("too_short", "too_long"):
        bound = "at least" if kind == "too_short" else "at most"
        limit = ctx["min_length"] if kind == "too_short" else ctx["max_length"]
        count = ctx.get("actual_length")
        entries = f"{count} entries" if count is not None else found
        return f"found {entries}; allowed: {bound} {limit}"
    message = detail["msg"].removeprefix("Value error, ")
    if message.startswith("Input should be "):
        return f"found {found}; allowed: {message.removeprefix('Input should be ')}"
    if kind == "string_pattern_mismatch":
        return (
            f"found {found}; allowed: a name of lower-case letters, digits and _, "
            "starting with a letter"
        )
    return f"{message[0].lower()}{message[1:]}" if kind == "value_error" else f"{message}"


def _allowed_keys(loc: tuple, root: type[BaseModel]) -> list[str]:
    """The keys a mapping at pydantic location `loc` of `root` accepts (for 'did you mean')."""
    annotation: Any = root
    for part in loc:
        candidates = _unwrap(annotation)
        chosen = None
        for candidate in candidates:
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                if part in candidate.model_fields:
                    chosen = candidate.model_fields[part].annotation
                elif len(candidates) > 1 and _tag_of(candidate) == part:
                    chosen = candidate
            elif get_origin(candidate) is dict:
                chosen = get_args(candidate)[1]
            elif get_origin(candidate) is tuple:
                chosen = get_args(candidate)[0]
            if chosen is not None:
                break
        if chosen is None:
            return []
        annotation = chosen
    models = [c for c in _unwrap(annotation) if isinstance(c, type) and issubclass(c, BaseModel)]
    return list(models[0].model_fields) if len(models) == 1 else []


def _unwrap(annotation: Any) -> list[Any]:
    """The concrete alternatives of an annotation (Annotated and unions opened, no None)."""
    origin = get_origin(annotation)
    if origin is typing.Annotated:
        return _unwrap(get_args(annotation)[0])
    if origin in (Union, types.UnionType):
        return [alt for arg in get_args(annotation) for alt in _unwrap(arg)]
    if annotation is type(None):
        return []
    return [annotation]


def _tag_of(model: type[BaseModel]) -> str | None:
    for key in ("kind", "type", "action", "mode"):
        field = model.model_fields.get(key)
        if field is not None and get_origin(field.annotation) is typing.Literal:
            return get_args(field.annotation)[0]
    return None

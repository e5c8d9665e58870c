"""`hubsim schema` is a Draft 2020-12 JSON Schema that accepts the shipped scenarios."""

from __future__ import annotations

import contextlib
import copy
import io
import json
from datetime import date
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from sim.cli import main
from sim.scenario.yaml_source import read_yaml

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"
SCENARIO_FILES = sorted(SCENARIOS.glob("*.yaml"))


def as_json(value: Any) -> Any:
    """YAML data as JSON sees it: dates become ISO strings."""
    if isinstance(value, dict):
        return {key: as_json(item) for key, item in value.items()}
    if isinstance(value, list):
        return [as_json(item) for item in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


@pytest.fixture(scope="module")
def schema() -> dict:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["schema"]) == 0
    return json.loads(out.getvalue())


@pytest.fixture(scope="module")
def validator(schema) -> jsonschema.Draft202012Validator:
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


@pytest.fixture(scope="module")
def baseline_data() -> dict:
    return as_json(read_yaml(SCENARIOS / "baseline.yaml").data)


def _reasons(validator, data) -> list[str]:
    """Messages of every failure, those inside each `anyOf` alternative included."""
    reasons = []
    errors = list(validator.iter_errors(data))
    while errors:
        error = errors.pop()
        reasons.append(error.message)
        errors.extend(error.context or ())
    return reasons


def test_schema_is_a_valid_draft_2020_12_schema(schema):
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    jsonschema.Draft202012Validator.check_schema(schema)


def test_there_are_scenarios_to_check():
    assert {"baseline.yaml", "closure-2023.yaml"} <= {file.name for file in SCENARIO_FILES}


@pytest.mark.parametrize("file", SCENARIO_FILES, ids=[file.name for file in SCENARIO_FILES])
def test_schema_accepts_every_shipped_scenario(validator, file):
    data = as_json(read_yaml(file).data)

    assert _reasons(validator, data) == []


def test_schema_rejects_an_unknown_top_level_key(validator, baseline_data):
    data = baseline_data | {"outputz": {"directory": "results"}}

    assert any("'outputz' was unexpected" in reason for reason in _reasons(validator, data))


def test_schema_rejects_a_complete_file_without_hub(validator, baseline_data):
    data = {key: value for key, value in baseline_data.items() if key != "hub"}

    assert "'hub' is a required property" in _reasons(validator, data)


def test_schema_accepts_a_partial_file_that_extends_another(validator):
    data = {"extends": "baseline.yaml", "simulation": {"seed": 7}}

    assert _reasons(validator, data) == []


def test_schema_rejects_a_partial_file_without_extends(validator):
    assert "'extends' is a required property" in _reasons(validator, {"name": "x"})


def _set(data: dict, path: tuple, value: Any) -> dict:
    changed = copy.deepcopy(data)
    node = changed
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value
    return changed


@pytest.mark.parametrize(
    ("path", "value", "reason"),
    [
        pytest.param(
            ("hub", "stages", "therapy", "capacity", 0, "wte"),
            -7.0,
            "-7.0 is less than the minimum of 0",
            id="negative-wte",
        ),
        pytest.param(
            ("workforce", "stigma_share"), 1.5, "1.5 is greater than the maximum of 1", id="share"
        ),
        pytest.param(
            ("simulation", "horizon_days"), "1095", "'1095' is not of type 'integer'", id="text"
        ),
        pytest.param(
            ("simulation", "start_date"), "2021-02-30", "is not a 'date'", id="impossible-date"
        ),
        pytest.param(
            ("hub", "stages", "assessment", "service"),
            {"kind": "weibull", "mean_days": 1.0},
            "'exponential' was expected",
            id="distribution-kind",
        ),
    ],
)
def test_schema_rejects_what_the_loader_rejects(validator, baseline_data, path, value, reason):
    reasons = _reasons(validator, _set(baseline_data, path, value))

    assert any(reason in text for text in reasons), reasons

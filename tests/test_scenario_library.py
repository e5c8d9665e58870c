"""The scenario library (issue #11): every file in scenarios/ builds on the baseline or stands
alone, validates, runs, differs from what it extends, and has its row in scenarios/README.md
with its question and the command that answers it."""

import math
from pathlib import Path

import pytest

import sim
from sim.scenario import load_scenario

SCENARIOS = sorted(Path("scenarios").glob("*.yaml"))
LIBRARY = [path for path in SCENARIOS if path.name not in {"baseline.yaml", "queue-only.yaml"}]
README = Path("scenarios/README.md")


def test_the_library_has_the_issues_questions():
    names = {path.stem for path in LIBRARY}
    assert {
        "core-model",
        "promotion-campaign",
        "manager-training",
        "cultural-competency",
        "second-wave",
        "external-waits-double",
        "health-and-care-only",
        "closure-2023",
        "plus-2-wte-assessment",
    } <= names


@pytest.mark.parametrize("path", LIBRARY, ids=lambda path: path.stem)
def test_every_library_scenario_extends_the_baseline_and_changes_something(path):
    assert path.read_text().lstrip().splitlines()[0].startswith("#"), "opens with its question"
    scenario = load_scenario(path)
    baseline = load_scenario("scenarios/baseline.yaml")
    assert "extends: baseline.yaml" in path.read_text()
    assert scenario.digest() != baseline.digest(), "a library scenario must change something"


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda path: path.stem)
def test_every_scenario_has_its_readme_row(path):
    rows = [line for line in README.read_text().splitlines() if f"`{path.name}`" in line]
    assert rows, f"{path.name} has no row in scenarios/README.md"


@pytest.mark.slow
@pytest.mark.parametrize("path", SCENARIOS, ids=lambda path: path.stem)
def test_every_scenario_runs(path):
    scenario = load_scenario(path)
    if scenario.workforce is not None:  # a smaller workforce: the same mechanisms, quicker
        scenario = sim.variant(scenario, {"workforce.size": 20_000})
    kpis = sim.run_kpis(scenario, seed=1, replication=0)
    assert kpis["referrals_per_month"] > 0
    assert all(not math.isinf(value) for value in kpis.values())

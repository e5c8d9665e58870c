"""`extends`: deep merge onto a parent file, and problems located where the value was written."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sim.scenario import ScenarioError, load_scenario
from sim.scenario.distributions import Exponential, Gamma
from sim.scenario.pathway import Discharge


@pytest.fixture
def baseline(tmp_path, scenarios_dir):
    """A copy of the baseline in its own folder, as a parent for the children below."""
    folder = tmp_path / "base"
    folder.mkdir()
    return Path(shutil.copy(scenarios_dir / "baseline.yaml", folder / "baseline.yaml")).resolve()


@pytest.fixture
def child(baseline):
    """`child(body, name=...)`: a file next to the baseline copy that extends it."""

    def write(body: str, name: str = "child.yaml", extends: str = "baseline.yaml"):
        file = baseline.parent / name
        file.write_text(f"extends: {extends}\n{body}", encoding="utf-8")
        return file

    return write


def test_mappings_merge_key_by_key(baseline, child):
    parent = load_scenario(baseline)
    merged = load_scenario(child("name: Child\nsimulation:\n  seed: 7\n"))

    assert merged.name == "Child"
    assert merged.simulation.seed == 7
    assert merged.simulation.horizon_days == parent.simulation.horizon_days
    assert merged.simulation.start_date == parent.simulation.start_date
    assert merged.hub == parent.hub
    assert merged.description == parent.description


def test_a_nested_value_overrides_only_itself(baseline, child):
    parent = load_scenario(baseline)
    merged = load_scenario(
        child("workforce:\n  sectors:\n    social_care:\n      organisations: 900\n")
    )

    social_care = merged.workforce.sectors["social_care"]
    assert social_care.organisations == 900
    assert social_care.share == parent.workforce.sectors["social_care"].share
    assert merged.workforce.sectors["nhs"] == parent.workforce.sectors["nhs"]
    assert merged.workforce.size == parent.workforce.size


def test_lists_replace_the_parents(baseline, child):
    assert len(load_scenario(baseline).interventions) == 5
    merged = load_scenario(child("interventions:\n  - {type: closure, date: 2023-04-01}\n"))

    assert [intervention.type for intervention in merged.interventions] == ["closure"]


def test_a_mapping_with_a_new_kind_replaces_the_parents_whole(child):
    # gamma (shape 2, mean 0.5) -> exponential: `shape` must not be inherited, or the
    # exponential would be refused for an unknown key.
    body = "hub:\n  stages:\n    assessment:\n      service: {kind: exponential, mean_days: 1.0}\n"
    merged = load_scenario(child(body))

    assert merged.hub.stages["assessment"].service == Exponential(kind="exponential", mean_days=1)


def test_a_mapping_with_the_same_kind_merges(child):
    body = "hub:\n  stages:\n    assessment:\n      service: {mean_days: 1.0}\n"
    merged = load_scenario(child(body))

    assert merged.hub.stages["assessment"].service == Gamma(kind="gamma", shape=2, mean_days=1)


def test_a_new_action_replaces_the_parents_whole(child):
    # transfer (to talking_therapies) -> discharge: `to` must not be inherited.
    body = "hub:\n  stages:\n    therapy:\n      on_closure: {action: discharge}\n"
    merged = load_scenario(child(body))

    assert merged.hub.stages["therapy"].on_closure == Discharge(action="discharge")


def test_the_parent_path_is_relative_to_the_childs_file(tmp_path, baseline, monkeypatch):
    folder = tmp_path / "variants" / "2023"
    folder.mkdir(parents=True)
    file = folder / "far.yaml"
    file.write_text("extends: ../../base/baseline.yaml\nname: Far away\n", encoding="utf-8")
    monkeypatch.chdir(tmp_path / "variants")  # neither the child's nor the parent's folder

    merged = load_scenario(file.relative_to(tmp_path / "variants"))

    assert merged.name == "Far away"
    assert merged.hub == load_scenario(baseline).hub


def test_a_chain_of_three_files(tmp_path, baseline):
    middle = baseline.parent / "middle.yaml"
    middle.write_text(
        "extends: baseline.yaml\nname: Middle\nsimulation:\n  seed: 1\n  replications: 3\n",
        encoding="utf-8",
    )
    leaf = tmp_path / "leaf.yaml"
    leaf.write_text("extends: base/middle.yaml\nsimulation:\n  seed: 2\n", encoding="utf-8")

    merged = load_scenario(leaf)

    assert merged.name == "Middle"  # from the middle
    assert merged.simulation.replications == 3  # from the middle
    assert merged.simulation.seed == 2  # the leaf overrides the middle
    assert merged.simulation.horizon_days == 1095  # from the baseline
    assert merged.workforce == load_scenario(baseline).workforce


def _only_problem(file):
    with pytest.raises(ScenarioError) as raised:
        load_scenario(file)
    (problem,) = raised.value.problems
    return problem


def _line(file, needle: str) -> int:
    text = file.read_text(encoding="utf-8")
    assert text.count(needle) == 1
    return text[: text.index(needle)].count("\n") + 1


def test_a_bad_value_in_the_child_points_at_the_child(child):
    file = child("name: Child\nsimulation:\n  seed: -5\n")
    problem = _only_problem(file)

    assert (problem.file, problem.line, problem.path) == (file, 4, ("simulation", "seed"))


def test_a_bad_value_in_the_grandparent_points_at_the_grandparent(tmp_path, baseline):
    text = baseline.read_text(encoding="utf-8").replace("wte: 5.5}", "wte: -5.5}")
    baseline.write_text(text, encoding="utf-8")
    (baseline.parent / "middle.yaml").write_text("extends: baseline.yaml\nname: M\n", "utf-8")
    leaf = tmp_path / "leaf.yaml"
    leaf.write_text("extends: base/middle.yaml\n", encoding="utf-8")

    problem = _only_problem(leaf)

    assert problem.file == baseline
    assert problem.line == _line(baseline, "wte: -5.5}")
    assert problem.path == ("hub", "stages", "therapy", "capacity", 0, "wte")


def test_a_cross_section_problem_points_where_the_date_was_written(baseline, child):
    # The child shortens the run; the parent's later dates fall outside it. The fix is in
    # either file, and the problem names the line of the date, in the parent.
    with pytest.raises(ScenarioError) as raised:
        load_scenario(child("simulation:\n  horizon_days: 90\n"))

    problems = {problem.path: problem for problem in raised.value.problems}
    extension = problems[("interventions", 3, "date")]
    assert extension.file == baseline
    assert extension.line == _line(baseline, "    date: 2021-06-01")
    assert "outside the simulated period 2021-02-01 to 2021-05-01" in extension.message


def test_a_key_missing_after_a_kind_change_points_at_the_child(child):
    # gamma -> lognormal needs sd_days, which the parent's gamma never had.
    body = "hub:\n  stages:\n    assessment:\n      service: {kind: lognormal, mean_days: 1}\n"
    file = child(body)
    problem = _only_problem(file)

    assert problem.file == file
    assert problem.line == _line(file, "service: {kind: lognormal")
    assert problem.path == ("hub", "stages", "assessment", "service", "sd_days")
    assert problem.message == "missing required key 'sd_days'"


def test_a_replaced_list_forgets_the_parents_lines(child):
    # The parent's first intervention has reach_share on its own line; the child's list
    # replaces it with a campaign that lacks one. The problem is the child's, not the parent's.
    file = child("interventions:\n  - {type: campaign, date: 2021-02-01, end_date: 2021-03-31}\n")
    problem = _only_problem(file)

    assert problem.file == file
    assert problem.line == _line(file, "- {type: campaign")
    assert problem.path == ("interventions", 0, "reach_share")
    assert problem.message == "missing required key 'reach_share'"


def test_share_maps_are_replaced_whole_not_merged(tmp_path):
    child = tmp_path / "routes.yaml"
    child.write_text(
        f"extends: {(Path('scenarios') / 'baseline.yaml').resolve()}\n"
        "hub:\n"
        "  stages:\n"
        "    assessment:\n"
        "      routes:\n"
        "        routine: {therapy: 0.8, exit: 0.2}\n"
    )
    routes = load_scenario(child).hub.stages["assessment"].routes
    assert routes["routine"] == {"therapy": 0.8, "exit": 0.2}  # no talking_therapies left over
    parent = load_scenario(Path("scenarios") / "baseline.yaml").hub.stages["assessment"].routes
    assert routes["urgent"] == parent["urgent"]  # the other class is the parent's

"""`variant(base, overrides)`: dotted paths, `extends` merge rules, whole validation; and the
scenario's deep immutability, hash and digest.

Every test builds on a small fixture scenario written here (not the baseline), so changing the
baseline's numbers breaks none of them.
"""

from __future__ import annotations

import copy
import json
import os
import pickle
import subprocess
import sys
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from pydantic import BaseModel

import sim
from sim.scenario import Scenario, ScenarioError, load_scenario, variant
from sim.scenario.base import FrozenDict
from sim.scenario.distributions import Exponential, Gamma
from sim.scenario.variant import parse_overrides

SCENARIOS = Path(__file__).resolve().parents[2] / "scenarios"

FIXTURE = """\
name: Variant fixture
simulation: {start_date: 2021-01-01, horizon_days: 365, warmup_days: 30, seed: 7}
demand:
  mode: poisson
  referrals: [{from_date: 2021-01-01, per_day: 5}]
workforce:
  size: 1000
  sectors:
    nhs:
      share: 0.7
      staff_group_shares: {nurses: 0.6, doctors: 0.4}
      minority_ethnic_share: 0.2
      male_share: 0.3
      organisations: 2
    care:
      share: 0.3
      staff_group_shares: {carers: 1.0}
      minority_ethnic_share: 0.1
      male_share: 0.2
      organisations: 5
  team_size_mean: 10
  supportive_manager_share: 0.5
  negative_culture_share: 0.3
  own_support_offer_share: 0.2
  stigma_share: 0.3
  role_belief_share: 0.3
  confidentiality_concern_share: 0.2
  racism_affected_share: 0.4
hub:
  priority_classes: {urgent: 0.2, routine: 0.8}
  stages:
    assessment:
      capacity:
        - {from_date: 2021-01-01, wte: 2}
        - {from_date: 2021-07-01, wte: 3}
      servers_per_wte: 1
      service: {kind: gamma, shape: 2, mean_days: 0.5}
      routes:
        all: {therapy: 0.5, exit: 0.5}
    therapy:
      capacity: [{from_date: 2021-01-01, wte: 1}]
      servers_per_wte: 10
      service: {kind: exponential, mean_days: 60}
      treatment: true
targets:
  assessment_in_2_weeks: {stage: assessment, within_days: 14, share: 0.8}
"""


@pytest.fixture(scope="module")
def fixture_file(tmp_path_factory) -> Path:
    file = tmp_path_factory.mktemp("variant") / "fixture.yaml"
    file.write_text(FIXTURE, encoding="utf-8")
    return file


@pytest.fixture(scope="module")
def base(fixture_file) -> Scenario:
    return load_scenario(fixture_file)


def problems_of(base: Scenario, overrides: dict) -> list:
    with pytest.raises(ScenarioError) as raised:
        variant(base, overrides)
    return raised.value.problems


# Paths and values


def test_dotted_paths_with_list_indices_change_only_those_values(base):
    changed = variant(
        base,
        {"hub.stages.assessment.capacity[1].wte": 4, "workforce.supportive_manager_share": 0.9},
    )

    assert changed.hub.stages["assessment"].capacity[1].wte == 4.0
    assert changed.hub.stages["assessment"].capacity[0] == base.hub.stages["assessment"].capacity[0]
    assert changed.workforce.supportive_manager_share == 0.9
    assert changed.hub.stages["therapy"] == base.hub.stages["therapy"]
    assert changed.simulation == base.simulation
    assert base.hub.stages["assessment"].capacity[1].wte == 3.0, "the base is not changed"


def test_no_overrides_give_an_equal_scenario_with_the_same_hash_and_digest(base):
    same = variant(base, {})

    assert same == base
    assert hash(same) == hash(base)
    assert same.digest() == base.digest()


def test_the_package_exports_variant_lazily():
    assert sim.variant is variant


def test_python_values_of_other_types_are_taken_as_plain_values(base):
    changed = variant(
        base,
        {
            "simulation.seed": np.int64(11),  # as a sweep's design array gives it
            "hub.stages.therapy.service": Exponential(kind="exponential", mean_days=30),
            "hub.stages.assessment.capacity": (
                {"from_date": date(2021, 1, 1), "wte": np.float32(2.5)},
            ),
        },
    )

    assert changed.simulation.seed == 11 and type(changed.simulation.seed) is int
    assert changed.hub.stages["therapy"].service.mean == 30
    assert changed.hub.stages["assessment"].capacity[0].wte == 2.5


def test_a_numpy_value_is_named_as_the_number_it_is(base):
    (problem,) = problems_of(base, {"simulation.warmup_days": np.float64(4.5)})

    assert problem.file == "override simulation.warmup_days=4.5"
    assert problem.message == "expected a whole number, found 4.5"


def test_a_given_value_is_copied_so_changing_it_later_changes_nothing(base):
    routes = {"all": {"therapy": 0.4, "exit": 0.6}}
    changed = variant(base, {"hub.stages.assessment.routes": routes})
    routes["all"]["therapy"] = 0.9

    assert changed.hub.stages["assessment"].routes["all"]["therapy"] == 0.4


# Merge rules (those of `extends`)


def test_a_mapping_value_is_merged_key_by_key(base):
    changed = variant(base, {"hub.stages.assessment.service": {"mean_days": 1.0}})

    assert changed.hub.stages["assessment"].service == Gamma(kind="gamma", shape=2, mean_days=1.0)


def test_a_mapping_whose_kind_changes_replaces_the_old_one_whole(base):
    # Merged, the gamma's `shape` would stay and be an unknown key of an exponential.
    changed = variant(
        base, {"hub.stages.assessment.service": {"kind": "exponential", "mean_days": 1.0}}
    )

    assert changed.hub.stages["assessment"].service == Exponential(
        kind="exponential", mean_days=1.0
    )


@pytest.mark.parametrize(
    ("path", "shares"),
    [
        ("hub.priority_classes", {"routine": 1.0}),
        ("hub.stages.assessment.routes.all", {"exit": 1.0}),
        ("workforce.sectors.nhs.staff_group_shares", {"nurses": 1.0}),
    ],
)
def test_a_mapping_of_shares_replaces_the_old_one_whole(base, path, shares):
    # Merged, the old shares would stay beside the new ones and sum to more than 1.
    changed = variant(base, {path: shares})
    node = changed
    for key in path.split("."):
        node = node[key] if isinstance(node, FrozenDict) else getattr(node, key)

    assert node == shares


def test_one_share_set_alone_must_still_sum_to_one_and_two_together_may(base):
    (problem,) = problems_of(base, {"hub.priority_classes.urgent": 0.3})
    assert problem.path == ("hub", "priority_classes")
    assert "shares must sum to 1, found urgent 0.3 + routine 0.8 = 1.1" in problem.message

    changed = variant(
        base, {"hub.priority_classes.urgent": 0.3, "hub.priority_classes.routine": 0.7}
    )
    assert changed.hub.priority_classes == {"urgent": 0.3, "routine": 0.7}


def test_a_new_name_where_the_scenario_has_named_entries_is_added_after_the_others(base):
    target = {"stage": "therapy", "within_days": 56, "share": 0.5}
    changed = variant(base, {"targets.therapy_in_8_weeks": target})

    assert list(changed.targets) == ["assessment_in_2_weeks", "therapy_in_8_weeks"]
    assert changed.targets["therapy_in_8_weeks"].within_days == 56


def test_later_overrides_see_entries_added_by_earlier_ones(base):
    target = {"stage": "therapy", "within_days": 56, "share": 0.5}
    changed = variant(
        base, {"targets.therapy_in_8_weeks": target, "targets.therapy_in_8_weeks.share": 0.6}
    )

    assert changed.targets["therapy_in_8_weeks"].share == 0.6


# Errors: the override, the key path, what was found and what is allowed


def test_a_bad_value_names_the_override_its_path_what_was_found_and_allowed(base):
    with pytest.raises(ScenarioError) as raised:
        variant(base, {"hub.stages.assessment.capacity[0].wte": -1})

    (problem,) = raised.value.problems
    assert problem.file == "override hub.stages.assessment.capacity[0].wte=-1"
    assert problem.path == ("hub", "stages", "assessment", "capacity", 0, "wte")
    assert problem.message == "found -1; allowed: greater than or equal to 0"
    assert str(raised.value) == (
        "override hub.stages.assessment.capacity[0].wte=-1: "
        "hub.stages.assessment.capacity[0].wte: found -1; allowed: greater than or equal to 0"
    )


def test_the_origin_names_how_the_overrides_were_given(base):
    with pytest.raises(ScenarioError, match=r"^--set simulation\.seed=-3: simulation\.seed: "):
        variant(base, {"simulation.seed": -3}, origin="--set")


def test_every_bad_override_is_reported_at_once(base):
    problems = problems_of(base, {"simulation.seed": -1, "hub.stages.therapy.servers_per_wte": 0})

    assert {problem.path[-1] for problem in problems} == {"seed", "servers_per_wte"}


@pytest.mark.parametrize(
    ("path", "at", "message"),
    [
        # a typo in the last key, where the schema has fixed keys: the loader's message
        (
            "workforce.supportive_manager_shar",
            ("workforce", "supportive_manager_shar"),
            "unknown key 'supportive_manager_shar'; did you mean 'supportive_manager_share'?",
        ),
        # a typo on the way
        (
            "hub.stagez.assessment.servers_per_wte",
            ("hub", "stagez"),
            "unknown key 'stagez'; did you mean 'stages'? Allowed keys: priority_classes, stages",
        ),
        (
            "hub.stages.asessment.servers_per_wte",
            ("hub", "stages", "asessment"),
            "unknown key 'asessment'; did you mean 'assessment'? Allowed keys: assessment, therapy",
        ),
        (
            "hub.stages.assessment.capacity[2].wte",
            ("hub", "stages", "assessment", "capacity", 2),
            "no entry [2]: the list has entries 0 to 1; to add one, give the whole list",
        ),
        (
            "hub.stages.assessment.capacity.wte",
            ("hub", "stages", "assessment", "capacity"),
            "is a list; expected an entry number [N], found 'wte'",
        ),
        ("hub.stages[0]", ("hub", "stages"), "is a mapping, not a list; found [0]"),
        (
            "hub.adaptive_therapy.to_stage",
            ("hub", "adaptive_therapy"),
            "is null, not a mapping or list; give the whole value (hub.adaptive_therapy={...})",
        ),
        ("hub..stages", ("hub..stages",), "not a key path: 'hub..stages'; expected keys joined"),
        ("hub.stages[x]", ("hub.stages[x]",), "not a key path"),
        ("", ("",), "not a key path"),
    ],
)
def test_a_path_that_names_no_existing_key_says_what_is_there(base, path, at, message):
    (problem,) = problems_of(base, {path: 1})

    assert problem.file == f"override {path}=1"
    assert problem.path == at
    assert message in problem.message


# Cross-section checks, through a variant


def test_a_route_to_a_stage_that_does_not_exist_is_refused(base):
    (problem,) = problems_of(
        base, {"hub.stages.assessment.routes.all": {"group_therapy": 0.5, "exit": 0.5}}
    )

    assert problem.file == (
        "override hub.stages.assessment.routes.all={group_therapy: 0.5, exit: 0.5}"
    )
    assert problem.path == ("hub", "stages", "assessment", "routes", "all", "group_therapy")
    assert problem.message == "unknown destination 'group_therapy'; allowed: exit, therapy"


def test_a_target_naming_a_missing_stage_is_refused(base):
    (problem,) = problems_of(base, {"targets.assessment_in_2_weeks.stage": "asessment"})

    assert problem.path == ("targets", "assessment_in_2_weeks", "stage")
    assert problem.message == "unknown stage 'asessment'; allowed: assessment, therapy"


def test_capacity_dates_out_of_order_are_refused(base):
    (problem,) = problems_of(
        base, {"hub.stages.assessment.capacity[1].from_date": date(2020, 12, 1)}
    )

    assert problem.file == "override hub.stages.assessment.capacity[1].from_date=2020-12-01"
    assert problem.path == ("hub", "stages", "assessment")  # where the loader says it too
    assert "strictly increasing from_date, found 2021-01-01, 2020-12-01" in problem.message


def test_a_problem_no_override_explains_names_the_base_and_every_override(base):
    (problem,) = problems_of(base, {"simulation.horizon_days": 100, "simulation.seed": 8})

    assert problem.file == (
        "scenario 'Variant fixture' with override simulation.horizon_days=100, "
        "override simulation.seed=8"
    )
    assert problem.path == ("hub", "stages", "assessment", "capacity", 1, "from_date")
    assert "outside the simulated period 2021-01-01 to 2021-04-10" in problem.message


def test_a_later_override_of_a_mapping_owns_the_problems_inside_it(base):
    problems = problems_of(
        base,
        {
            "hub.stages.therapy.service.mean_days": 30,
            "hub.stages.therapy.service": {"mean_days": -5},
        },
    )

    assert [problem.file for problem in problems] == [
        "override hub.stages.therapy.service={mean_days: -5}"
    ]


def test_a_value_an_earlier_override_set_and_a_later_one_kept_is_named_by_the_earlier(base):
    (problem,) = problems_of(
        base,
        {
            "hub.stages.therapy.service.mean_days": -5,
            "hub.stages.therapy.service": {"kind": "exponential"},  # merged: keeps mean_days
        },
    )

    assert problem.file == "override hub.stages.therapy.service.mean_days=-5"
    assert problem.path == ("hub", "stages", "therapy", "service", "mean_days")


def test_settings_parse_as_yaml_and_a_repeated_path_applies_last():
    overrides = parse_overrides(
        ["a.b=1", "a={b: 2, c: [x, 2021-02-01]}", "a.b=4.5", "d=", "e=text with spaces"]
    )

    assert list(overrides) == ["a", "a.b", "d", "e"]
    assert overrides == {
        "a": {"b": 2, "c": ["x", date(2021, 2, 1)]},
        "a.b": 4.5,
        "d": None,
        "e": "text with spaces",
    }


# The replay file of a loaded scenario


@pytest.fixture
def replay_base(tmp_path, fixture_file) -> Scenario:
    data = tmp_path / "data"
    data.mkdir()
    (data / "referrals.csv").write_text("arrival_day,priority_class\n0.5,routine\n2,urgent\n")
    file = tmp_path / "replay.yaml"
    file.write_text(
        f"extends: {fixture_file}\ndemand: {{mode: replay, file: data/referrals.csv}}\n"
    )
    return load_scenario(file)


def test_a_variant_of_a_replay_scenario_keeps_its_file_from_any_directory(
    replay_base, tmp_path, monkeypatch
):
    monkeypatch.chdir("/")
    changed = variant(replay_base, {"simulation.seed": 9})

    assert changed.demand.file == str(tmp_path / "data" / "referrals.csv")


def test_a_replay_file_given_by_an_override_is_relative_to_the_working_directory(
    replay_base, tmp_path, monkeypatch
):
    (tmp_path / "data" / "other.csv").write_text("arrival_day,priority_class\n1,routine\n")
    monkeypatch.chdir(tmp_path / "data")

    assert variant(replay_base, {"demand.file": "other.csv"}).demand.file == str(
        tmp_path / "data" / "other.csv"
    )
    (problem,) = problems_of(replay_base, {"demand.file": "missing.csv"})
    assert problem.file == "override demand.file=missing.csv"
    assert problem.message == f"replay file not found: {tmp_path / 'data' / 'missing.csv'}"


# Deep immutability, hash and equality


def containers(value: object, path: tuple = ()):
    """Every mapping and sequence inside a scenario, with its key path."""
    if isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from containers(getattr(value, name), (*path, name))
    elif isinstance(value, dict | list | tuple | set):
        yield path, value
        items = value.items() if isinstance(value, dict) else enumerate(value)
        for key, item in items:
            yield from containers(item, (*path, key))


SHIPPED = sorted(SCENARIOS.glob("*.yaml"))
MUTATORS = {
    "__setitem__": lambda key: (key, 1),
    "__delitem__": lambda key: (key,),
    "__ior__": lambda key: ({key: 1},),
    "update": lambda key: ({key: 1},),
    "setdefault": lambda key: ("new", 1),
    "pop": lambda key: (key,),
    "popitem": lambda key: (),
    "clear": lambda key: (),
}
"""Every way to change a dict in place, with its arguments for one of the dict's keys."""


@pytest.mark.parametrize("file", SHIPPED, ids=[file.name for file in SHIPPED])
def test_nothing_inside_a_scenario_can_be_changed_in_place(file):
    found = list(containers(load_scenario(file)))
    mappings = [mapping for _, mapping in found if isinstance(mapping, dict)]

    assert mappings, "the scenario has mappings to check"
    assert [(p, type(c).__name__) for p, c in found if type(c) not in (FrozenDict, tuple)] == []
    for mapping in mappings:
        key = next(iter(mapping), "any")
        for name, arguments in MUTATORS.items():
            with pytest.raises(TypeError, match=r"sim\.variant"):
                getattr(mapping, name)(*arguments(key))


def test_equal_scenarios_are_equal_and_hash_equal_and_others_not(fixture_file, base):
    again = load_scenario(fixture_file)
    other = variant(base, {"simulation.seed": 8})

    assert again == base and hash(again) == hash(base)
    assert other != base
    assert len({base, again, other}) == 2


def test_mapping_order_is_part_of_a_scenario(base):
    reordered = variant(base, {"hub.priority_classes": {"routine": 0.8, "urgent": 0.2}})

    assert reordered != base
    assert reordered.digest() != base.digest()
    # Against a plain dict, order is ignored (as for OrderedDict).
    assert reordered.hub.priority_classes == {"urgent": 0.2, "routine": 0.8}


def test_frozen_dicts_survive_pickle_and_deepcopy_and_dump_to_plain_dicts(base):
    assert pickle.loads(pickle.dumps(base)) == base
    assert copy.deepcopy(base) == base
    dumped = base.model_dump()
    assert type(dumped["hub"]["stages"]) is dict
    assert type(dumped["hub"]["stages"]["assessment"]["routes"]["all"]) is dict
    assert json.loads(json.dumps(base.hub.priority_classes)) == {"urgent": 0.2, "routine": 0.8}


def test_model_copy_with_changes_is_refused_and_points_to_variant(base):
    with pytest.raises(TypeError, match=r"skip validation.*sim\.variant"):
        base.model_copy(update={"name": "unchecked"})
    with pytest.raises(TypeError, match=r"sim\.variant"):
        base.simulation.model_copy(update={"horizon_days": -1})

    assert base.model_copy(deep=True) == base


# Digest


def test_digest_is_the_sha256_of_the_resolved_content(base):
    digest = base.digest()

    assert len(digest) == 64 and int(digest, 16) >= 0
    assert variant(base, {"hub.stages.therapy.capacity[0].wte": 1.0}).digest() == digest, (
        "1 and 1.0 are the same value"
    )


@pytest.mark.parametrize(
    "overrides",
    [
        {"name": "Variant fixture 2"},
        {"simulation.seed": 8},
        {"hub.stages.assessment.capacity[1].wte": 3.000000001},
        {"hub.stages.assessment.capacity[1].from_date": "2021-07-02"},
        {"workforce.sectors.nhs.staff_group_shares": {"nurses": 0.5, "doctors": 0.5}},
        {"hub.stages.therapy.treatment": False},
        {"hub.stages.assessment.patience": {"kind": "exponential", "mean_days": 30}},
        {"outputs.charts": False},
    ],
    ids=lambda overrides: next(iter(overrides)),
)
def test_digest_changes_when_any_value_changes(base, overrides):
    assert variant(base, overrides).digest() != base.digest()


def test_digest_is_the_same_in_another_process(fixture_file, base):
    code = (
        "import sys; from sim.scenario import load_scenario; "
        "print(load_scenario(sys.argv[1]).digest())"
    )
    done = subprocess.run(
        [sys.executable, "-c", code, str(fixture_file)],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "PYTHONHASHSEED": "12345"},
    )

    assert done.stdout.strip() == base.digest()

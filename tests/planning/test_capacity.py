"""The capacity search: Erlang C's answer on M/M/c, any stage, agents screened then
confirmed, and the command's files and errors."""

import json

import numpy as np
import pytest
from planning_support import SMALL_AGENTS, mmc_text, write_mmc

from sim.cli import main
from sim.planning import erlang
from sim.planning.capacity import (
    FULL,
    SCREEN,
    CapacityError,
    _Search,
    capacity,
    full_value,
    pilot_replication,
    replayed_value,
    with_capacity,
)
from sim.scenario import load_scenario


@pytest.mark.parametrize(
    ("arrivals", "service", "days"),
    [(4.0, 0.5, 0.5), (12.0, 0.5, 0.25), (20.0, 0.25, 0.1)],  # 2, 6 and 5 Erlangs
)
def test_capacity_agrees_with_erlang_c_on_mmc(tmp_path, arrivals, service, days):
    threshold = 0.9
    analytic = erlang.servers_needed("share_within", threshold, arrivals, service, days=days)
    # The fixture is fair: the answer and the one below are clearly apart from the target.
    assert erlang.mmc_share_within(analytic, arrivals, service, days) > threshold + 0.03
    assert erlang.mmc_share_within(analytic - 1, arrivals, service, days) < threshold - 0.03
    scenario = load_scenario(
        write_mmc(tmp_path, arrivals_per_day=arrivals, mean_service_days=service, servers=1)
    )
    metric = f"stage1_within_{days:g}_days".replace(".", "_")  # 0.5 days: within_0_5_days
    answer = capacity(scenario, stage="stage1", target=f"{metric} >= {threshold}", step=1)
    assert answer.answer == analytic
    assert answer.final[analytic].decision == "met"
    assert answer.final[analytic - 1].decision == "not met"


def test_capacity_agrees_with_erlang_c_on_a_p90_wait_target(tmp_path):
    arrivals, service, limit = 18.0, 0.5, 0.5
    analytic = erlang.servers_needed("wait_p90", limit, arrivals, service)
    assert erlang.mmc_wait_quantile(analytic, arrivals, service, 0.9) < 0.8 * limit
    assert erlang.mmc_wait_quantile(analytic - 1, arrivals, service, 0.9) > 1.2 * limit
    scenario = load_scenario(
        write_mmc(tmp_path, arrivals_per_day=arrivals, mean_service_days=service, servers=12)
    )
    answer = capacity(scenario, stage="stage1", target=f"p90_wait_days <= {limit}", step=1)
    assert answer.answer == analytic


@pytest.mark.parametrize("start", [0, 3, 9, 19])
@pytest.mark.parametrize("smallest", [0, 1, 7, 12, 19, None])
def test_the_search_finds_the_smallest_meeting_level_from_any_start(start, smallest):
    search = _Search.__new__(_Search)
    search.grid = np.arange(20.0)
    tried = []

    def met(index, model):
        tried.append(index)
        return smallest is not None and index >= smallest

    search.met = met
    assert search.smallest_met(start, FULL) == smallest
    assert len(set(tried)) <= 12  # doubling and bisection, not a walk over the grid


def test_a_candidate_staffs_the_stage_throughout(tmp_path):
    scenario = json.loads(mmc_text(arrivals_per_day=4, mean_service_days=0.5, servers=3))
    scenario["hub"]["stages"]["stage1"]["capacity"].append({"from_date": "2022-01-01", "wte": 1})
    scenario["interventions"] = [
        {"type": "staffing_change", "date": "2022-06-01", "stage": "stage1", "wte": 2}
    ]
    (tmp_path / "steps.yaml").write_text(json.dumps(scenario))
    scenario = load_scenario(tmp_path / "steps.yaml")
    changed = with_capacity(scenario, "stage1", 4.5)
    assert [step.wte for step in changed.hub.stages["stage1"].capacity] == [4.5]
    assert changed.interventions == ()
    assert len(scenario.hub.stages["stage1"].capacity) == 2  # the input is not changed


EXTERNAL = {
    "capacity": [{"from_date": "2021-01-01", "places": 3}],
    "service": {"kind": "exponential", "mean_days": 1.0},
    "background_referrals": [{"from_date": "2021-01-01", "per_day": 1.0}],
}


def test_an_external_service_is_searched_in_places(tmp_path):
    path = tmp_path / "external.yaml"
    base = json.loads(mmc_text(arrivals_per_day=3, mean_service_days=0.1, servers=2))
    base["hub"]["stages"]["stage1"]["routes"] = {"all": {"ext": 1.0}}
    base["external"] = {"ext": EXTERNAL}
    path.write_text(json.dumps(base))
    scenario = load_scenario(path)
    # ext sees 3 + 1 a day for 1 day each: M/M/c at 4 Erlangs.
    analytic = erlang.servers_needed("wait_p90", 0.3, 4.0, 1.0)
    answer = capacity(scenario, stage="ext", target="p90_wait_days <= 0.3", step=0.5)
    assert answer.unit == "places"
    assert answer.answer == analytic
    assert all(float(level).is_integer() for level in answer.final)


def test_with_agents_screening_is_confirmed_by_the_full_model():
    scenario = load_scenario(SMALL_AGENTS)
    answer = capacity(
        scenario, stage="assessment", target="within_1_days >= 0.8", step=0.5, max_replications=10
    )
    models = {candidate.model for candidate in answer.candidates}
    assert models == {SCREEN, FULL}
    assert answer.answer is not None
    chosen, below = answer.final[answer.answer], answer.final[answer.answer - 0.5]
    assert chosen.model == FULL and chosen.decision == "met"
    assert below.model == FULL and below.decision != "met"


def test_capacity_command_writes_capacity_json_and_the_curve(tmp_path, capsys):
    scenario = write_mmc(tmp_path, arrivals_per_day=4.0, mean_service_days=0.5, servers=1)
    out = tmp_path / "cap"
    argv = [
        "capacity",
        str(scenario),
        "--stage",
        "stage1",
        "--target",
        "stage1_within_0_5_days >= 0.9",
        "--step",
        "1",
        "--out",
        str(out),
        "--workers",
        "1",
    ]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "stage1: 4 WTE meet" in printed
    result = json.loads((out / "capacity.json").read_text())
    assert result["stage"] == "stage1" and result["answer_wte"] == 4.0
    assert result["period"] is None  # the whole measured window
    assert result["confidence"] == 0.95
    assert result["target"] == "stage1_within_0_5_days >= 0.9"
    assert result["probability_target_met"]["4"] >= 0.95
    assert result["probability_target_met"]["3"] <= 0.05
    assert set(result["replications"]) == set(result["probability_target_met"])
    assert (out / "charts" / "capacity_curve.png").is_file()
    assert (out / "manifest.json").is_file()


def test_capacity_not_met_in_the_range_exits_1(tmp_path, capsys):
    scenario = write_mmc(tmp_path, arrivals_per_day=4.0, mean_service_days=0.5, servers=1)
    argv = [
        "capacity",
        str(scenario),
        "--stage",
        "stage1",
        "--target",
        "p90_wait_days <= 0.01",
        "--range",
        "1..3",
        "--step",
        "1",
        "-q",
        "--out",
        str(tmp_path / "none"),
        "--workers",
        "1",
    ]
    assert main(argv) == 1
    assert "not met" in capsys.readouterr().out
    assert json.loads((tmp_path / "none" / "capacity.json").read_text())["answer_wte"] is None


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--stage", "stage9", "--target", "p90_wait_days <= 1"], "no stage 'stage9'"),
        (["--stage", "stage1", "--target", "p95 <= 1"], "allowed:"),
        (["--stage", "stage1", "--target", "p90_wait_days >= 1"], "more capacity never"),
    ],
)
def test_capacity_bad_question_exits_2_without_a_traceback(tmp_path, capsys, extra, message):
    scenario = write_mmc(tmp_path, arrivals_per_day=4.0, mean_service_days=0.5, servers=1)
    assert main(["capacity", str(scenario), *extra, "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["--range", "5..2"], "LOW <= HIGH"),
        (["--range", "two..5"], "LOW..HIGH"),
        (["--confidence", "1.5"], "below 1"),
        (["--step", "0"], "above 0"),
    ],
)
def test_capacity_bad_option_exits_2(tmp_path, capsys, option, message):
    scenario = write_mmc(tmp_path, arrivals_per_day=4.0, mean_service_days=0.5, servers=1)
    argv = ["capacity", str(scenario), "--stage", "stage1", "--target", "p90_wait_days <= 1"]
    with pytest.raises(SystemExit) as stopped:
        main([*argv, *option])
    assert stopped.value.code == 2
    assert message in capsys.readouterr().err


def test_capacity_range_outside_the_schema_is_refused(tmp_path):
    scenario = load_scenario(
        write_mmc(tmp_path, arrivals_per_day=4.0, mean_service_days=0.5, servers=1)
    )
    with pytest.raises(CapacityError, match="10,000 WTE"):
        capacity(scenario, stage="stage1", target="p90_wait_days <= 1", wte_range=(1, 20_000))


def test_replaying_the_agents_referrals_at_their_capacity_reproduces_the_full_model():
    # Same referrals, same keyed draws per client, same capacity: the queue core alone must
    # give exactly the full model's KPI (the screening differs only by the feedback of waits).
    scenario = load_scenario(SMALL_AGENTS)
    kpi = "target.assessment_2_weeks.share_within"
    pilot = pilot_replication(scenario, 11, "assessment", 1)
    assert pilot.times.size > 500
    assert replayed_value(scenario, 11, kpi, (1, pilot)) == full_value(scenario, 11, kpi, 1)

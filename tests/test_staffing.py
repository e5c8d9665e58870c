"""Staffing in WTE is never silently rounded (issue #9): a fractional server is a part-time
server; `staffing_change` sets a level (`wte`) or changes it (`add_wte`)."""

from pathlib import Path

import numpy as np
import pytest

from sim.cli import main
from sim.pathway import hub_servers
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.staffing import hub_staffing

QUEUE_ONLY = Path("scenarios/queue-only.yaml").resolve()


def scenario(tmp_path, stage1_wte=4, interventions="[]", horizon=364):
    path = tmp_path / "staffing.yaml"
    path.write_text(
        f"extends: {QUEUE_ONLY}\n"
        f"simulation: {{horizon_days: {horizon}, warmup_days: 0, replications: 2}}\n"
        "hub:\n  stages:\n    stage1:\n"
        f"      capacity: [{{from_date: 2021-01-01, wte: {stage1_wte}}}]\n"
        f"interventions: {interventions}\n"
    )
    return path


def average_servers(times, counts, horizon):
    edges = np.append(times, horizon)
    return float(np.sum(np.diff(edges) * np.asarray(counts)) / horizon)


@pytest.mark.parametrize("wte", [1.5, 2.0, 2.5, 3.25])
def test_fractional_wte_gives_its_servers_on_average(tmp_path, wte):
    times, counts = hub_servers(load_scenario(scenario(tmp_path, wte)), "stage1")
    assert average_servers(times, counts, 364) == pytest.approx(wte)
    # whole servers always there, one more part of each week
    assert set(counts) == ({int(wte)} if wte == int(wte) else {int(wte), int(wte) + 1})


def test_one_and_a_half_wte_is_a_full_and_a_part_time_server(tmp_path):
    times, counts = hub_servers(load_scenario(scenario(tmp_path, 1.5)), "stage1")
    assert counts[:4] == [2, 1, 2, 1]
    assert times[:4] == [0.0, 3.5, 7.0, 10.5]  # the part-timer: the first half of every week


@pytest.mark.parametrize("wte", [0.5, 0.25, 0.999])
def test_less_than_one_server_is_refused_not_closed_every_week(tmp_path, capsys, wte):
    # A lone part-timer would leave the stage with no server, i.e. closed (everyone waiting
    # discharged), in their days off every week.
    with pytest.raises(ScenarioError, match=rf"{wte:g} WTE is {wte:g} of a server"):
        load_scenario(scenario(tmp_path, wte))
    change = f"[{{type: staffing_change, date: 2021-03-01, stage: stage1, add_wte: {wte - 2}}}]"
    with pytest.raises(ScenarioError, match=r"interventions\[0\]\.add_wte"):
        load_scenario(scenario(tmp_path, 2, change))
    assert main(["validate", str(scenario(tmp_path, wte))]) == 2
    assert "give at least 1 WTE (one server), or 0 to close the stage" in capsys.readouterr().err


def test_one_and_a_half_and_two_wte_are_different_staffing(tmp_path):
    one_and_half = hub_servers(load_scenario(scenario(tmp_path, 1.5)), "stage1")
    two = hub_servers(load_scenario(scenario(tmp_path, 2.0)), "stage1")
    assert one_and_half != two


def test_add_wte_adds_to_the_level_in_force_and_wte_sets_it(tmp_path):
    changes = (
        "[{type: staffing_change, date: 2021-03-01, stage: stage1, add_wte: 2},"
        " {type: staffing_change, date: 2021-06-01, stage: stage1, add_wte: -1.5},"
        " {type: staffing_change, date: 2021-09-01, stage: stage1, wte: 3}]"
    )
    s = load_scenario(scenario(tmp_path, 4, changes))
    levels = [(day, wte) for day, wte, _ in hub_staffing(s, "stage1")]
    assert levels == [(0, 4), (59, 6), (151, 4.5), (243, 3)]


def test_a_cut_below_zero_wte_stops_at_zero(tmp_path):
    changes = "[{type: staffing_change, date: 2021-03-01, stage: stage1, add_wte: -9}]"
    s = load_scenario(scenario(tmp_path, 4, changes))
    assert hub_staffing(s, "stage1")[-1][1:] == (0.0, 0.0)


@pytest.mark.parametrize(("keys", "found"), [(", wte: 3, add_wte: 1", "both"), ("", "neither")])
def test_staffing_change_needs_exactly_one_of_wte_and_add_wte(tmp_path, keys, found):
    changes = f"[{{type: staffing_change, date: 2021-03-01, stage: stage1{keys}}}]"
    with pytest.raises(ScenarioError) as error:
        load_scenario(scenario(tmp_path, 4, changes))
    message = str(error.value)
    assert "exactly one of wte" in message and found in message
    assert "interventions" in message


def test_validate_shows_staffing_in_wte_and_servers_with_each_change(tmp_path, capsys):
    changes = "[{type: staffing_change, date: 2021-03-01, stage: stage1, add_wte: 0.5}]"
    assert main(["validate", str(scenario(tmp_path, 2, changes))]) == 0
    out = capsys.readouterr().out
    assert "from 2021-01-01  2 WTE = 2 servers" in out
    assert "from 2021-03-01  2.5 WTE = 2.5 servers (2 + 1 part-time, 50% of each week)" in out
    assert "staffing_change stage1: +0.5 WTE" in out


def test_a_part_time_server_serves_between_the_whole_numbers(tmp_path):
    # Mean wait at stage 2 (1.5-day services, 0.7 arrivals a day): 1, 1.5 and 2 servers.
    from sim.runner import run

    def stage2_wait(wte):
        path = tmp_path / f"s2-{wte}.yaml"
        path.write_text(
            f"extends: {QUEUE_ONLY}\n"
            "simulation: {horizon_days: 720, warmup_days: 0, replications: 1}\n"
            "hub:\n  stages:\n    stage2:\n"
            f"      capacity: [{{from_date: 2021-01-01, wte: {wte}}}]\n"
        )
        return run(load_scenario(path), seed=3).queue.mean_wait("stage2")

    one, one_and_half, two = stage2_wait(1), stage2_wait(1.5), stage2_wait(2)
    assert one > one_and_half > two

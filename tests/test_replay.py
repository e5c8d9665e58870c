from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.runner import run
from sim.scenario import ScenarioError, load_scenario

QUEUE_ONLY = Path("scenarios/queue-only.yaml").resolve()


@pytest.fixture
def replay_scenario(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "referrals.csv").write_text(
        "arrival_day,priority_class\n0.5,routine\n1.25,urgent\n3,routine\n"
    )
    scenario = tmp_path / "replay.yaml"
    scenario.write_text(
        f"extends: {QUEUE_ONLY}\n"
        "simulation: {horizon_days: 30, warmup_days: 0, replications: 1}\n"
        "demand: {mode: replay, file: data/referrals.csv}\n"
        "hub: {priority_classes: {urgent: 0.3, routine: 0.7}}\n"
    )
    return scenario


def test_replayed_referrals_arrive_when_and_as_the_file_says(replay_scenario, monkeypatch):
    monkeypatch.chdir("/")  # the replay path is relative to the scenario file, not the cwd
    scenario = load_scenario(replay_scenario)
    assert Path(scenario.demand.file).is_absolute()
    clients = run(scenario).queue.clients
    referrals = clients[clients["source"] == "referral"].sort_values("arrival")
    assert referrals["arrival"].tolist() == [0.5, 1.25, 3.0]
    assert referrals["class"].tolist() == [1, 0, 1]  # urgent is class 0: listed first


def test_a_child_naming_every_key_sets_their_order(replay_scenario):
    # The parent lists only `routine`; the child lists urgent first, so urgent is class 0.
    assert list(load_scenario(replay_scenario).hub.priority_classes) == ["urgent", "routine"]


def test_bad_rows_are_reported_with_csv_line_numbers(replay_scenario, capsys):
    csv = replay_scenario.parent / "data" / "referrals.csv"
    csv.write_text("arrival_day,priority_class\n0.5,routine\n-2,urgent\n40,urgnt\n")
    assert main(["validate", str(replay_scenario)]) == 2
    err = capsys.readouterr().err
    assert f"{csv}:3: arrival_day: found '-2'; allowed: a number of days" in err
    assert f"{csv}:4: arrival_day: found '40'" in err
    assert f"{csv}:4: priority_class: found 'urgnt'; allowed: urgent, routine" in err


def test_missing_column_and_missing_file(replay_scenario):
    csv = replay_scenario.parent / "data" / "referrals.csv"
    csv.write_text("day,class\n1,urgent\n")
    with pytest.raises(ScenarioError, match="missing column\\(s\\) arrival_day, priority_class"):
        load_scenario(replay_scenario)
    csv.unlink()
    with pytest.raises(ScenarioError, match=r"replay\.yaml:3: demand\.file: replay file not found"):
        load_scenario(replay_scenario)


def test_replay_table_is_readable_by_pandas(replay_scenario):
    frame = pd.read_csv(replay_scenario.parent / "data" / "referrals.csv")
    assert list(frame.columns) == ["arrival_day", "priority_class"]

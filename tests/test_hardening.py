"""Valid input never ends in a traceback; `validate` and `run` agree (issue #9)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli import main
from sim.runner import run
from sim.scenario import ScenarioError, load_scenario

QUEUE_ONLY = Path("scenarios/queue-only.yaml").resolve()


def short(tmp_path, extra=""):
    path = tmp_path / "short.yaml"
    path.write_text(
        f"extends: {QUEUE_ONLY}\n"
        "simulation: {horizon_days: 90, warmup_days: 0, replications: 2}\n" + extra
    )
    return path


def test_a_fixed_service_time_of_zero_runs_and_draws_its_charts(tmp_path):
    scenario = short(
        tmp_path, "hub:\n  stages:\n    stage1:\n      service: {kind: fixed, value_days: 0}\n"
    )
    out = tmp_path / "out"
    assert main(["run", str(scenario), "-q", "--workers", "1", "--out", str(out)]) == 0
    assert (out / "charts" / "referrals_vs_capacity.png").is_file()


def test_output_that_cannot_be_written_is_one_line_and_exit_1():
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "sim", "schema"], stdout=full, stderr=subprocess.PIPE, text=True
        )
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert done.stderr.strip().splitlines() == [
        "hubsim: cannot write the output: No space left on device"
    ]


def test_extends_through_a_loop_of_symbolic_links_is_refused(tmp_path, capsys):
    os.symlink(tmp_path / "b.yaml", tmp_path / "a.yaml")
    os.symlink(tmp_path / "a.yaml", tmp_path / "b.yaml")
    child = tmp_path / "child.yaml"
    child.write_text("extends: a.yaml\n")
    assert main(["validate", str(child)]) == 2
    assert "a loop of symbolic links" in capsys.readouterr().err


@pytest.fixture
def replay(tmp_path):
    def make(csv_text, classes="{nan: 0.5, 'null': 0.5}"):
        (tmp_path / "referrals.csv").write_text(csv_text)
        scenario = tmp_path / "replay.yaml"
        scenario.write_text(
            f"extends: {QUEUE_ONLY}\n"
            "simulation: {horizon_days: 30, warmup_days: 0, replications: 1}\n"
            "demand: {mode: replay, file: referrals.csv}\n"
            f"hub: {{priority_classes: {classes}}}\n"
        )
        return scenario

    return make


def test_classes_called_nan_and_null_are_names_in_validate_and_run(replay):
    scenario = load_scenario(replay("arrival_day,priority_class\n0.5,nan\n1.5,null\n"))
    clients = run(scenario).queue.clients
    referrals = clients[clients["source"] == "referral"].sort_values("arrival")
    assert referrals["class"].tolist() == [0, 1]


def test_replay_errors_name_the_line_past_blank_lines_and_multi_line_fields(replay):
    text = (
        "arrival_day,priority_class\n"
        "\n"  # line 2: blank
        '0.5,"nan"\n'  # line 3
        '1.0,"nu\nll"\n'  # lines 4-5: a quoted field over two lines (not a class)
        "\n"  # line 6
        "99,nan\n"  # line 7: after the horizon
    )
    with pytest.raises(ScenarioError) as error:
        load_scenario(replay(text))
    lines = sorted(p.line for p in error.value.problems)
    assert lines == [4, 7]

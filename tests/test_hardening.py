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


# --- results folders: refused before any work, never half-written ----------------------------


@pytest.mark.parametrize(
    ("make_out", "message"),
    [
        (lambda tmp: tmp / "a-file" / "out", "a file is in the way"),
        (lambda tmp: tmp / ("n" * 300), "File name too long"),
        (lambda tmp: tmp / "dangling", "is a symbolic link to"),
    ],
    ids=["parent-is-a-file", "name-too-long", "dangling-symlink"],
)
def test_an_impossible_results_folder_is_refused_before_simulating(
    tmp_path, capsys, monkeypatch, make_out, message
):
    (tmp_path / "a-file").write_text("not a folder")
    os.symlink(tmp_path / "nowhere" / "x", tmp_path / "dangling")
    import sim.results

    def no_simulation(*args, **kwargs):
        raise AssertionError("simulated before checking the results folder")

    monkeypatch.setattr(sim.results, "run_tables", no_simulation)
    out = make_out(tmp_path)
    assert main(["run", str(short(tmp_path)), "-q", "--workers", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def test_of_two_runs_opening_one_folder_exactly_one_gets_it(tmp_path):
    from sim.store import ResultsExistError, ResultsFolder

    first = ResultsFolder(tmp_path / "out")
    second = ResultsFolder(tmp_path / "out")
    first.open()
    with pytest.raises(ResultsExistError):
        second.open()
    assert first.work.is_dir()


def test_a_full_disk_stops_the_run_with_exit_1_and_keeps_only_whole_replications(
    tmp_path, capsys, monkeypatch
):
    import errno

    import pandas as pd

    real = pd.DataFrame.to_parquet
    calls = {"n": 0}

    def filling_up(frame, path, *args, **kwargs):
        calls["n"] += 1
        if "part-00001" in str(path) and calls["n"] > 3:
            raise OSError(errno.ENOSPC, "No space left on device", str(path))
        return real(frame, path, *args, **kwargs)

    monkeypatch.setattr(pd.DataFrame, "to_parquet", filling_up)
    out = tmp_path / "out"
    code = main(["run", str(short(tmp_path)), "-q", "-n", "2", "--workers", "1", "--out", str(out)])
    assert code == 1
    err = capsys.readouterr().err
    assert "No space left on device" in err and "Traceback" not in err
    assert not out.exists()
    partial = tmp_path / "out.partial"
    parts = {p.name for p in partial.rglob("*.parquet")}
    assert parts == {"part-00000.parquet"}  # replication 1 left nothing half-written
    assert not list(partial.rglob(".*writing"))


@pytest.mark.parametrize("after_s", [0.3, 1.0, 2.5])
def test_ctrl_c_at_any_moment_is_exit_130_and_one_line(tmp_path, after_s):
    import signal
    import time

    process = subprocess.Popen(
        [sys.executable, "-m", "sim", "run", str(short(tmp_path)), "-n", "3", "--workers", "1"],
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    time.sleep(after_s)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=60)
    if process.returncode == 0:
        pytest.skip("the run finished before the interrupt")
    if process.returncode == -signal.SIGINT:
        # Interrupted before Python had set up its own handler (a loaded machine): the
        # process ends by the signal itself, which a shell reports as exit 130, silently.
        assert err == ""
        return
    assert process.returncode == 130
    assert "Traceback" not in err
    assert err.strip().splitlines()[-1] == "hubsim: interrupted"


# --- runs the machine cannot hold are refused before they start ------------------------------


def test_a_run_that_cannot_fit_in_memory_is_refused_with_its_estimate(tmp_path, capsys):
    huge = short(
        tmp_path,
        "demand: {mode: poisson, referrals: [{from_date: 2021-01-01, per_day: 1000000}]}\n",
    )
    assert main(["run", str(huge), "-q", "--out", str(tmp_path / "never")]) == 2
    err = capsys.readouterr().err
    assert "refused before starting" in err and "GB of memory at peak" in err
    assert not (tmp_path / "never.partial").exists()


def test_max_memory_lowers_the_limit(tmp_path, capsys):
    out = tmp_path / "never"
    assert main(["run", str(short(tmp_path)), "-q", "--max-memory", "0.01", "--out", str(out)]) == 2
    assert "allowed (--max-memory)" in capsys.readouterr().err


def test_more_replications_than_the_schema_allows_are_refused(tmp_path, capsys):
    with pytest.raises(SystemExit) as stop:
        main(["run", str(short(tmp_path)), "-n", "1000000000"])
    assert stop.value.code == 2
    assert "at most 100,000" in capsys.readouterr().err


def test_the_estimate_grows_with_the_work():
    from sim.estimate import estimate

    base = load_scenario(QUEUE_ONLY)
    one, many = estimate(base, 10, 2), estimate(base, 1000, 2)
    assert many.peak_bytes == one.peak_bytes  # each worker holds one replication at a time
    assert many.seconds > 50 * one.seconds / 2
    assert estimate(base, 10, 1).peak_bytes < one.peak_bytes


@pytest.mark.parametrize("device", ["/dev/zero", "/dev/null"])
def test_a_file_that_is_not_a_regular_file_is_refused(device, capsys):
    assert main(["validate", device]) == 2
    assert "not a regular file" in capsys.readouterr().err

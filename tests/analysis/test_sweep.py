import json

import pandas as pd
import pytest
from analysis_support import write

import sim.analysis.sweep as sweep_module
from sim.analysis.design import design_table
from sim.analysis.experiment import load_experiment
from sim.analysis.points import point_model, point_values
from sim.analysis.store import ResumeError, SweepStore
from sim.analysis.sweep import sweep
from sim.cli import main
from sim.execution import SerialExecutor
from sim.runner import run_kpis
from sim.store import ResultsExistError


def test_serial_one_and_two_local_workers_give_identical_tables(small_experiment):
    experiment = load_experiment(small_experiment)
    serial = sweep(experiment, executor=SerialExecutor())
    one = sweep(experiment, workers=1)
    two = sweep(experiment, workers=2)
    assert len(serial) == 12 * 3
    assert serial.columns[:4].tolist() == [
        "point",
        "replication",
        "stage1_wte",
        "stage2_patience_days",
    ]
    pd.testing.assert_frame_equal(serial, one, check_exact=True)
    pd.testing.assert_frame_equal(serial, two, check_exact=True)


def test_replication_r_of_every_point_uses_the_seed_and_r(small_experiment):
    experiment = load_experiment(small_experiment)
    table = sweep(experiment, executor=SerialExecutor())
    model = point_model(experiment)
    design = design_table(experiment)
    for point in (0, 5):
        values = point_values(design, model.names)[point]
        for replication in range(3):
            kpis = run_kpis(model.scenario(values), experiment.seed, replication)
            row = table[(table["point"] == point) & (table["replication"] == replication)]
            assert row["stage2.wait_mean_days"].item() == kpis["stage2.wait_mean_days"]
    # Common random numbers: two points with the same values give the same numbers.
    wanted = table.groupby("replication")["referrals_per_month"].nunique()
    assert (wanted == 1).all()  # arrivals do not depend on the parameters varied here


class _StopAfter(SerialExecutor):
    """Computes serially, then stops (like Ctrl-C) after `count` runs."""

    def __init__(self, count):
        self.count = count

    def map(self, function, items, *, batch_size=None):
        for index, result in super().map(function, items, batch_size=batch_size):
            if index == self.count:
                raise KeyboardInterrupt
            yield index, result


def test_a_stopped_sweep_resumes_without_losing_or_repeating_runs(
    small_experiment, tmp_path, monkeypatch
):
    monkeypatch.setattr(sweep_module, "FLUSH_RUNS", 4)
    experiment = load_experiment(small_experiment)
    out = tmp_path / "sweep"
    with pytest.raises(KeyboardInterrupt):
        sweep(experiment, out=out, executor=_StopAfter(10))
    store = SweepStore(out)
    assert not out.exists() and store.work.is_dir()
    assert len(store.finished()) == 10  # every finished run was written, even the last two
    # An unfinished batch (a hidden name) is never read.
    (store.work / "runs" / ".batch-000009.parquet.writing").write_bytes(b"half a file")
    with pytest.raises(ResultsExistError):
        sweep(experiment, out=out, executor=SerialExecutor())  # not without resume
    calls = []
    original = sweep_module._run
    monkeypatch.setattr(sweep_module, "_run", lambda *a: calls.append(a) or original(*a))
    resumed = sweep(experiment, out=out, resume=True, executor=SerialExecutor())
    assert len(calls) == 36 - 10
    assert not resumed.duplicated(["point", "replication"]).any() and len(resumed) == 36
    uninterrupted = sweep(experiment, executor=SerialExecutor())
    pd.testing.assert_frame_equal(resumed, uninterrupted, check_exact=True)
    assert out.is_dir() and not store.work.exists()
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["runs"] == 36 and manifest["seed"] == 7 and "finished" in manifest
    assert manifest["packages"]["SALib"] != "not installed"
    # The folder reads as one table with pandas alone.
    assert len(pd.read_parquet(out / "runs")) == 36


def test_a_changed_experiment_refuses_to_resume(
    small_experiment, experiment_text, tmp_path, capsys
):
    out = tmp_path / "sweep"
    sweep(load_experiment(small_experiment), out=out, executor=SerialExecutor())
    changed = write(tmp_path, experiment_text.replace("high: 90", "high: 80"), "changed.yaml")
    with pytest.raises(ResumeError, match="different experiment"):
        sweep(load_experiment(changed), out=out, resume=True, executor=SerialExecutor())
    code = main(["sweep", str(changed), "--resume", "--out", str(out), "--workers", "1", "-q"])
    assert code == 2
    assert "different experiment" in capsys.readouterr().err


def test_hubsim_sweep_runs_the_smoke_experiment_end_to_end(tmp_path, capsys):
    out = tmp_path / "smoke"
    assert main(["sweep", "experiments/smoke.yaml", "--workers", "1", "--out", str(out)]) == 0
    captured = capsys.readouterr()
    assert f"results: {out} (48 runs" in captured.out
    assert "stage2.wait_mean_days" in captured.out
    indices = pd.read_csv(out / "analysis" / "indices.csv")
    assert set(indices["index"]) == {"mu", "mu_star", "sigma"}
    assert set(indices["parameter"]) == {"stage1_wte", "stage2_wte", "stage2_patience_days"}
    stored = pd.read_parquet(out / "analysis" / "indices.parquet")
    pd.testing.assert_frame_equal(stored, indices, check_dtype=False)
    charts = sorted(p.name for p in (out / "analysis" / "charts").glob("*.png"))
    assert "morris_stage2.wait_mean_days.png" in charts
    assert "convergence_stage2.wait_mean_days.png" in charts
    # Resuming a finished sweep computes nothing and analyses again.
    (out / "analysis" / "indices.csv").unlink()
    assert main(["sweep", "experiments/smoke.yaml", "--resume", "--out", str(out), "-q"]) == 0
    assert (out / "analysis" / "indices.csv").is_file()
    assert main(["analyse", str(out), "-q"]) == 0
    assert main(["analyse", str(tmp_path), "-q"]) == 2

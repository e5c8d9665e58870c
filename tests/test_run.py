import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.runner import run
from sim.scenario import load_scenario

QUEUE_ONLY = Path("scenarios/queue-only.yaml").resolve()


@pytest.fixture
def small_queue_scenario(tmp_path):
    """The queue-only network over one year after a 60-day warm-up."""
    path = tmp_path / "small.yaml"
    path.write_text(
        f"extends: {QUEUE_ONLY}\n"
        "simulation: {horizon_days: 425, warmup_days: 60, replications: 3}\n"
    )
    return path


def test_run_writes_a_complete_results_folder(small_queue_scenario, tmp_path, capsys):
    out = tmp_path / "results" / "first"
    assert main(["run", str(small_queue_scenario), "--out", str(out), "--quiet"]) == 0
    assert f"results: {out}" in capsys.readouterr().out
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["seed"] == 12345
    assert manifest["replications"] == 3
    assert manifest["scenario"]["simulation"]["horizon_days"] == 425
    assert manifest["packages"]["numba"] != "not installed"
    kpis = pd.read_csv(out / "kpis.csv", dtype={"period": str})
    assert kpis["replication"].tolist() == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    assert kpis["period"].tolist()[:3] == ["all", "2021", "2022"]  # 2021-03-02 to 2022-03-01
    summary = pd.read_csv(out / "summary.csv", dtype={"period": str})
    summary = summary[summary["period"] == "all"].set_index("kpi")
    # 20 referrals a day is about 609 a month; the load on stage 1 is 20 x 0.15 / 4 = 0.75.
    assert summary.loc["referrals_per_month", "mean"] == pytest.approx(608.8, rel=0.03)
    assert summary.loc["stage1.utilisation", "mean"] == pytest.approx(0.75, abs=0.02)
    assert (summary["ci_low"] <= summary["mean"]).all()
    daily = pd.read_parquet(out / "daily_pathway")
    assert set(daily["replication"]) == {0, 1, 2}
    assert daily["day"].max() == 424
    charts = sorted(p.name for p in (out / "charts").glob("*.png"))
    assert charts == [
        "referrals_vs_capacity.png",
        "staffing.png",
        "target_stage1_within_1_day.png",
        "waiting_stage1.png",
        "waiting_stage2.png",
        "weeks_waited_stage1.png",
        "weeks_waited_stage2.png",
    ]


def test_existing_results_folder_is_refused_with_exit_2(small_queue_scenario, tmp_path, capsys):
    out = tmp_path / "taken"
    out.mkdir()
    (out / "keep.txt").write_text("finished work")
    assert main(["run", str(small_queue_scenario), "--out", str(out), "-q"]) == 2
    assert "never overwritten" in capsys.readouterr().err
    assert (out / "keep.txt").read_text() == "finished work"


def test_same_seed_same_numbers_and_another_seed_other_numbers(small_queue_scenario):
    scenario = load_scenario(small_queue_scenario)
    first, again = run(scenario, seed=7), run(scenario, seed=7)
    other = run(scenario, seed=8)
    pd.testing.assert_frame_equal(first.queue.visits, again.queue.visits)
    assert not first.queue.visits["arrive"].equals(other.queue.visits["arrive"])


def test_replication_numbers_do_not_depend_on_how_many_run(small_queue_scenario):
    scenario = load_scenario(small_queue_scenario)
    alone = run(scenario, replication=2)
    from sim.runner import run_replications

    among = run_replications(scenario, 3)[2]
    pd.testing.assert_frame_equal(alone.queue.visits, among.queue.visits)


def test_invalid_scenario_exits_2_without_traceback(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text(f"extends: {QUEUE_ONLY}\nsimulation: {{horizon_days: -5}}\n")
    done = subprocess.run(
        [sys.executable, "-m", "sim", "run", str(bad), "--out", str(tmp_path / "x")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert "bad.yaml:2: simulation.horizon_days" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "x").exists()


BASELINE = Path("scenarios/baseline.yaml").resolve()


def test_agent_run_writes_agent_tables_kpis_and_the_equity_chart(tmp_path):
    small = tmp_path / "small-agents.yaml"
    small.write_text(
        f"extends: {BASELINE}\n"
        "simulation: {replications: 2}\n"
        "workforce: {size: 20000}\n"
        "help_seeking: {intercept: -7.0}\n"
    )
    out = tmp_path / "agents"
    assert main(["run", str(small), "--out", str(out), "-q"]) == 0
    daily = pd.read_parquet(out / "daily_agents")
    assert len(daily) == 2 * 1095
    states = daily.filter(like="state_").sum(axis=1)
    assert (states == 20000).all(), "every agent is in exactly one state every day"
    groups = pd.read_parquet(out / "groups")
    assert {"sector", "minority_ethnic", "sex", "staff_group"} <= set(groups["group_type"])
    summary = pd.read_csv(out / "summary.csv", dtype={"period": str})
    summary = summary[summary["period"] == "all"].set_index("kpi")
    assert 0.4 < summary.loc["agents.prevalence_mean", "mean"] < 0.6
    # The hub's referrals are the agents' referrals, less those who never engage: the two
    # sides agree.
    per_month = daily.groupby("replication")["referrals"].sum().mean() / (1095 / (365.25 / 12))
    assert summary.loc["agents.referrals_per_month", "mean"] == pytest.approx(per_month, rel=1e-3)
    engaged = per_month * (1 - summary.loc["agents.never_engaged_share", "mean"])
    assert summary.loc["referrals_per_month", "mean"] == pytest.approx(engaged, rel=0.02)
    assert (out / "charts" / "uptake_by_group.png").exists()


def test_the_python_api_mirrors_the_cli(small_queue_scenario):
    import sim

    scenario = sim.load_scenario(small_queue_scenario)
    runs = sim.run_replications(scenario, 2, seed=3)
    assert [r.replication for r in runs] == [0, 1]
    pd.testing.assert_frame_equal(runs[1].queue.visits, sim.run(scenario, 3, 1).queue.visits)

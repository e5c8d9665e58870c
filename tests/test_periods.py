"""KPIs per calendar year and per named period (`outputs.periods`), and closure KPIs."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.kpis import kpi_spec
from sim.metrics import replication_kpis
from sim.periods import period_windows, split_period, whole_window
from sim.results import load, replication_tables, write_results
from sim.runner import run, run_kpis
from sim.scenario import ScenarioError, load_scenario

QUEUE_ONLY = Path("scenarios/queue-only.yaml").resolve()

# Measured window 2021-03-02 to 2022-03-01 (day 60 to 424); stage1 closes on 2021-09-01 and
# its waiting clients, and those who arrive while it is closed, are discharged.
CLOSING = f"""\
extends: {QUEUE_ONLY}
simulation: {{horizon_days: 425, warmup_days: 60, replications: 2}}
hub:
  stages:
    stage1:
      capacity:
        - {{from_date: 2021-01-01, wte: 3}}
        - {{from_date: 2021-09-01, wte: 0}}
outputs:
  periods:
    open: [2021-01-01, 2021-08-31]
    closed: [2021-09-01, 2022-03-01]
    whole: [2021-03-02, 2022-03-01]
    summer: [2021-06-01, 2021-10-31]
"""


@pytest.fixture(scope="module")
def closing(tmp_path_factory):
    path = tmp_path_factory.mktemp("periods") / "closing.yaml"
    path.write_text(CLOSING)
    return load_scenario(path)


@pytest.fixture(scope="module")
def kpis(closing):
    return run_kpis(closing, seed=3)


def test_windows_are_the_calendar_years_then_the_named_periods_clipped_to_the_measured_days(
    closing,
):
    windows = {
        w.name: (w.first_date.isoformat(), w.last_date.isoformat(), w.kind)
        for w in period_windows(closing)
    }
    assert windows == {
        "2021": ("2021-03-02", "2021-12-31", "year"),
        "2022": ("2022-01-01", "2022-03-01", "year"),
        "open": ("2021-03-02", "2021-08-31", "named"),  # the warm-up is left out
        "closed": ("2021-09-01", "2022-03-01", "named"),
        "whole": ("2021-03-02", "2022-03-01", "named"),
        "summer": ("2021-06-01", "2021-10-31", "named"),  # overlaps are allowed
    }
    assert (whole_window(closing).start, whole_window(closing).end) == (60, 425)


def test_a_period_covering_the_measured_window_has_the_whole_windows_kpis(kpis):
    whole = {key: value for key, value in kpis.items() if split_period(key)[0] == "all"}
    group_free = [key for key in whole if not key.startswith("uptake_per_1000")]
    for key in group_free:
        np.testing.assert_equal(kpis[f"period.whole.{key}"], whole[key], err_msg=key)


def test_closure_counts_fall_in_the_period_after_the_closure_and_add_up(kpis):
    assert kpis["period.open.stage1.discharged_at_closure"] == 0
    assert kpis["period.closed.stage1.discharged_at_closure"] > 100  # 20 a day arrive
    assert kpis["stage1.discharged_at_closure"] == (
        kpis["period.open.stage1.discharged_at_closure"]
        + kpis["period.closed.stage1.discharged_at_closure"]
    )
    assert kpis["discharged_at_closure"] == kpis["stage1.discharged_at_closure"]
    assert kpis["transferred_at_closure"] == 0
    # The whole-window mean mixes the two: nobody waits for a closed stage.
    assert kpis["period.open.stage1.utilisation"] > 0.5
    assert kpis["period.closed.stage1.utilisation"] == 0
    assert kpis["period.open.referrals_per_month"] == pytest.approx(20 * 365.25 / 12, rel=0.05)


def test_calendar_years_partition_the_closure_counts(kpis):
    years = sum(kpis[f"period.{year}.stage1.discharged_at_closure"] for year in (2021, 2022))
    assert years == kpis["stage1.discharged_at_closure"]


def test_every_period_kpi_is_declared_with_its_period_as_subject(kpis):
    spec = kpi_spec("period.closed.stage1.wait_p90_days")
    assert spec.subject == {"period": "closed", "stage": "stage1"}
    assert spec.kpi.unit == "days"
    assert all(kpi_spec(key) for key in kpis)
    with pytest.raises(KeyError, match="not a period"):
        kpi_spec("period.Bad-Name.referrals_per_month")


def test_the_tables_carry_a_period_column(closing, tmp_path):
    pairs = [(r, replication_tables(run(closing, seed=3, replication=r))) for r in range(2)]
    folder = write_results(
        tmp_path / "run",
        closing,
        iter(pairs),
        seed=3,
        started=pd.Timestamp("2026-01-01").to_pydatetime(),
        argv=["t"],
    )
    summary = pd.read_csv(folder / "summary.csv", dtype={"period": str})
    assert list(summary.columns[:3]) == ["scenario", "period", "kpi"]
    assert list(dict.fromkeys(summary["period"])) == [
        "all",
        "2021",
        "2022",
        "open",
        "closed",
        "whole",
        "summer",
    ]
    closed = summary.set_index(["period", "kpi"]).loc[("closed", "stage1.discharged_at_closure")]
    assert closed["replications"] == 2 and closed["mean"] > 100
    by_period = pd.read_csv(folder / "kpis.csv", dtype={"period": str})
    assert len(by_period) == 2 * 7
    first = by_period[by_period["replication"] == 0].set_index("period")
    assert first.loc["closed", "referrals_per_month"] == pytest.approx(
        run_kpis(closing, seed=3)["period.closed.referrals_per_month"]
    )
    assert load(folder).kpis_by_period().shape == by_period.shape


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ("[2021-05-01, 2021-04-01]", "start must be on or before its end"),
        ("[2021-05-01, 2030-01-01]", "outside the simulated period"),
        ("[2021-01-01, 2021-01-31]", "within the warm-up"),
        ("2021-05-01", "expected a list"),
    ],
)
def test_a_bad_period_is_an_error_naming_file_line_and_key(tmp_path, capsys, period, message):
    path = tmp_path / "bad.yaml"
    path.write_text(
        f"extends: {QUEUE_ONLY}\n"
        "simulation: {horizon_days: 425, warmup_days: 60}\n"
        "outputs:\n"
        "  periods:\n"
        f"    funded: {period}\n"
    )
    with pytest.raises(ScenarioError):
        load_scenario(path)
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err
    assert f"{path}:5: outputs.periods.funded" in err
    assert message in err


def test_all_is_reserved_for_the_whole_window(tmp_path, capsys):
    path = tmp_path / "reserved.yaml"
    path.write_text(
        f"extends: {QUEUE_ONLY}\noutputs:\n  periods:\n    all: [2022-01-01, 2022-12-31]\n"
    )
    assert main(["validate", str(path)]) == 2
    assert "outputs.periods.all: 'all' is reserved" in capsys.readouterr().err


@pytest.fixture(scope="module")
def agent_run(tmp_path_factory):
    """The baseline with a small workforce (about 3 s)."""
    path = tmp_path_factory.mktemp("agents") / "agents.yaml"
    path.write_text(
        f"extends: {QUEUE_ONLY.parent / 'baseline.yaml'}\n"
        "workforce: {size: 500}\n"
        "outputs: {periods: {funded: [2021-02-01, 2023-03-31], after_cut: [2023-04-01, "
        "2024-01-31]}}\n"
    )
    return run(load_scenario(path), seed=2)


def test_unmet_need_counts_those_in_need_outside_the_pathway_and_those_waiting(agent_run):
    kpis = replication_kpis(agent_run)
    daily = agent_run.agents_daily
    waiting = daily["state_hub_waiting"] + daily["state_external_waiting"]
    outside = daily["state_in_need"]
    assert kpis["agents.unmet_need_mean"] == pytest.approx((outside + waiting).mean())
    assert (
        outside.mean() < kpis["agents.unmet_need_mean"] <= daily["in_need"].mean() + waiting.mean()
    )
    assert 0 < kpis["agents.unmet_need_share"] <= 1
    # The two named periods split the run: their day-weighted means give the whole's.
    days = {name: w.days for name, w in ((w.name, w) for w in period_windows(agent_run.scenario))}
    combined = sum(
        kpis[f"period.{name}.agents.unmet_need_mean"] * days[name]
        for name in ("funded", "after_cut")
    ) / (days["funded"] + days["after_cut"])
    assert combined == pytest.approx(kpis["agents.unmet_need_mean"])

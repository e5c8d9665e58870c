"""The calibration regression test: the baseline reproduces every target of its targets
file (scenarios/targets/baseline.yaml). The only test that holds the baseline's numbers:
recalibrating the baseline means this test, the YAML comments and docs/calibration.md."""

from pathlib import Path

import pytest

from sim.calibration.check import check, format_table
from sim.runner import run_kpis
from sim.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


@pytest.mark.slow
def test_the_baseline_is_inside_every_target():
    baseline = load_scenario(SCENARIOS / "baseline.yaml")
    table, _ = check(baseline, SCENARIOS / "targets" / "baseline.yaml", replications=4)
    assert table["inside"].all(), format_table(table)


@pytest.mark.slow
def test_the_baseline_uses_the_adaptive_rule_and_its_hub_capacity_binds():
    baseline = load_scenario(SCENARIOS / "baseline.yaml")
    kpis = run_kpis(baseline, replication=0)
    assert kpis["rerouted_per_month"] > 3  # the hubs added therapy because waits were long
    assert kpis["assessment.wait_mean_days"] > 7  # waits are there for WTE to shorten
    assert kpis["assessment.utilisation"] > 0.95

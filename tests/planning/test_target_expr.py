"""Target expressions read against the scenario's declared KPIs."""

import pytest
from planning_support import write_mmc

from sim.planning.target_expr import TargetError, parse_target
from sim.scenario import load_scenario


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    return load_scenario(
        write_mmc(
            tmp_path_factory.mktemp("t"), arrivals_per_day=4, mean_service_days=0.5, servers=3
        )
    )


@pytest.mark.parametrize(
    ("text", "kpi", "op", "threshold"),
    [
        ("p90_wait_days <= 14", "stage1.wait_p90_days", "<=", 14.0),
        ("wait_mean_days<=2.5", "stage1.wait_mean_days", "<=", 2.5),
        ("stage1.wait_median_days <= 1", "stage1.wait_median_days", "<=", 1.0),
        ("stage1_within_14_days >= 0.9", "target.stage1_within_14_days.share_within", ">=", 0.9),
        ("within_3_days >= 90%", "target.stage1_within_3_days.share_within", ">=", 0.9),
        ("dropout_share <= 0.05", "stage1.dropout_share", "<=", 0.05),
    ],
)
def test_targets_resolve_to_declared_kpis(scenario, text, kpi, op, threshold):
    target = parse_target(text, scenario, "stage1")
    assert (target.kpi, target.op, target.threshold) == (kpi, op, pytest.approx(threshold))


def test_a_within_target_adds_a_target_that_the_run_measures(scenario):
    target = parse_target("stage1_within_2_days >= 0.8", scenario, "stage1")
    measured = target.applied(scenario)
    assert measured.targets["stage1_within_2_days"].within_days == 2
    assert measured.targets["stage1_within_2_days"].stage == "stage1"
    assert parse_target("p90_wait_days <= 3", scenario, "stage1").applied(scenario) == scenario


def test_holds_compares_in_the_right_direction(scenario):
    at_most = parse_target("p90_wait_days <= 14", scenario, "stage1")
    assert at_most.holds(14.0) and at_most.holds(3.0) and not at_most.holds(14.01)
    assert not at_most.holds(float("nan"))


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("p95_wait_days <= 3", "allowed: stage1.wait_mean_days"),
        ("p90_wait_days", "write METRIC >= NUMBER"),
        ("p90_wait_days < 3", "must be >= or <="),
        ("p90_wait_days >= 3", "more capacity never"),
        ("stage1_within_3_days >= 1.2", "between 0 and 1"),
        ("therapy_within_3_days >= 0.8", "no stage 'therapy'"),
    ],
)
def test_bad_targets_say_what_is_allowed(scenario, text, message):
    with pytest.raises(TargetError, match=message):
        parse_target(text, scenario, "stage1")

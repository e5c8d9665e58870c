"""The capacity search for a named period: each period gets the capacity its own load needs
(Erlang C on a queue-only stage whose demand triples between two periods), both phases of
the search read the period's KPI, and the command's `--period` option."""

import json

import pytest
from planning_support import SMALL_AGENTS, mmc_text

from sim.cli import main
from sim.periods import period_key
from sim.planning import erlang
from sim.planning.capacity import (
    FULL,
    SCREEN,
    CapacityError,
    capacity,
    full_value,
    measured_period,
    pilot_replication,
    replayed_value,
    with_capacity,
)
from sim.planning.charts import plot_capacity_curve
from sim.planning.target_expr import TargetError, parse_target
from sim.runner import run_kpis
from sim.scenario import load_scenario, variant

QUIET, BUSY = 4.0, 12.0
"""Referrals a day before and after 2024-01-06 (day 1100 of 2100); services of 0.5 days
make loads of 2 and 6 Erlangs."""
SERVICE, DAYS, SHARE = 0.5, 0.5, 0.9
TARGET = "stage1_within_0_5_days >= 0.9"
PERIODS = {"quiet": ["2021-04-11", "2024-01-05"], "busy": ["2024-01-06", "2026-10-01"]}


@pytest.fixture(scope="module")
def two_loads(tmp_path_factory):
    """One M/M/c stage whose Poisson demand triples on 2024-01-06, with a named period on
    either side (the warm-up of 100 days left out of the first)."""
    scenario = json.loads(mmc_text(arrivals_per_day=QUIET, mean_service_days=SERVICE, servers=3))
    scenario["demand"]["referrals"].append({"from_date": "2024-01-06", "per_day": BUSY})
    scenario["outputs"] = {"periods": PERIODS}
    path = tmp_path_factory.mktemp("period") / "two-loads.yaml"
    path.write_text(json.dumps(scenario))
    return path


def test_each_period_gets_the_erlang_c_answer_for_its_own_load(two_loads):
    scenario = load_scenario(two_loads)
    answers = {}
    for period, load in (("quiet", QUIET), ("busy", BUSY)):
        analytic = erlang.servers_needed("share_within", SHARE, load, SERVICE, days=DAYS)
        # The fixture is fair: the answer and the one below are clearly apart from the target.
        assert erlang.mmc_share_within(analytic, load, SERVICE, DAYS) > SHARE + 0.03
        assert erlang.mmc_share_within(analytic - 1, load, SERVICE, DAYS) < SHARE - 0.03
        answer = capacity(scenario, stage="stage1", target=TARGET, step=1, period=period)
        assert answer.answer == analytic
        assert answer.final[analytic - 1].decision == "not met"
        # The bracket starts from the period's own arrival rate, not the whole run's (8 a
        # day, which needs 6 servers).
        assert answer.first_guess == analytic
        assert answer.period == period and answer.as_json()["period"] == period
        answers[period] = answer.answer
    assert answers["busy"] > answers["quiet"]
    whole = erlang.servers_needed("share_within", SHARE, (QUIET + BUSY) / 2, SERVICE, days=DAYS)
    assert answers["quiet"] < whole < answers["busy"]


def test_without_a_formula_the_search_starts_from_the_staffing_in_the_period(two_loads):
    # Staffing follows demand: 3 WTE, then 9 from the day demand triples. Utilisation has no
    # Erlang formula here, so each period's search starts from that period's staffing.
    change = {"type": "staffing_change", "date": "2024-01-06", "stage": "stage1", "wte": 9}
    scenario = variant(load_scenario(two_loads), {"interventions": [change]})
    for period, staffed, needed in (("quiet", 3.0, 3.0), ("busy", 9.0, 8.0)):
        answer = capacity(
            scenario, stage="stage1", target="utilisation <= 0.8", step=1, period=period
        )
        assert answer.first_guess is None
        assert answer.candidates[0].level == staffed
        assert answer.answer == needed  # loads of 2 and 6 Erlangs: 2/3 and 6/8 busy


def test_the_whole_window_and_all_mean_no_period(two_loads):
    scenario = load_scenario(two_loads)
    assert measured_period(scenario, None) is None
    assert measured_period(scenario, "all") is None
    busy = measured_period(scenario, "busy")
    assert (busy.first_date.isoformat(), busy.last_date.isoformat()) == tuple(PERIODS["busy"])
    assert measured_period(scenario, "2022").kind == "year"


def test_an_unknown_period_is_refused_with_the_scenarios_periods(two_loads):
    scenario = load_scenario(two_loads)
    with pytest.raises(CapacityError) as refused:
        capacity(scenario, stage="stage1", target=TARGET, period="funded")
    assert "no period 'funded' in the scenario; periods: 2021, 2022," in str(refused.value)
    assert "2026, quiet, busy (calendar years" in str(refused.value)


def test_a_period_in_which_the_hub_is_closed_is_refused(two_loads):
    closed = variant(
        load_scenario(two_loads), {"interventions": [{"type": "closure", "date": "2024-01-01"}]}
    )
    with pytest.raises(CapacityError, match="the hub closes on 2024-01-01, before period 'busy'"):
        measured_period(closed, "busy", stage="stage1")
    assert measured_period(closed, "quiet", stage="stage1").name == "quiet"


def test_a_target_that_names_a_period_points_to_the_option(two_loads):
    scenario = load_scenario(two_loads)
    with pytest.raises(TargetError, match="give the period with --period busy"):
        parse_target("period.busy.stage1.wait_p90_days <= 1", scenario, "stage1")


SPRING = {"spring": ["2021-03-01", "2021-05-31"]}
ASSESSED_IN_TIME = "target.assessment_2_weeks.share_within"


@pytest.fixture(scope="module")
def small_agents():
    """The small agent hub with assessment short of staff (2 WTE) and a spring period."""
    scenario = load_scenario(SMALL_AGENTS)
    return variant(
        scenario,
        {"outputs.periods": SPRING, "hub.stages.assessment.capacity[0].wte": 2},
    )


def test_screening_and_full_model_values_of_a_period_key_are_that_periods_kpi(small_agents):
    key = period_key("spring", ASSESSED_IN_TIME)
    kpis = run_kpis(small_agents, 11, 1)
    assert kpis[key] != kpis[ASSESSED_IN_TIME]  # the period differs from the whole year
    assert full_value(small_agents, 11, key, 1) == kpis[key]
    pilot = pilot_replication(small_agents, 11, "assessment", 1)
    assert replayed_value(small_agents, 11, key, (1, pilot)) == kpis[key]


def test_the_pilot_measures_the_arrival_rate_inside_the_period(small_agents):
    spring = measured_period(small_agents, "spring")
    whole = pilot_replication(small_agents, 11, "assessment", 0)
    inside = pilot_replication(small_agents, 11, "assessment", 0, window=spring)
    assert inside.times.size == whole.times.size  # the replayed referrals: the whole run
    assert inside.arrival_rate != whole.arrival_rate
    assert 0 < inside.arrival_rate < 3 * whole.arrival_rate


def test_both_phases_of_an_agent_search_read_the_period(small_agents):
    answer = capacity(
        small_agents,
        stage="assessment",
        target="assessment_2_weeks >= 0.8",
        step=0.5,
        period="spring",
        max_replications=5,
    )
    key = period_key("spring", ASSESSED_IN_TIME)
    screened = next(c for c in answer.candidates if c.model == SCREEN)
    confirmed = next(c for c in answer.candidates if c.model == FULL)
    at_screened = with_capacity(small_agents, "assessment", screened.level)
    pilot = pilot_replication(small_agents, 11, "assessment", 0)
    assert screened.values[0] == replayed_value(at_screened, 11, key, (0, pilot))
    assert screened.values[0] != replayed_value(at_screened, 11, ASSESSED_IN_TIME, (0, pilot))
    at_confirmed = with_capacity(small_agents, "assessment", confirmed.level)
    assert confirmed.values[0] == run_kpis(at_confirmed, 11, 0)[key]
    assert confirmed.values[0] != run_kpis(at_confirmed, 11, 0)[ASSESSED_IN_TIME]
    assert "in spring (2021-03-01 to 2021-05-31)" in answer.describe()


def test_the_curve_names_the_period_in_its_title():
    import pandas as pd

    points = pd.DataFrame(
        {"level": [1.0], "mean": [0.5], "ci_low": [0.4], "ci_high": [0.6], "model": [FULL]}
    )
    common = {"threshold": 0.9, "answer": None, "kpi": "stage1.utilisation", "unit": "WTE"}
    titled = plot_capacity_curve(points, stage="stage1", period="busy (a to b)", **common)
    assert titled.get_title() == "Capacity needed on stage1, period busy (a to b)"
    assert plot_capacity_curve(points, stage="stage1", **common).get_title().endswith("stage1")


def _capacity_argv(scenario, out, *extra):
    return [
        "capacity",
        str(scenario),
        "--stage",
        "stage1",
        "--target",
        TARGET,
        "--step",
        "1",
        "--out",
        str(out),
        "--workers",
        "1",
        *extra,
    ]


def test_capacity_command_with_a_period_writes_it_into_capacity_json(two_loads, tmp_path, capsys):
    out = tmp_path / "busy"
    argv = _capacity_argv(two_loads, out, "--period", "busy", "--range", "6..10", "--report")
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "stage1: 8 WTE meet stage1_within_0_5_days >= 0.9 in busy (2024-01-06 to" in printed
    result = json.loads((out / "capacity.json").read_text())
    assert result["period"] == "busy" and result["answer_wte"] == 8.0
    assert result["kpi"] == "target.stage1_within_0_5_days.share_within"  # unchanged field
    # The report asks the same question: the target in that period, with its dates.
    page = " ".join((out / "report.html").read_text().split())
    assert "in the period <strong>busy</strong> (2024-01-06 to 2026-10-01)" in page


@pytest.mark.parametrize(
    ("period", "message"),
    [
        ("funded", "no period 'funded' in the scenario; periods: 2021, 2022"),
        ("2030", "no period '2030'"),
        ("quite", "no period 'quite' in the scenario; did you mean 'quiet'?"),
    ],
)
def test_capacity_command_unknown_period_exits_2(two_loads, tmp_path, capsys, period, message):
    out = tmp_path / "x"
    assert main(_capacity_argv(two_loads, out, "--period", period)) == 2
    err = capsys.readouterr().err
    assert message in err and "quiet, busy" in err and "Traceback" not in err
    assert not out.exists()

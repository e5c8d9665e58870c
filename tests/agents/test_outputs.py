"""The model's data out: the daily series and the group counts agree with each other and
with what the pathway received; the warm-up is left out of the group counts; agents start in
their stationary distress distribution; the model drives the real pathway adapter."""

import numpy as np
import pytest
from agent_support import RecordingPathway, ScriptedPathway, baseline_with, run, therapy_script

from sim.model import HubModel
from sim.pathway import HubPathway


@pytest.fixture(scope="module")
def model():
    scenario = baseline_with(
        simulation={"warmup_days": 10},
        workforce={"size": 8000},
        help_seeking={"intercept": -6.0},
    )
    return run(HubModel(scenario, ScriptedPathway(therapy_script()), seed=9), 90)


def test_daily_frame_has_one_row_per_day_with_dates(model):
    frame = model.daily_frame()
    assert len(frame) == 90 and list(frame.day) == list(range(90))
    start = model.hub_scenario.simulation.start_date
    assert frame.date.iloc[0] == np.datetime64(start)
    assert (frame.date.diff().dropna() == np.timedelta64(1, "D")).all()
    assert np.allclose(frame.prevalence, frame.in_need / 8000)
    sources = frame[["referrals_self", "referrals_manager", "referrals_outreach"]].sum(axis=1)
    assert (sources == frame.referrals).all()


def test_group_counts_add_up_to_the_recorded_days(model):
    frame = model.daily_frame()
    groups = model.group_frame()
    recorded = frame[frame.day >= 10]
    everyone = groups[groups.group_type == "all"].iloc[0]
    assert everyone.workers == 8000
    assert everyone.referrals == recorded.referrals.sum() > 0
    assert everyone.person_days_in_need == recorded.in_need.sum()
    assert everyone.absence_days == recorded.absence_days.sum()
    assert frame.referrals[:10].sum() > 0  # the warm-up had referrals, left out above
    for group_type in ("sector", "staff_group", "minority_ethnic", "racism_affected", "sex"):
        part = groups[groups.group_type == group_type]
        for column in ("workers", "referrals", "person_days_in_need", "absence_days"):
            assert part[column].sum() == everyone[column], (group_type, column)
    expected = 1000 * everyone.referrals / (everyone.person_days_in_need / 365.25)
    assert everyone.uptake_per_1000_in_need_year == pytest.approx(expected)


def test_agents_start_in_their_stationary_distress_distribution():
    """No wave in the first months: prevalence on day 0 is where it stays."""
    scenario = baseline_with(workforce={"size": 20_000}, help_seeking={"intercept": -12.0})
    frame = run(HubModel(scenario, RecordingPathway(), seed=1), 120).daily_frame()
    assert frame.prevalence[0] == pytest.approx(frame.prevalence[60:].mean(), abs=0.01)
    assert 0.45 < frame.prevalence[0] < 0.55  # DF §3 'Baseline probable disorder' (S: 50%)


def test_referral_classes_follow_the_hub_shares_and_times_fall_within_the_day():
    scenario = baseline_with(workforce={"size": 30_000}, help_seeking={"intercept": -6.0})
    pathway = RecordingPathway()
    run(HubModel(scenario, pathway, seed=2), 40)
    classes = np.concatenate([c[3] for c in pathway.calls])
    assert classes.size > 500
    urgent = scenario.hub.priority_classes["urgent"]
    assert abs(np.mean(classes == 0) - urgent) < 5 * np.sqrt(urgent * (1 - urgent) / classes.size)
    for until, times, _, _ in pathway.calls:
        assert np.all((times >= until - 1) & (times < until)) and np.all(np.diff(times) >= 0)


def test_the_model_drives_the_queue_core_pathway():
    scenario = baseline_with(workforce={"size": 20_000}, help_seeking={"intercept": -7.0})
    pathway = HubPathway(scenario, seed=3)
    model = run(HubModel(scenario, pathway, seed=3), 90)
    frame = model.daily_frame()
    states = frame[[c for c in frame.columns if c.startswith("state_")]]
    assert (states.sum(axis=1) == 20_000).all()
    # Every referral either enters the hub or never engages (no first contact).
    assert frame.entered_hub.sum() + frame.never_engaged.sum() == frame.referrals.sum() > 100
    assert frame.never_engaged.sum() > 0
    assert frame.started_therapy.sum() > 0 and frame.signposted.sum() > 0
    assert frame.expected_wait_days.max() > 0
    in_pathway = states[
        [
            "state_hub_waiting",
            "state_in_therapy",
            "state_external_waiting",
            "state_external_treatment",
        ]
    ].sum(axis=1)
    assert in_pathway.iloc[-1] > 0

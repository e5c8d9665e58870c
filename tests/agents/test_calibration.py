"""Calibration sanity of the baseline catchment (150,000 keyworkers, three years) with a fake
pathway that treats everyone quickly: prevalence of probable need near 50% (DF §3 'Baseline
probable disorder', S: NHS CHECK), hub referrals in the tens to ~150 a month (DF §3
'Referrals per hub per month', D: 40-150) and annual uptake of 1-4% of the workforce (DF §3
'Hub uptake, % of eligible per year', D).

CALIBRATION holds the behaviour values recommended for scenarios/baseline.yaml (intercept
and manager referral tuned here; a routine-communications campaign keeps awareness near the
assumed 40% while the hub is funded). Once the baseline carries them, merging them changes
nothing.
"""

from agent_support import ScriptedPathway, baseline_with, run, therapy_script

from sim.model import HubModel

ROUTINE_COMMS = {
    "type": "campaign",
    "date": "2021-04-01",
    "end_date": "2023-03-31",
    "reach_share": 0.0025,
}
CALIBRATION = {
    "help_seeking": {"intercept": -9.3, "manager_referral_probability": 0.00001},
}


def calibrated():
    interventions = [i.model_dump() for i in baseline_with().interventions]
    if not any(
        i["type"] == "campaign" and i["date"].isoformat() == "2021-04-01" for i in interventions
    ):
        interventions.append(ROUTINE_COMMS)
    return baseline_with(CALIBRATION, interventions=interventions)


def test_baseline_calibration():
    scenario = calibrated()
    n = scenario.workforce.size
    days = scenario.simulation.horizon_days
    pathway = ScriptedPathway(therapy_script(start=3.0, length=42.0), wait_days=3.0)
    frame = run(HubModel(scenario, pathway, seed=scenario.simulation.seed), days).daily_frame()

    outside_waves = frame.prevalence[(frame.day < 280) | (frame.day > 420)]
    assert 0.45 < outside_waves.mean() < 0.55
    assert frame.prevalence.max() < 0.70  # the Omicron wave peak: DF §3 'Wave effect' x1.25

    monthly = frame.groupby(frame.day // 30).referrals.sum()[:-1]  # whole 30-day months
    assert monthly.min() > 20 and monthly.max() < 250
    assert 80 < monthly.mean() < 170

    per_year = frame.referrals.sum() / (days / 365.25)
    assert 0.01 < per_year / n < 0.04

"""The mechanisms move uptake in the direction the evidence says (DF §B 'Help-seeking
determinants', Allsopp 2023; DF §3 odds ratios).

Each comparison runs both arms from the same seeds (common random numbers: the same workers,
the same daily draws; raising a share only adds members) over several seeds, with a fake
pathway that treats everyone (start after 5 days, 20 days of therapy).
"""

import pytest
from agent_support import ScriptedPathway, baseline_with, run, therapy_script

from sim.model import HubModel

SEEDS = (1, 2, 3)
SIZE = 20_000
DAYS = 365
# A livelier intercept than the baseline's, so that each arm has hundreds of referrals.
LIVELY = {"intercept": -7.0}


def simulate(changes: dict, seed: int, days: int = DAYS, wait_days: float = 3.0) -> HubModel:
    scenario = baseline_with({"workforce": {"size": SIZE}, "help_seeking": LIVELY}, **changes)
    pathway = ScriptedPathway(therapy_script(5.0, 20.0), wait_days=wait_days)
    return run(HubModel(scenario, pathway, seed=seed), days)


def total(changes: dict, column: str = "referrals_self", **kwargs) -> int:
    return sum(int(simulate(changes, seed, **kwargs).daily_frame()[column].sum()) for seed in SEEDS)


def test_more_supportive_managers_more_self_referrals():
    low = total({"workforce": {"supportive_manager_share": 0.3}})
    high = total({"workforce": {"supportive_manager_share": 0.9}})
    assert low > 300
    # OR 1.5 for a supportive manager: 0.3 -> 0.9 supportive raises the odds by ~25%
    assert high > 1.1 * low


def test_manager_training_raises_referrals():
    training = {"type": "manager_training", "date": "2021-02-01", "converted_share": 1.0}
    interventions = [i.model_dump() for i in baseline_with().interventions]
    before = total({}, column="referrals")
    after = total({"interventions": [*interventions, training]}, column="referrals")
    assert after > 1.1 * before


def test_better_culture_more_self_referrals():
    negative = total({"workforce": {"negative_culture_share": 0.8}})
    positive = total({"workforce": {"negative_culture_share": 0.1}})
    assert positive > 1.1 * negative


def test_more_confidentiality_concern_fewer_self_referrals():
    few = total({"workforce": {"confidentiality_concern_share": 0.1}})
    many = total({"workforce": {"confidentiality_concern_share": 0.7}})
    assert many < 0.85 * few


def test_a_longer_published_wait_fewer_self_referrals():
    short = total({}, wait_days=3.0)
    long = total({}, wait_days=70.0)  # 10 weeks x ln(0.95): odds x 0.60
    assert long < 0.8 * short


def test_a_campaign_raises_referrals_during_it_then_the_effect_decays():
    """Campaign on days 30-89. Its gain in referrals is largest just after it (awareness
    peaks at its end), and a year later both the awareness gap and the referral gain have
    fallen by more than half (forgetting, half-life 180 days; word of mouth keeps some)."""
    end, later = 89, 89 + 360  # campaign 2021-03-03 to 2021-05-01
    campaign = {
        "type": "campaign",
        "date": "2021-03-03",
        "end_date": "2021-05-01",
        "reach_share": 0.03,
    }
    quiet: dict = {"interventions": []}
    loud = {"interventions": [campaign]}
    gain_during = gain_after = gain_later = aware_gap_end = aware_gap_later = 0.0
    for seed in SEEDS:
        a = simulate(quiet, seed, days=later + 1).daily_frame()
        b = simulate(loud, seed, days=later + 1).daily_frame()
        windows = (slice(30, 90), slice(90, 150), slice(later - 59, later + 1))  # 60 days each
        during, after, a_year_on = (b.referrals[w].sum() - a.referrals[w].sum() for w in windows)
        gain_during += during
        gain_after += after
        gain_later += a_year_on
        aware_gap_end += b.aware_share[end] - a.aware_share[end]
        aware_gap_later += b.aware_share[later] - a.aware_share[later]
    assert gain_during > 100 * len(SEEDS)
    assert aware_gap_end > 0.3 * len(SEEDS)
    assert aware_gap_later < 0.5 * aware_gap_end
    assert 0 < gain_later < 0.6 * gain_after


def test_cultural_competency_raises_uptake_of_racism_affected_staff_and_narrows_the_gap():
    """Racism-affected minority-ethnic staff: fit OR 0.4 without training, 1 with it (from day
    0). Uptake is referrals per 1,000 person-years in need; the gap is not-ME minus ME."""
    base = {
        "workforce": {"size": 30_000, "racism_affected_share": 0.6},
        "distress": {"racism_shift": 0.0},  # no distress difference: the gap is all fit
        "help_seeking": {"racism_affected_fit_odds_ratio": 0.4},
    }
    training = {"type": "cultural_competency", "date": "2021-02-01", "fit_odds_ratio_after": 1.0}
    interventions = [i.model_dump() for i in baseline_with().interventions]
    with_training = {**base, "interventions": [*interventions, training]}

    def uptake(changes):
        referrals = {key: 0 for key in ("affected", "me", "not_me")}
        years = dict.fromkeys(referrals, 0.0)
        for seed in SEEDS[:2]:
            groups = simulate(changes, seed).group_frame().set_index(["group_type", "group"])
            for key, index in (
                ("affected", ("racism_affected", "yes")),
                ("me", ("minority_ethnic", "yes")),
                ("not_me", ("minority_ethnic", "no")),
            ):
                referrals[key] += groups.loc[index, "referrals"]
                years[key] += groups.loc[index, "person_days_in_need"] / 365.25
        return {key: 1000 * referrals[key] / years[key] for key in referrals}

    before = uptake(base)
    after = uptake(with_training)
    assert after["affected"] > 1.5 * before["affected"]
    gap_before = before["not_me"] - before["me"]
    gap_after = after["not_me"] - after["me"]
    assert gap_before > 0
    assert abs(gap_after) < 0.5 * gap_before
    assert after["not_me"] == pytest.approx(before["not_me"], rel=0.1)

"""What becomes of a referral beyond waiting and being seen (scenario `outcomes`): never
engaging, the reasons for leaving a queue unseen, and how finished treatment ends.

They run the fixture hub (tests/fixtures/shared_queues.yaml) through `HubPathway`; what the
agents make of the outcomes is tested in tests/agents/test_referral_outcomes_agents.py.
"""

from pathlib import Path

import numpy as np
import pytest

from sim.outcomes import Outcome
from sim.pathway import HubPathway
from sim.scenario import load_scenario, variant

FIXTURE = Path(__file__).parent / "fixtures" / "shared_queues.yaml"
LEAVING = {"dropped_out": 0.4, "recovered": 0.3, "went_elsewhere": 0.2, "crisis": 0.1}
NEVER = 0.2


def _pathway_outcomes(scenario, days: int = 300, per_day: int = 12, seed: int = 3):
    """All outcomes of `per_day` routine referrals a day (distinct clients) for `days`."""
    pathway = HubPathway(scenario, seed=seed)
    codes, ids = [], []
    for today in range(days):
        clients = np.arange(per_day, dtype=np.int64) + per_day * today
        times = today + np.linspace(0.05, 0.95, per_day)
        out = pathway.advance(today + 1, times, clients, np.ones(per_day, np.int64))
        codes.append(out.outcome)
        ids.append(out.client_id)
    return np.concatenate(codes), np.concatenate(ids)


@pytest.fixture(scope="module")
def outcomes_scenario():
    return variant(
        load_scenario(FIXTURE),
        {
            "outcomes.never_engage_share": NEVER,
            "outcomes.leaving": LEAVING,
            # a slow assessment, so that many leave its queue unseen
            "hub.stages.assessment.capacity": [{"from_date": "2021-02-01", "wte": 1.0}],
            "hub.stages.assessment.patience": {"kind": "exponential", "mean_days": 20},
        },
    )


def test_a_share_of_referrals_never_engages_and_never_reaches_the_queue(outcomes_scenario):
    codes, ids = _pathway_outcomes(outcomes_scenario)
    never = set(ids[codes == Outcome.NEVER_ENGAGED].tolist())
    entered = set(ids[codes == Outcome.ENTERED_HUB].tolist())
    assert never.isdisjoint(entered)
    share = len(never) / (len(never) + len(entered))
    assert share == pytest.approx(NEVER, abs=0.02)  # 3,600 referrals: sd 0.007


def test_leavers_are_split_by_reason_in_the_scenarios_shares(outcomes_scenario):
    codes, _ = _pathway_outcomes(outcomes_scenario)
    reasons = {
        "dropped_out": Outcome.DROPPED_OUT,
        "recovered": Outcome.RECOVERED_WAITING,
        "went_elsewhere": Outcome.WENT_ELSEWHERE,
        "crisis": Outcome.ESCALATED_CRISIS,
    }
    counts = {name: int((codes == code).sum()) for name, code in reasons.items()}
    leavers = sum(counts.values())
    assert leavers > 500
    for name, share in LEAVING.items():
        assert counts[name] / leavers == pytest.approx(share, abs=0.04)


def test_outcome_draws_are_keyed_by_the_client_not_by_capacity(outcomes_scenario):
    """Common random numbers: whether a referral engages does not depend on capacity."""
    more = variant(
        outcomes_scenario,
        {"hub.stages.assessment.capacity": [{"from_date": "2021-02-01", "wte": 3.0}]},
    )
    codes_a, ids_a = _pathway_outcomes(outcomes_scenario, days=60)
    codes_b, ids_b = _pathway_outcomes(more, days=60)
    never_a = np.sort(ids_a[codes_a == Outcome.NEVER_ENGAGED])
    never_b = np.sort(ids_b[codes_b == Outcome.NEVER_ENGAGED])
    np.testing.assert_array_equal(never_a, never_b)
    # and the mechanism's size: faster assessment, far fewer leave its queue
    left = [
        (c >= Outcome.RECOVERED_WAITING) | (c == Outcome.DROPPED_OUT) for c in (codes_a, codes_b)
    ]
    assert left[1].sum() < 0.5 * left[0].sum()

"""What the agents make of a referral's outcomes: needs met fully (relief), partly (a
share of the relief) or not; recovering while waiting ends the need."""

import pytest
from agent_support import HubModel, ScriptedPathway, baseline_with, run

from sim.outcomes import Outcome


def test_needs_met_partly_brings_partial_relief_and_recovery_while_waiting_ends_need():
    scenario = baseline_with(
        workforce={"size": 2000},
        help_seeking={"intercept": -4.5, "manager_referral_probability": 0.002},
        outcomes={"needs_met": {"fully": 0.3, "partly": 0.4, "not_met": 0.3}},
    )

    def script(client: int):
        if client % 2:
            return [(3.5, Outcome.RECOVERED_WAITING)]
        return [(2.5, Outcome.STARTED_THERAPY), (12.5, Outcome.FINISHED_THERAPY)]

    model = run(HubModel(scenario, ScriptedPathway(script), seed=4), 120)
    frame = model.daily_frame()
    finished = frame.finished_therapy.sum()
    assert finished > 200
    assert frame.relieved.sum() / finished == pytest.approx(0.3, abs=0.06)
    assert frame.partly_relieved.sum() / finished == pytest.approx(0.4, abs=0.06)
    assert frame.recovered_waiting.sum() > 200

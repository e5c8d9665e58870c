"""External services start in steady state: no start-up artefact in their waiting lists.

On the fixture's external services alone (no hub referrals, nothing changing), the mean
waiting list of the first 90 days is within 10% of the following year's; started empty, the
same services are far from it (the test can fail).
"""

from pathlib import Path

import pytest

from sim.runner import run
from sim.scenario import load_scenario, variant

FIXTURE = Path(__file__).parent / "fixtures" / "shared_queues.yaml"
EXTERNAL = ("talking_therapies", "talking_therapies_treatment", "secondary_care")


SEEDS = (5, 6, 7)
"""Three replications: one queue's 90-day mean is noisy, the start-up artefact is not."""


def _services_alone(steady: bool, seed: int = 5):
    scenario = variant(
        load_scenario(FIXTURE),
        {
            "simulation.horizon_days": 455,
            "demand.referrals": [{"from_date": "2021-02-01", "per_day": 0.0}],
            "external.talking_therapies.initial_backlog": None,
            **{f"external.{name}.steady_start_days": 1500 if steady else None for name in EXTERNAL},
        },
    )
    return run(scenario, seed=seed).queue.daily


def _first_90_over_next_year(daily, stage: str) -> float:
    waiting = daily[daily["stage"] == stage].groupby("day")["mean_waiting"].sum()
    return waiting.loc[:89].mean() / waiting.loc[90:454].mean()


@pytest.mark.parametrize("stage", EXTERNAL)
def test_the_first_90_days_look_like_the_following_year(stage):
    ratios = [_first_90_over_next_year(_services_alone(True, seed), stage) for seed in SEEDS]
    assert sum(ratios) / len(ratios) == pytest.approx(1.0, abs=0.10)


def test_started_empty_the_waiting_lists_climb():
    daily = _services_alone(steady=False)
    for stage in EXTERNAL:
        assert _first_90_over_next_year(daily, stage) < 0.8

"""Pathway mechanisms on the baseline's hub and services, fed by Poisson referrals.

Each test compares two seeded runs that differ in one thing (common random numbers: the
same referrals and the same per-client draws in both arms) and states the effect it shows.
"""

from datetime import date

import numpy as np
import pytest

from sim.runner import run
from sim.scenario import Scenario, load_scenario

REFERRALS_PER_DAY = 4.0


@pytest.fixture(scope="module")
def pathway_baseline() -> dict:
    data = load_scenario("scenarios/baseline.yaml").model_dump()
    data["demand"] = {
        "mode": "poisson",
        "referrals": [{"from_date": date(2021, 2, 1), "per_day": REFERRALS_PER_DAY}],
    }
    data["simulation"] |= {"warmup_days": 0}
    data["interventions"] = []
    return data


def variant(data: dict, *edits) -> Scenario:
    changed = {**data}
    for path, value in edits:
        node = changed = _copy_path(changed, path)
        for key in path[:-1]:
            node = node[key]
        node[path[-1]] = value
    return Scenario.model_validate(changed)


def _copy_path(data: dict, path: tuple) -> dict:
    root = dict(data)
    node = root
    for key in path[:-1]:
        node[key] = dict(node[key]) if isinstance(node[key], dict) else list(node[key])
        node = node[key]
    return root


def adaptive_share(result) -> float:
    """Share of assessed hub clients the adaptive rule sent to in-house therapy (the flag is
    on the visit whose routing the rule changed)."""
    visits = result.queue.visits
    assessed = visits[(visits["stage"] == "assessment") & (visits["source"] == "referral")]
    return float(assessed["adaptive"].mean())


def in_house_therapy_episodes(result) -> int:
    visits = result.queue.visits
    return int(((visits["stage"] == "therapy") & visits["start"].notna()).sum())


def test_shorter_external_waits_send_fewer_to_in_house_therapy(pathway_baseline):
    """More Talking Therapies capacity (first appointments and treatment places) -> its
    expected wait, both steps counted, falls below six weeks -> the adaptive rule sends far
    fewer hub clients to in-house therapy instead, whose wait shortens.

    On the baseline the expected wait is well above the threshold, so the rule is limited
    only by free in-house places: longer external waits would change nothing there, shorter
    ones switch it off."""
    normal = run(variant(pathway_baseline), seed=11)
    fast = run(
        variant(
            pathway_baseline,
            (
                ("external", "talking_therapies", "capacity"),
                [{"from_date": date(2021, 2, 1), "places": 40}],
            ),
            (
                ("external", "talking_therapies_treatment", "capacity"),
                [{"from_date": date(2021, 2, 1), "places": 1600}],
            ),
        ),
        seed=11,
    )
    for stage in ("talking_therapies", "talking_therapies_treatment"):
        assert fast.queue.mean_wait(stage) < 0.5 * normal.queue.mean_wait(stage)
    assert adaptive_share(normal) > 0.05  # the rule is in use on the baseline
    assert adaptive_share(fast) < 0.5 * adaptive_share(normal)
    assert in_house_therapy_episodes(fast) < 0.95 * in_house_therapy_episodes(normal)
    assert fast.queue.mean_wait("therapy") < normal.queue.mean_wait("therapy")


def test_without_the_adaptive_rule_nobody_is_rerouted(pathway_baseline):
    result = run(variant(pathway_baseline, (("hub", "adaptive_therapy"), None)), seed=11)
    assert adaptive_share(result) == 0.0


def test_one_more_assessment_wte_shortens_the_hub_wait(pathway_baseline):
    """+1 WTE on assessment (the planner's question): the wait for assessment falls by at
    least a third, so the capacity question has an answer on the baseline."""
    steps = pathway_baseline["hub"]["stages"]["assessment"]["capacity"]
    plus_one = [step | {"wte": step["wte"] + 1.0} for step in steps]
    base = run(variant(pathway_baseline), seed=5)
    more = run(
        variant(pathway_baseline, (("hub", "stages", "assessment", "capacity"), plus_one)), seed=5
    )
    assert more.queue.mean_wait("assessment") < 0.67 * base.queue.mean_wait("assessment")


def test_more_hub_wte_gives_shorter_waits(pathway_baseline):
    """Doubling assessment WTE shortens the wait for assessment by more than half."""
    steps = pathway_baseline["hub"]["stages"]["assessment"]["capacity"]
    doubled = [step | {"wte": step["wte"] * 2} for step in steps]
    base = run(variant(pathway_baseline), seed=5)
    more = run(
        variant(pathway_baseline, (("hub", "stages", "assessment", "capacity"), doubled)), seed=5
    )
    assert base.queue.mean_wait("assessment") > 7.0  # hub capacity binds on the baseline
    assert more.queue.mean_wait("assessment") < 0.5 * base.queue.mean_wait("assessment")
    # Common random numbers: the same referrals arrive in both arms.
    arrivals = [r.queue.clients.query("source == 'referral'")["arrival"] for r in (base, more)]
    np.testing.assert_array_equal(*arrivals)


@pytest.mark.parametrize("policy", ["discharge", "transfer"])
def test_closure_handles_the_waiting_list_as_the_scenario_says(pathway_baseline, policy):
    """At closure nobody waits at the hub any more: those waiting for screening are
    discharged, or (transfer) referred on to Talking Therapies; nobody starts there after."""
    closure = date(2022, 2, 1)
    on_closure = (
        {"action": "discharge"}
        if policy == "discharge"
        else {"action": "transfer", "to": "talking_therapies"}
    )
    scenario = variant(
        pathway_baseline,
        (("interventions",), [{"type": "closure", "date": closure}]),
        (("hub", "stages", "screening", "on_closure"), on_closure),
        # one screener at 2 a day against 4 referrals a day: a long queue at closure
        (("hub", "stages", "screening", "service"), {"kind": "exponential", "mean_days": 0.5}),
        (
            ("hub", "stages", "screening", "capacity"),
            [{"from_date": date(2021, 2, 1), "wte": 1.0}],
        ),
    )
    result = run(scenario, seed=2)
    day = scenario.simulation.day(closure)
    visits = result.queue.visits
    screening = visits[visits["stage"] == "screening"]
    assert not (screening["start"] >= day).any(), "no screening after closure"
    outcome = "discharged" if policy == "discharge" else "transferred"
    # Those waiting at closure; referrals after it (Poisson demand goes on) are turned away
    # on arrival in the same way.
    closed_out = screening[(screening["outcome"] == outcome) & (screening["arrive"] < day)]
    assert len(closed_out) > 20
    assert np.allclose(closed_out["end"], day)
    assert (screening.loc[screening["arrive"] < day, "outcome"] != "waiting").all()
    daily = result.queue.daily
    after = daily[(daily["day"] > day) & daily["stage"].isin(["screening", "assessment"])]
    assert after["waiting"].sum() == 0
    if policy == "transfer":
        moved = visits[
            visits["client_id"].isin(closed_out["client_id"])
            & (visits["stage"] == "talking_therapies")
            & (visits["source"] == "referral")
        ]
        assert len(moved) == len(closed_out)

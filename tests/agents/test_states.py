"""Agents are conserved across states, change state only in allowed ways, and are referred
only while the hub is open and their sector eligible."""

import numpy as np
from agent_support import (
    RecordingPathway,
    ScriptedPathway,
    baseline_with,
    mixed_script,
    run,
    therapy_script,
)

from sim.agents import ALLOWED_TRANSITIONS, AgentState
from sim.model import HubModel
from sim.outcomes import Outcome

LIVELY = {"intercept": -4.5, "manager_referral_probability": 0.002}


def test_every_agent_is_in_exactly_one_state_and_moves_only_as_allowed():
    scenario = baseline_with(workforce={"size": 2000}, help_seeking=LIVELY)
    model = HubModel(scenario, ScriptedPathway(mixed_script), seed=4)
    allowed = np.zeros((len(AgentState), len(AgentState)), bool)
    for a, b in ALLOWED_TRANSITIONS:
        allowed[a, b] = True
    seen = np.zeros_like(allowed)
    previous = model.arrays.state.copy()
    for _ in range(200):
        model.step()
        state = model.arrays.state.copy()
        assert state.min() >= 0 and state.max() < len(AgentState)
        seen[previous, state] = True
        bad = ~allowed[previous, state]
        assert not bad.any(), [
            (AgentState(a).name, AgentState(b).name)
            for a, b in zip(previous[bad], state[bad], strict=True)
        ][:5]
        previous = state
    frame = model.daily_frame()
    states = frame[[c for c in frame.columns if c.startswith("state_")]]
    assert (states.sum(axis=1) == scenario.workforce.size).all()
    # the run exercised the pathway: every state was occupied at some point
    assert (states.max() > 0).all(), states.max()
    # and the moves the checks are about happened
    for move in [
        (AgentState.HUB_WAITING, AgentState.IN_THERAPY),
        (AgentState.EXTERNAL_WAITING, AgentState.EXTERNAL_TREATMENT),
        (AgentState.HUB_WAITING, AgentState.DISENGAGED),
        (AgentState.DISENGAGED, AgentState.HUB_WAITING),
    ]:
        assert seen[move], move


def test_outcome_counts_match_the_pathway():
    scenario = baseline_with(workforce={"size": 1000}, help_seeking=LIVELY)
    pathway = ScriptedPathway(therapy_script(start=2.0, length=10.0))
    model = run(HubModel(scenario, pathway, seed=2), 60)
    frame = model.daily_frame()
    assert frame.entered_hub.sum() == frame.referrals.sum() == len(pathway.referrals)
    started = sum(1 for t, _ in pathway.referrals if t + 2.0 < 60)
    finished = sum(1 for t, _ in pathway.referrals if t + 12.0 < 60)
    assert frame.started_therapy.sum() == started
    assert frame.finished_therapy.sum() == finished
    assert 0 < frame.relieved.sum() < finished


def test_referrals_stop_at_closure():
    closure_day = 100
    changes = {
        "workforce": {"size": 3000},
        "help_seeking": LIVELY,
        "interventions": [
            *[i.model_dump() for i in baseline_with().interventions],
            {"type": "closure", "date": "2021-05-12"},  # day 100
        ],
    }
    scenario = baseline_with(changes)
    assert scenario.simulation.day(scenario.interventions[-1].date) == closure_day
    pathway = RecordingPathway()
    model = run(HubModel(scenario, pathway, seed=3), 160)
    frame = model.daily_frame()
    assert frame.referrals[:closure_day].sum() > 50
    assert frame.referrals[closure_day:].sum() == 0
    assert pathway.referral_days().max() < closure_day
    assert not frame.hub_open[closure_day:].any() and frame.hub_open[:closure_day].all()


def test_ineligible_sector_does_not_refer_before_its_extension():
    scenario = baseline_with(workforce={"size": 6000}, help_seeking=LIVELY)
    (extension_date,) = [
        i.date for i in scenario.interventions if i.type == "eligibility_extension"
    ]
    extension = scenario.simulation.day(extension_date)
    other = scenario.workforce.sectors and list(scenario.workforce.sectors).index("other_keyworker")
    pathway = RecordingPathway()
    model = run(HubModel(scenario, pathway, seed=5), extension + 60)
    sector = model.population.sector[pathway.referred()]
    days = pathway.referral_days()
    assert not np.any((sector == other) & (days < extension))
    assert np.sum((sector == other) & (days >= extension)) > 5
    assert np.sum(sector != other) > 100


def test_the_hub_opens_with_its_first_capacity_step():
    stages = baseline_with().hub.model_dump()["stages"]
    stages["screening"]["capacity"][0]["from_date"] = "2021-03-01"  # day 28
    scenario = baseline_with(workforce={"size": 3000}, help_seeking=LIVELY, hub={"stages": stages})
    model = run(HubModel(scenario, RecordingPathway(), seed=6), 60)
    frame = model.daily_frame()
    assert frame.referrals[:28].sum() == 0 and frame.referrals[28:].sum() > 20


def test_dropouts_wait_out_the_cooldown_before_seeking_again():
    cooldown = 30
    scenario = baseline_with(
        workforce={"size": 2000},
        help_seeking={**LIVELY, "disengaged_cooldown_days": cooldown},
    )

    def drop(client):
        return [(1.5, Outcome.DROPPED_OUT)]

    pathway = ScriptedPathway(drop)
    run(HubModel(scenario, pathway, seed=7), 150)
    by_client: dict[int, list[float]] = {}
    for t, client in pathway.referrals:
        by_client.setdefault(client, []).append(t)
    gaps = [np.diff(times) for times in by_client.values() if len(times) > 1]
    assert gaps, "some workers were referred again"
    # dropped out on day floor(t + 1.5); may be referred again from the next day + cooldown
    assert min(g.min() for g in gaps) >= cooldown + 1

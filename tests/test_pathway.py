from datetime import date

import numpy as np
import pytest

from sim.outcomes import Outcome
from sim.pathway import build_network, external_places, hub_servers, translate
from sim.queue import Event
from sim.scenario import Scenario, load_scenario


@pytest.fixture(scope="module")
def baseline():
    return load_scenario("scenarios/baseline.yaml")


def with_changes(scenario: Scenario, **changes) -> Scenario:
    return Scenario.model_validate(scenario.model_dump() | changes)


def day(scenario, when):
    return float(scenario.simulation.day(when))


def test_hub_servers_follow_wte_steps_and_productivity(baseline):
    times, servers = hub_servers(baseline, "therapy")
    assert times == [0.0, day(baseline, date(2023, 4, 1))]
    assert servers == [140, 70]  # 7 and 3.5 WTE x 20 places per WTE


def test_staffing_change_and_closure_reshape_the_schedule(baseline):
    interventions = [
        {"type": "staffing_change", "date": date(2022, 1, 1), "stage": "assessment", "wte": 5.0},
        {"type": "closure", "date": date(2023, 1, 1)},
    ]
    scenario = with_changes(baseline, interventions=interventions)
    times, servers = hub_servers(scenario, "assessment")
    assert times == [0.0, day(scenario, date(2022, 1, 1)), day(scenario, date(2023, 1, 1))]
    assert servers == [3, 5, 0]  # the April 2023 step falls after the closure and is dropped
    assert hub_servers(scenario, "screening")[1][-1] == 0


def test_external_initiative_adds_places_for_its_spell_only(baseline):
    spell = {
        "type": "external_initiative",
        "date": date(2022, 1, 1),
        "end_date": date(2022, 3, 31),
        "service": "talking_therapies",
        "extra_places": 100,
    }
    scenario = with_changes(baseline, interventions=[spell])
    times, places = external_places(scenario, "talking_therapies")
    assert places == [900, 1000, 900]
    assert times[1:] == [day(scenario, date(2022, 1, 1)), day(scenario, date(2022, 4, 1))]


def test_network_has_hub_stages_then_externals_and_the_adaptive_rule(baseline):
    network = build_network(baseline, seed=1)
    assert network.names == (
        "screening",
        "assessment",
        "therapy",
        "talking_therapies",
        "secondary_care",
    )
    assert network.n_classes == 2
    assessment = network.stages[1]
    assert assessment.adaptive is not None
    assert assessment.adaptive.threshold_days == 42
    urgent, routine = assessment.routing
    assert urgent == pytest.approx([0, 0, 0.35, 0.15, 0.35, 0.15])
    assert routine == pytest.approx([0, 0, 0.45, 0.35, 0, 0.20])
    assert network.stages[2].on_closure == "talking_therapies"
    assert len(network.stages[3].backlog.ages) == 390


def test_backlog_ages_are_seeded(baseline):
    first = build_network(baseline, seed=1).stages[3].backlog.ages
    again = build_network(baseline, seed=1).stages[3].backlog.ages
    other = build_network(baseline, seed=2).stages[3].backlog.ages
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, other)


def test_events_translate_to_agent_outcomes():
    kind = np.array([0, 0, 1, 2], np.int8)  # screening, assessment, therapy, external
    events = [
        (Event.ARRIVED, 0, Outcome.ENTERED_HUB),
        (Event.STARTED, 0, None),
        (Event.FINISHED, 0, None),
        (Event.ROUTED, 1, None),
        (Event.EXITED, 1, Outcome.SIGNPOSTED),
        (Event.STARTED, 2, Outcome.STARTED_THERAPY),
        (Event.FINISHED, 2, Outcome.FINISHED_THERAPY),
        (Event.EXITED, 2, None),
        (Event.ROUTED, 3, Outcome.REFERRED_ON),
        (Event.REROUTED, 2, None),
        (Event.STARTED, 3, Outcome.STARTED_EXTERNAL),
        (Event.FINISHED, 3, Outcome.FINISHED_EXTERNAL),
        (Event.RENEGED, 1, Outcome.DROPPED_OUT),
        (Event.DISCHARGED, 0, Outcome.DISCHARGED_AT_CLOSURE),
        (Event.TRANSFERRED, 3, Outcome.REFERRED_ON),
        (Event.TRANSFERRED, 1, None),
    ]
    n = len(events)
    outcomes = translate(
        np.arange(n, dtype=np.int64),
        np.array([e for e, _, _ in events], np.int64),
        np.array([s for _, s, _ in events], np.int64),
        np.linspace(0, 1, n),
        kind,
    )
    expected = [(i, o) for i, (_, _, o) in enumerate(events) if o is not None]
    assert outcomes.client_id.tolist() == [i for i, _ in expected]
    assert outcomes.outcome.tolist() == [int(o) for _, o in expected]


def test_hub_pathway_runs_day_by_day_and_reports_expected_waits(baseline):
    from sim.pathway import HubPathway

    pathway = HubPathway(baseline, seed=3)
    assert pathway.expected_wait_days() == 0.0  # screening open, nobody waiting
    seen = set()
    for today in range(60):
        ids = np.arange(8, dtype=np.int64) + 100 * today
        times = today + np.linspace(0.05, 0.95, 8)
        outcomes = pathway.advance(today + 1, times, ids, np.zeros(8, np.int64))
        assert (outcomes.time < today + 1).all()
        seen |= set(outcomes.outcome.tolist())
    # 8 a day against a screening capacity of about 8 a day: a queue forms.
    assert pathway.expected_wait_days() > 0
    assert {int(Outcome.ENTERED_HUB), int(Outcome.STARTED_THERAPY)} <= seen
    external_wait = pathway.core.expected_wait("talking_therapies", 1)
    assert 7 < external_wait < 60  # the baseline's backlog gives a wait of about three weeks

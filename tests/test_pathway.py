from datetime import date
from pathlib import Path

import numpy as np
import pytest

from sim.outcomes import Outcome
from sim.pathway import build_network, external_places, hub_servers, translate
from sim.queue import Event
from sim.scenario import Scenario, load_scenario

FIXTURE = Path(__file__).parent / "fixtures" / "shared_queues.yaml"


@pytest.fixture(scope="module")
def baseline():
    """A fixture hub (tests/fixtures/shared_queues.yaml), not the calibrated baseline."""
    return load_scenario(FIXTURE)


def with_changes(scenario: Scenario, **changes) -> Scenario:
    return Scenario.model_validate(scenario.model_dump() | changes)


def day(scenario, when):
    return float(scenario.simulation.day(when))


def test_hub_servers_follow_wte_steps_and_productivity(baseline):
    times, servers = hub_servers(baseline, "therapy")
    assert times == [0.0, day(baseline, date(2022, 2, 1))]
    assert servers == [50, 25]  # 5 and 2.5 WTE x 10 places per WTE


def test_staffing_change_and_closure_reshape_the_schedule(baseline):
    interventions = [
        {"type": "staffing_change", "date": date(2022, 1, 1), "stage": "assessment", "wte": 5.0},
        {"type": "closure", "date": date(2023, 1, 1)},
    ]
    scenario = with_changes(baseline, interventions=interventions)
    times, servers = hub_servers(scenario, "assessment")
    change, step, closure = (
        day(scenario, d) for d in (date(2022, 1, 1), date(2022, 2, 1), date(2023, 1, 1))
    )
    assert times == [0.0, change, step, closure]
    assert servers == [2, 5, 1, 0]  # the scenario's later step still applies, then the closure
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
    assert places == [50, 150, 50]
    assert times[1:] == [day(scenario, date(2022, 1, 1)), day(scenario, date(2022, 4, 1))]


def test_network_has_hub_stages_then_externals_and_the_adaptive_rule(baseline):
    network = build_network(baseline, seed=1)
    assert network.names == (
        "screening",
        "assessment",
        "therapy",
        "talking_therapies",
        "talking_therapies_treatment",
        "secondary_care",
    )
    assert network.n_classes == 2
    assessment = network.stages[1]
    assert assessment.adaptive is not None
    assert assessment.adaptive.threshold_days == 30
    # The rule watches both steps of Talking Therapies: first appointment and treatment.
    assert assessment.adaptive.then == "talking_therapies_treatment"
    urgent, routine = assessment.routing
    assert urgent == pytest.approx([0, 0, 0.4, 0, 0, 0.4, 0.2])
    assert routine == pytest.approx([0, 0, 0.5, 0.4, 0, 0, 0.1])
    assert network.stages[2].on_closure == "talking_therapies"
    first = network.stages[3]
    assert len(first.backlog.ages) == 200 and len(first.backlog.in_service) == 0
    assert first.routing == {"talking_therapies_treatment": 0.75, "exit": 0.25}
    assert first.background.class_shares == [0.1, 0.9]


def test_steady_start_occupies_the_places_and_fills_the_queue(baseline):
    network = build_network(baseline, seed=1)
    treatment, secondary = network.stages[4], network.stages[5]
    # Both are overloaded by their own demand: every place is taken at the start, each
    # with a remaining service shorter on average than a whole one (mean residual of a
    # gamma(2) service: 3/4 of its mean), and a queue with its ages waits.
    for stage, places, mean in ((treatment, 1350, 40.0), (secondary, 300, 120.0)):
        remaining = np.asarray(stage.backlog.in_service)
        assert remaining.size == places
        assert 0.6 * mean < remaining.mean() < 0.9 * mean
        assert len(stage.backlog.ages) > 10 and min(stage.backlog.ages) >= 0
    # The background mix of classes: urgent ones are seen first, so they are among those
    # in service but (almost) never waiting.
    assert set(secondary.backlog.in_service_classes) == {0, 1}
    assert np.mean(np.asarray(secondary.backlog.classes) == 1) > 0.9


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
    # The fixture's first appointments: 200 waiting at the start, 50 a day seen against 55
    # referred, so the queue grows towards patience x excess = 500 (10 days).
    external_wait = pathway.core.expected_wait("talking_therapies", 1)
    assert 4 < external_wait < 15


def test_a_two_step_external_service_is_one_referral_and_one_treatment():
    kind = np.array([0, 0, 1, 3, 4], np.int8)  # ..., first appointment, treatment step
    events = [
        (Event.ROUTED, 3, Outcome.REFERRED_ON),  # referred on: joins the first appointment
        (Event.STARTED, 3, None),  # the first appointment is not treatment
        (Event.FINISHED, 3, None),
        (Event.ROUTED, 4, None),  # on to the hidden wait: still waiting outside
        (Event.STARTED, 4, Outcome.STARTED_EXTERNAL),
        (Event.FINISHED, 4, Outcome.FINISHED_EXTERNAL),
        (Event.EXITED, 3, Outcome.SIGNPOSTED),  # another client: left after the first appointment
        (Event.RENEGED, 4, Outcome.DROPPED_OUT),  # and one who gave up in the hidden wait
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

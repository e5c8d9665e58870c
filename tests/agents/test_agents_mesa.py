"""The Mesa behaviour that the bulk-created keyworker handles rely on (Mesa 3.5).

`Keyworker.create_handles` registers agents without calling Mesa's constructor for each; these
tests pin that the result is what the constructor gives, that Mesa's AgentSet API works on
the model's agents, and that the shortcut steps aside whenever Mesa would have announced each
agent (signals, datasets). A Mesa upgrade that changes how agents are registered fails here.
"""

import gc

import mesa
import numpy as np
import pytest
from agent_support import ScriptedPathway, baseline_with, mixed_script, run
from mesa.experimental.mesa_signals import ModelSignals

from sim.agents import Keyworker
from sim.model import HubModel


class Visitor(mesa.Agent):
    """An agent of another type, to check that ids and AgentSets are shared correctly."""


def registration(model: mesa.Model) -> dict:
    """Everything Mesa records about a model's agents, in registration order."""
    return {
        "agents": [
            (type(a), a.unique_id, getattr(a, "index", None), a.pos, a.model is model)
            for a in model.agents
        ],
        "by_type": {
            cls: (type(agents), [a.unique_id for a in agents])
            for cls, agents in model.agents_by_type.items()
        },
        "agent_types": model.agent_types,
        "next_id": model.agent_id_counter,
    }


def counting_constructor(monkeypatch) -> list[int]:
    """Count the calls of `Keyworker.__init__` (Mesa's per-agent path)."""
    calls = []
    original = Keyworker.__init__

    def init(self, model, index):
        calls.append(index)
        original(self, model, index)

    monkeypatch.setattr(Keyworker, "__init__", init)
    return calls


def test_handles_are_registered_as_the_constructor_registers_them(monkeypatch):
    by_constructor, by_handles = mesa.Model(rng=1), mesa.Model(rng=1)
    for model in (by_constructor, by_handles):
        Visitor(model)
    made = [Keyworker(by_constructor, i) for i in range(50)]
    calls = counting_constructor(monkeypatch)
    handles = Keyworker.create_handles(by_handles, 50)
    assert calls == [0]  # only the first handle goes through Mesa's constructor
    assert registration(by_handles) == registration(by_constructor)
    assert [h.index for h in handles] == list(range(50))
    assert list(by_handles.agents_by_type[Keyworker]) == handles
    assert [h.unique_id for h in handles] == [m.unique_id for m in made] == list(range(2, 52))
    # Agents created afterwards, by either path, continue the same ids.
    assert Visitor(by_handles).unique_id == Visitor(by_constructor).unique_id == 52
    more = Keyworker.create_handles(by_handles, 3)
    assert [h.unique_id for h in more] == [53, 54, 55]
    assert len(by_handles.agents_by_type[Keyworker]) == 53


def test_no_handles_registers_nothing_and_a_negative_count_is_refused():
    model = mesa.Model(rng=1)
    assert Keyworker.create_handles(model, 0) == []
    assert len(model.agents) == 0 and Keyworker not in model.agents_by_type
    with pytest.raises(ValueError, match="count must be >= 0"):
        Keyworker.create_handles(model, -1)


def test_every_registration_is_announced_to_subscribers(monkeypatch):
    model = mesa.Model(rng=1)
    announced = []

    def handler(signal):  # Mesa keeps a weak reference: a named function, alive here
        announced.append(signal)

    model.observe("agents", ModelSignals.AGENT_ADDED, handler)
    calls = counting_constructor(monkeypatch)
    handles = Keyworker.create_handles(model, 20)
    assert calls == list(range(20))
    assert len(announced) == 20
    assert [h.unique_id for h in handles] == list(range(1, 21))


def test_agents_tracked_by_a_mesa_dataset_are_added_to_it():
    class Tracked(Keyworker):
        pass

    model = mesa.Model(rng=1)
    dataset = model.data_registry.track_agents_numpy(Tracked, "tracked", fields="weight")
    handles = Tracked.create_handles(model, 7)
    assert len(dataset) == 7
    assert list(dataset.agent_ids) == [h.unique_id for h in handles]


@pytest.mark.parametrize("enabled", [True, False])
def test_garbage_collection_is_left_as_it_was(enabled):
    was = gc.isenabled()
    try:
        gc.enable() if enabled else gc.disable()
        Keyworker.create_handles(mesa.Model(rng=1), 1_000)
        assert gc.isenabled() is enabled
    finally:
        gc.enable() if was else gc.disable()


SIZE = 400


def small_scenario():
    """A small catchment that refers often, so that a few days exercise every state."""
    return baseline_with(
        workforce={"size": SIZE, "team_size_mean": 10},
        help_seeking={"intercept": -4.0, "manager_referral_probability": 0.01},
    )


@pytest.fixture(scope="module")
def model():
    return HubModel(small_scenario(), ScriptedPathway(mixed_script), seed=3)


def test_the_model_holds_one_real_agent_per_worker_in_index_order(model):
    agents = model.agents_by_type[Keyworker]
    assert model.agent_types == [Keyworker]
    assert len(model.agents) == len(agents) == SIZE == model.population.size
    assert all(type(agent) is Keyworker for agent in model.agents)
    assert model.agents.get("index") == list(range(SIZE))
    ids = model.agents.get("unique_id")
    assert ids == sorted(set(ids)) and ids[-1] - ids[0] == SIZE - 1


def test_mesa_agentset_queries_read_the_model_arrays(model):
    need = model.agents.select(lambda agent: agent.in_need)
    expected = np.flatnonzero(model.arrays.distress > model.params.need_threshold)
    assert 0 < len(need) < SIZE
    assert [agent.index for agent in need] == expected.tolist()
    assert model.agents.agg("distress", np.mean) == pytest.approx(model.arrays.distress.mean())
    by_sector = model.agents.groupby("sector").count()
    counts = np.bincount(model.population.sector, minlength=len(model.population.sector_names))
    assert by_sector == {
        name: int(n) for name, n in zip(model.population.sector_names, counts, strict=True) if n
    }


def test_agentset_do_steps_the_agents_in_creation_order(model):
    order = []
    model.agents.do(lambda agent: order.append(agent.index))
    assert order == list(range(SIZE))


def test_stepping_the_agentset_gives_the_fast_path_numbers():
    days = 20
    fast_pathway, mesa_pathway = ScriptedPathway(mixed_script), ScriptedPathway(mixed_script)
    fast = run(HubModel(small_scenario(), fast_pathway, seed=5), days)
    per_agent = run(HubModel(small_scenario(), mesa_pathway, seed=5, per_agent=True), days)
    assert len(fast_pathway.referrals) > 5  # the days carried referrals and outcomes
    assert mesa_pathway.referrals == fast_pathway.referrals
    for name, array in fast.arrays._asdict().items():
        assert np.array_equal(getattr(per_agent.arrays, name), array), name
    assert per_agent.daily_frame().equals(fast.daily_frame())


def test_removing_a_keyworker_is_refused_and_changes_nothing(model):
    agent = model.agents_by_type[Keyworker][7]
    with pytest.raises(TypeError, match="workforce is fixed"):
        agent.remove()
    with pytest.raises(TypeError, match="cannot be removed"):
        model.remove_all_agents()
    assert agent in model.agents and len(model.agents) == SIZE
    assert len(model.agents_by_type[Keyworker]) == SIZE

"""The keyworker agent: a Mesa agent whose state lives in the model's arrays.

`Keyworker.step` runs the same compiled per-worker rule as the fast path
(`sim.behaviour.step_workers`) for its own index, with the model's "agents" generator, so
stepping all agents in creation order (`model.agents.do("step")`) gives the same trajectory
as `sim.behaviour.run_day` for the same seed.

A keyworker is only a handle (its index into the arrays), so the model creates all of them
in one pass (`Keyworker.create_handles`) rather than through Mesa's per-agent constructor:
150,000 handles take 0.1-0.2 s instead of 0.8-1.2 s (`experiments/bench_model_build.py`).
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

import mesa

from sim.behaviour import step_workers
from sim.rules import AgentState

if TYPE_CHECKING:
    from sim.model import HubModel

__all__ = ["ALLOWED_TRANSITIONS", "AgentState", "Keyworker"]

_S = AgentState
_OUTSIDE = (_S.WELL, _S.IN_NEED, _S.RECOVERED, _S.DISENGAGED, _S.SIGNPOSTED)
_FINISHED = (_S.RECOVERED, _S.WELL, _S.IN_NEED)

ALLOWED_TRANSITIONS: frozenset[tuple[AgentState, AgentState]] = frozenset(
    {(s, s) for s in AgentState}
    # outside the pathway: distress moves between well and need, a cool-down ends,
    # recovery lasts until need returns; a referral enters the pathway
    | {(s, t) for s in _OUTSIDE for t in (_S.WELL, _S.IN_NEED, _S.HUB_WAITING)}
    # one pathway outcome a day: start therapy, referred on, signposted, dropped out (or
    # never engaged, or escalated to crisis: disengaged)
    | {(_S.HUB_WAITING, t) for t in (_S.IN_THERAPY, _S.EXTERNAL_WAITING, _S.SIGNPOSTED)}
    | {(_S.HUB_WAITING, _S.DISENGAGED), (_S.EXTERNAL_WAITING, _S.DISENGAGED)}
    | {(_S.EXTERNAL_WAITING, _S.EXTERNAL_TREATMENT)}
    # leaving a queue unseen: recovered while waiting, or went elsewhere (as signposted)
    | {(s, t) for s in (_S.HUB_WAITING, _S.EXTERNAL_WAITING) for t in (_S.RECOVERED, _S.SIGNPOSTED)}
    | {(s, t) for s in (_S.IN_THERAPY, _S.EXTERNAL_TREATMENT) for t in _FINISHED}
)
"""Day-to-day state changes possible when the pathway reports at most one outcome per client
per day, never on the day of referral (the fake pathways of the tests; the real pathway can
chain several outcomes within a day, e.g. referred on and started external treatment)."""


class Keyworker(mesa.Agent):
    """One keyworker of the catchment: agent `index` of the model's arrays.

    Attributes are read from the model's arrays (struct of arrays), so the agent object is
    only a handle: 150,000 of them cost little memory and nothing per day on the fast path.
    """

    def __init__(self, model: HubModel, index: int) -> None:
        super().__init__(model)
        self.index = index

    @classmethod
    def create_handles(cls, model: mesa.Model, count: int) -> list[Keyworker]:
        """Create and register the agents of indices ``0 .. count-1``, in index order.

        The result is what ``[Keyworker(model, i) for i in range(count)]`` gives (Mesa's
        `Agent.create_agents` does the same loop): real `Keyworker` instances in
        ``model.agents`` and ``model.agents_by_type[Keyworker]``, in index order, with
        consecutive `unique_id` values from the model's counter, `pos` None, and the
        counter moved on, so agents created later get the next ids. It skips only Mesa's
        per-agent overhead (the constructor chain, one signal and one log call per agent).

        Why it is safe: the first handle goes through Mesa's own constructor, which
        registers it (creating the AgentSet by type the way Mesa does) and takes the first
        id; the others copy what `Agent.__init__` and `Model.register_agent` do (Mesa 3.5)
        with the AgentSets' own `add`. That shortcut is taken only when nothing could see the
        difference: no subscriber to the model's "agents" signals, no signal batching, no
        Mesa dataset tracking `Keyworker`; otherwise every handle goes through the
        constructor. `tests/agents/test_agents_mesa.py` pins the equivalence against the
        constructor, so a Mesa upgrade that changes registration fails there, not silently.

        Parameters
        ----------
        model
            The model whose arrays the handles index (a `HubModel`; any Mesa model in tests).
        count
            Number of agents (the workforce size).

        Returns
        -------
        list[Keyworker]
            The new agents; ``result[i].index == i``.
        """
        if count < 0:
            raise ValueError(f"count must be >= 0, got {count}")
        if count == 0:
            return []
        first = cls(model, 0)
        if cls._datasets or _observed(model):
            return [first, *(cls(model, index) for index in range(1, count))]
        start = first.unique_id
        handles = [first]
        append, new = handles.append, cls.__new__
        # The allocation burst would trigger several full garbage collections, each walking
        # every live object (measured: 0.3 s instead of 0.1 s for 150,000 handles in a
        # process that has run a replication). Every new handle stays alive (the model
        # holds it), so there is nothing to collect among them: collection waits until they
        # exist, and only the call that paused it resumes it.
        collecting = gc.isenabled()
        gc.disable()
        try:
            for index in range(1, count):
                handle = new(cls)
                handle.model = model
                handle.unique_id = start + index
                handle.pos = None
                handle.index = index
                append(handle)
        finally:
            if collecting:
                gc.enable()
        model.agent_id_counter = start + count
        for agents in (model.agents, model.agents_by_type[cls]):
            add = agents.add
            for handle in handles[1:]:
                add(handle)
        return handles

    def remove(self) -> None:
        """Refused: the workforce is fixed for a run.

        Every keyworker is a row of the model's arrays, which the fast path steps whether or
        not the agent is in ``model.agents``; removing one would make the per-agent path
        silently differ from the fast path.
        """
        raise TypeError(
            f"Keyworker {self.unique_id} (index {self.index}) cannot be removed: the "
            "workforce is fixed for a run (change workforce.size in the scenario instead)"
        )

    def step(self) -> None:
        """Run the day of this worker: the compiled rule shared with the fast path."""
        m, i = self.model, self.index
        step_workers(
            i, i + 1, m.workers, m.arrays, m.groups, m.params, m.today, m.agent_rng, m.output
        )

    @property
    def state(self) -> AgentState:
        """Today's state."""
        return AgentState(int(self.model.arrays.state[self.index]))

    @property
    def distress(self) -> float:
        """Today's distress (distress units)."""
        return float(self.model.arrays.distress[self.index])

    @property
    def in_need(self) -> bool:
        """Distress above the need threshold (probable need)."""
        return self.distress > self.model.params.need_threshold

    @property
    def aware(self) -> bool:
        """Knows the hub and how it differs from other support."""
        return bool(self.model.arrays.aware[self.index])

    @property
    def sector(self) -> str:
        """Sector name."""
        population = self.model.population
        return population.sector_names[population.sector[self.index]]

    @property
    def staff_group(self) -> str:
        """Staff-group name."""
        population = self.model.population
        return population.staff_group_names[population.staff_group[self.index]]

    @property
    def minority_ethnic(self) -> bool:
        """From a Black, Asian or minority ethnic group."""
        return bool(self.model.population.minority_ethnic[self.index])

    @property
    def male(self) -> bool:
        """A man."""
        return bool(self.model.population.male[self.index])

    @property
    def team(self) -> int:
        """Team index (one line manager per team)."""
        return int(self.model.population.team[self.index])

    @property
    def organisation(self) -> int:
        """Organisation index."""
        return int(self.model.population.organisation[self.index])

    @property
    def supportive_manager(self) -> bool:
        """The team's line manager is supportive today (manager training can change it)."""
        return bool(self.model.groups.team_supportive[self.team])


def _observed(model: mesa.Model) -> bool:
    """Something listens to the model's agent registrations (a subscriber to its "agents"
    signals, or a batch collecting signals), so each registration must be announced."""
    listening = any(
        name == "agents" and subscribers for (name, _), subscribers in model.subscribers.items()
    )
    return listening or getattr(model, "_batch_context", None) is not None

"""The keyworker agent: a Mesa agent whose state lives in the model's arrays.

`Keyworker.step` runs the same compiled per-worker rule as the fast path
(`sim.behaviour.step_workers`) for its own index, with the model's "agents" generator, so
stepping all agents in creation order (`model.agents.do("step")`) gives the same trajectory
as `sim.behaviour.run_day` for the same seed.
"""

from __future__ import annotations

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
    # one pathway outcome a day: start therapy, referred on, signposted, dropped out
    | {(_S.HUB_WAITING, t) for t in (_S.IN_THERAPY, _S.EXTERNAL_WAITING, _S.SIGNPOSTED)}
    | {(_S.HUB_WAITING, _S.DISENGAGED), (_S.EXTERNAL_WAITING, _S.DISENGAGED)}
    | {(_S.EXTERNAL_WAITING, _S.EXTERNAL_TREATMENT)}
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

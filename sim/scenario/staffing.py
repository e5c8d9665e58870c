"""A hub stage's staffing over time: its capacity steps, staffing changes and the closure.

Kept apart from the queue network (`sim.pathway`) so that `hubsim validate` can show it
without loading the simulation kernels.
"""

from __future__ import annotations

import math

from sim.scenario.interventions import Closure, StaffingChange
from sim.scenario.model import Scenario


def closure_day(scenario: Scenario) -> int | None:
    """Day of the first closure (every hub stage closes), if any."""
    days = [
        scenario.simulation.day(i.date) for i in scenario.interventions if isinstance(i, Closure)
    ]
    return min(days) if days else None


WHOLE = 1e-9
"""Servers within this of a whole number are that number (0.1 WTE x 10 is 1 server)."""


def full_and_part_time(servers: float) -> tuple[int, float]:
    """Full-time servers, and the share of each week a part-time one is there (0 if none):
    2.5 servers are (2, 0.5)."""
    whole = math.floor(servers + WHOLE)
    part = servers - whole
    return whole, part if part > WHOLE else 0.0


def hub_staffing(scenario: Scenario, name: str) -> list[tuple[int, float, float]]:
    """(from day, WTE, servers) of a hub stage over time, as staffed: its capacity steps,
    then staffing changes (``wte`` sets the level, ``add_wte`` adds to it) and the closure,
    in date order. Servers = WTE x servers_per_wte and may be fractional (part time)."""
    stage = scenario.hub.stages[name]
    day = scenario.simulation.day
    events = [(day(step.from_date), 0, step.wte, None) for step in stage.capacity]
    for change in scenario.interventions:
        if isinstance(change, StaffingChange) and change.stage == name:
            events.append((day(change.date), 1, change.wte, change.add_wte))
    closed = closure_day(scenario)
    levels: dict[int, float] = {}
    wte = 0.0
    for when, _, level, added in sorted(events, key=lambda e: (e[0], e[1])):
        if closed is not None and when >= closed:
            break
        wte = level if added is None else max(wte + added, 0.0)
        levels[when] = wte
    staffing = [(when, wte, wte * stage.servers_per_wte) for when, wte in sorted(levels.items())]
    if closed is not None:
        staffing.append((closed, 0.0, 0.0))
    return staffing

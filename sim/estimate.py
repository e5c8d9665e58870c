"""What a run will need, worked out from the scenario before it starts: memory and time.

`hubsim run` refuses a run whose memory the machine cannot hold (exit 2, with the estimate)
instead of failing an hour in with `ArrayMemoryError`, and says how long a run of more than a
minute will take. The estimate is deliberately on the safe side: it counts every client a
stage could see (referrals, background demand, backlog) and the largest a workforce's
referrals plausibly are.

The unit costs were measured on the development machine (2 cores, Python 3.12, numba
0.68) with ``tests``-sized and baseline-sized scenarios: one process with the simulator
imported and one replication's tables built peaks at about 0.45 GB; each further agent adds
about 160 bytes, each client about 160 bytes (both doubled here for safety); the compiled
agents' day runs at about 40 million agent-days a second and a client costs about 1.6
microseconds (taken as 30 million and 2 microseconds).
"""

from __future__ import annotations

import os
from dataclasses import dataclass

from sim.scenario import Scenario
from sim.scenario.pathway import AgentDemand, PoissonReferrals

PROCESS_BYTES = 450e6
"""One process with the simulator imported and one small replication's tables."""
AGENT_BYTES = 320.0
CLIENT_BYTES = 320.0
AGENT_DAYS_PER_S = 30e6
CLIENT_S = 2e-6
REPLICATION_OVERHEAD_S = 0.5
START_S = 3.0
"""Start-up: imports, loading the compiled kernels, writing the summary and charts."""
MAX_REFERRALS_PER_WORKER_YEAR = 0.05
"""For the estimate only: 5% of a workforce referred a year (the evidence: 1-4%)."""


@dataclass(frozen=True)
class RunEstimate:
    """What a run of `replications` on `workers` processes is expected to need."""

    replications: int
    workers: int
    clients_per_replication: float
    bytes_per_replication: float
    seconds_per_replication: float

    @property
    def peak_bytes(self) -> float:
        """Peak memory of the run: each worker holds one replication at a time."""
        busy = min(self.workers, self.replications)
        return busy * (PROCESS_BYTES + self.bytes_per_replication)

    @property
    def seconds(self) -> float:
        """Wall time: the replications shared out among the workers, plus start-up."""
        rounds = -(-self.replications // max(1, self.workers))
        return START_S + rounds * self.seconds_per_replication

    def describe(self) -> str:
        """One line for people."""
        return (
            f"{self.replications:,} replication(s) on {self.workers} worker(s): about "
            f"{_duration(self.seconds)} and {self.peak_bytes / 1e9:,.1f} GB of memory at peak "
            f"(about {self.clients_per_replication:,.0f} clients a replication)"
        )


def estimate(scenario: Scenario, replications: int, workers: int) -> RunEstimate:
    """The memory and time a run of `scenario` is expected to need (see the module)."""
    sim = scenario.simulation
    days = sim.horizon_days
    clients = 0.0
    agent_days = 0.0
    demand = scenario.demand
    if isinstance(demand, AgentDemand) and scenario.workforce is not None:
        size = scenario.workforce.size
        agent_days = size * days
        clients += size * MAX_REFERRALS_PER_WORKER_YEAR * days / 365.25
    elif isinstance(demand, PoissonReferrals):
        clients += max(step.per_day for step in demand.referrals) * days
    for service in scenario.external.values():
        clients += max(step.per_day for step in service.background_referrals) * days
        if service.initial_backlog is not None:
            clients += service.initial_backlog.count
        if service.steady_start_days is not None:
            # Those there at the start: every place, and at most the demand of a patience.
            patience = service.patience.mean if service.patience else days
            clients += max(step.places for step in service.capacity)
            clients += max(step.per_day for step in service.background_referrals) * patience
    stages = len(scenario.hub.stages) + len(scenario.external)
    daily_bytes = days * stages * len(scenario.hub.priority_classes) * 200.0
    return RunEstimate(
        replications=replications,
        workers=workers,
        clients_per_replication=clients,
        bytes_per_replication=AGENT_BYTES * (agent_days / days if days else 0.0)
        + CLIENT_BYTES * clients
        + daily_bytes,
        seconds_per_replication=REPLICATION_OVERHEAD_S
        + agent_days / AGENT_DAYS_PER_S
        + CLIENT_S * clients,
    )


def available_memory_bytes() -> float:
    """Memory the system can give now (Linux `MemAvailable`; else all physical memory)."""
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            for line in meminfo:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024
    except OSError:
        pass
    return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    if seconds < 2 * 86400:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:,.0f} days"

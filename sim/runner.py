"""The simulation as a function: `run(scenario, seed) -> Run`, and replications of it.

Every replication draws from its own family of named streams (`sim.streams`, keyed by the
root seed and the replication index), so replication i gives the same numbers whether it runs
alone, in a loop, or on any worker of any executor (`sim.execution`).

`run_kpis` is the lean run: only the KPIs (a few kB to pickle, against megabytes for a
`Run`), for sweeps of many runs whose records nobody reads.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from functools import partial
from operator import itemgetter

import numpy as np
import pandas as pd

from sim.execution import Executor, SerialExecutor
from sim.metrics import replication_kpis
from sim.pathway import HubPathway, build_network, rate_schedule
from sim.queue import PoissonDemand, QueueResult, ReplayDemand, simulate
from sim.scenario import Scenario
from sim.scenario.pathway import AgentDemand, PoissonReferrals
from sim.scenario.replay import read_replay


@dataclass(frozen=True)
class Run:
    """One replication of one scenario: the pathway's records and, with agents, theirs."""

    scenario: Scenario
    seed: int
    replication: int
    queue: QueueResult
    """Pathway records and statistics (warm-up excluded from statistics)."""
    agents_daily: pd.DataFrame | None
    """Per-day agent series (agent demand only)."""
    agents_groups: pd.DataFrame | None
    """Per-group uptake counts (agent demand only)."""
    seconds: float
    """Wall time of the run."""


def run(scenario: Scenario, seed: int | None = None, replication: int = 0) -> Run:
    """Simulate one replication of `scenario` (seed defaults to the scenario's)."""
    seed = scenario.simulation.seed if seed is None else seed
    started = time.perf_counter()
    if isinstance(scenario.demand, AgentDemand):
        queue, daily, groups = _run_agents(scenario, seed, replication)
    else:
        queue, daily, groups = _run_queue_only(scenario, seed, replication), None, None
    return Run(scenario, seed, replication, queue, daily, groups, time.perf_counter() - started)


def replicate[R](
    function: Callable[[Scenario, int, int], R],
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
) -> Iterator[tuple[int, R]]:
    """`function(scenario, seed, replication)` for replications 0..n-1 on `executor`.

    Parameters
    ----------
    function
        A picklable module-level function such as `run` or `run_kpis`.
    replications, seed
        Default to the scenario's. The seed is resolved here, so every worker gets the same.
    executor
        Where to compute (default: serially in this process).

    Yields
    ------
    tuple of (int, result)
        `(replication, function(...))` as each replication finishes (completion order).
    """
    seed = scenario.simulation.seed if seed is None else seed
    count = scenario.simulation.replications if replications is None else replications
    executor = SerialExecutor() if executor is None else executor
    yield from executor.map(partial(function, scenario, seed), range(count))


def run_replications(
    scenario: Scenario,
    replications: int | None = None,
    seed: int | None = None,
    *,
    progress: Callable[[Iterable], Iterable] | None = None,
    executor: Executor | None = None,
) -> list[Run]:
    """Replications 0..n-1 of `scenario`, in order (n defaults to the scenario's).

    `progress` wraps the stream of finished replications (e.g. a tqdm bar); `executor`
    computes them (default: serially in this process)."""
    finished: Iterable[tuple[int, Run]] = replicate(run, scenario, replications, seed, executor)
    if progress is not None:
        finished = progress(finished)
    return [result for _, result in sorted(finished, key=itemgetter(0))]


def run_kpis(scenario: Scenario, seed: int | None = None, replication: int = 0) -> dict[str, float]:
    """The KPIs of one replication, without its records (see `sim.metrics.replication_kpis`).

    The records are dropped in the worker, so a sweep ships back a small dict per run."""
    return replication_kpis(run(scenario, seed, replication))


def _run_queue_only(scenario: Scenario, seed: int, replication: int) -> QueueResult:
    sim = scenario.simulation
    network = build_network(scenario, seed, replication)
    shares = tuple(scenario.hub.priority_classes.values())
    if isinstance(scenario.demand, PoissonReferrals):
        times, rates = rate_schedule(scenario.demand.referrals, sim.day)
        demand: PoissonDemand | ReplayDemand = PoissonDemand((times, rates), shares, 0)
    else:
        demand = _replay(scenario)
    return simulate(
        network,
        demand,
        horizon_days=sim.horizon_days - sim.warmup_days,
        warmup_days=sim.warmup_days,
        seed=seed,
        replication=replication,
    )


def _replay(scenario: Scenario) -> ReplayDemand:
    # The loader resolved the path and checked every row (through the same reader).
    frame, _ = read_replay(scenario.demand.file)
    classes = list(scenario.hub.priority_classes)
    klass = frame["priority_class"].map({name: i for i, name in enumerate(classes)})
    day = frame["arrival_day"].astype(float)
    keep = day < scenario.simulation.horizon_days
    return ReplayDemand(
        arrival_times=day[keep].to_numpy(float), classes=klass[keep].to_numpy(np.int64)
    )


def _run_agents(scenario: Scenario, seed: int, replication: int):
    from sim.model import HubModel  # the agent model is only needed with agent demand

    pathway = HubPathway(scenario, seed, replication)
    model = HubModel(scenario, pathway, seed=seed, replication=replication)
    for _ in range(scenario.simulation.horizon_days):
        model.step()
    sim = scenario.simulation
    queue = QueueResult(
        pathway.network, pathway.records(), float(sim.warmup_days), float(sim.horizon_days)
    )
    return queue, model.daily_frame(), model.group_frame()

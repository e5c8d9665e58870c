"""Queueing formulas for a first guess of the capacity a stage needs: Erlang C and Erlang A.

The capacity search (`sim.planning.capacity`) starts its bracket from these: one stage seen
as M/M/c (Erlang C) or, where clients give up waiting, M/M/c+M (Erlang A), fed at the rate
the stage's clients arrive. They are exact for those models and only a first guess for a
hub stage (non-exponential services, waits upstream, time-varying demand): the search itself
decides by simulation.

References
----------
A. K. Erlang (1917); the forms used are Kleinrock, "Queueing Systems" vol. 1 (1975), section
3.5 (Erlang C, with the Erlang B recursion for stability) and Garnett, Mandelbaum & Reiman
(2002), "Designing a call center with impatient customers", MSOM 4(3) (Erlang A, from the
stationary law of its birth-death chain).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np

Measure = Literal["share_within", "wait_mean", "wait_median", "wait_p90"]
"""What a first guess is made for: the share served within some days, or a wait statistic."""

MAX_SERVERS = 100_000
"""Where the search for a number of servers gives up (a target no staffing can meet)."""


def erlang_c(servers: int, load: float) -> float:
    """Probability that an arrival waits in M/M/c (Erlang C), with `load` = lambda / mu.

    Computed through the Erlang B recursion B(k) = a B(k-1) / (k + a B(k-1)), which never
    forms a**c / c! (that overflows for a few hundred servers). 1 when `servers <= load`
    (the queue grows without bound)."""
    if servers <= load:
        return 1.0
    blocking = 1.0
    for k in range(1, servers + 1):
        blocking = load * blocking / (k + load * blocking)
    return servers * blocking / (servers - load * (1.0 - blocking))


def mmc_share_within(servers: int, arrival_rate: float, mean_service: float, days: float) -> float:
    """P(wait <= days) in M/M/c: 1 - C(c, a) exp(-(c mu - lambda) days)."""
    mu = 1.0 / mean_service
    if servers * mu <= arrival_rate:
        return 0.0
    wait = erlang_c(servers, arrival_rate * mean_service)
    return 1.0 - wait * math.exp(-(servers * mu - arrival_rate) * days)


def mmc_wait_quantile(servers: int, arrival_rate: float, mean_service: float, q: float) -> float:
    """The q-quantile of the wait in M/M/c (0 while P(wait) <= 1 - q; inf if overloaded)."""
    mu = 1.0 / mean_service
    if servers * mu <= arrival_rate:
        return math.inf
    wait = erlang_c(servers, arrival_rate * mean_service)
    if wait <= 1.0 - q:
        return 0.0
    return math.log(wait / (1.0 - q)) / (servers * mu - arrival_rate)


def mmc_mean_wait(servers: int, arrival_rate: float, mean_service: float) -> float:
    """Mean wait in queue of M/M/c: C(c, a) / (c mu - lambda) (inf if overloaded)."""
    mu = 1.0 / mean_service
    if servers * mu <= arrival_rate:
        return math.inf
    return erlang_c(servers, arrival_rate * mean_service) / (servers * mu - arrival_rate)


def erlang_a_mean_wait(
    servers: int, arrival_rate: float, mean_service: float, mean_patience: float
) -> float:
    """Mean wait in queue of all arrivals in M/M/c+M (Erlang A): E[Q] / lambda, from the
    stationary law of the chain with death rate min(n, c) mu + max(n - c, 0) theta."""
    mu, theta = 1.0 / mean_service, 1.0 / mean_patience
    # Enough states that the tail is negligible: beyond c the chain's ratio is at most
    # lambda / (c mu) (geometric tail), and past lambda / theta abandonment alone brings it
    # below 1.
    settles = 10 * (arrival_rate / theta + math.sqrt(arrival_rate / theta + 1))
    ratio = arrival_rate / (servers * mu)
    if ratio < 1:
        settles = min(settles, math.log(1e-18) / math.log(ratio))
    top = servers + int(settles) + 100
    n = np.arange(1, top)
    deaths = np.minimum(n, servers) * mu + np.maximum(n - servers, 0) * theta
    log_p = np.concatenate([[0.0], np.cumsum(np.log(arrival_rate) - np.log(deaths))])
    p = np.exp(log_p - log_p.max())
    p /= p.sum()
    queue = float((np.maximum(np.arange(top) - servers, 0) * p).sum())
    return queue / arrival_rate


def measure(
    what: Measure,
    servers: int,
    arrival_rate: float,
    mean_service: float,
    *,
    days: float = 0.0,
    mean_patience: float | None = None,
) -> float:
    """One measure of a stage with `servers` servers: Erlang C, or Erlang A for the mean
    wait when clients give up (`mean_patience`). Shares and quantiles use Erlang C also
    with patience: leaving unserved counts as late, so abandonment does not help them."""
    if what == "share_within":
        return mmc_share_within(servers, arrival_rate, mean_service, days)
    if what == "wait_mean":
        if mean_patience is not None:
            return erlang_a_mean_wait(servers, arrival_rate, mean_service, mean_patience)
        return mmc_mean_wait(servers, arrival_rate, mean_service)
    q = 0.5 if what == "wait_median" else 0.9
    return mmc_wait_quantile(servers, arrival_rate, mean_service, q)


def servers_needed(
    what: Measure,
    threshold: float,
    arrival_rate: float,
    mean_service: float,
    *,
    days: float = 0.0,
    mean_patience: float | None = None,
) -> int | None:
    """The fewest servers for which `measure(...)` meets `threshold` (at least `threshold`
    for a share, at most for a wait), or None if none up to `MAX_SERVERS` does.

    Every measure improves with servers, so the search doubles to a bracket, then bisects."""
    if arrival_rate <= 0:
        return 1

    def meets(c: int) -> bool:
        value = measure(what, c, arrival_rate, mean_service, days=days, mean_patience=mean_patience)
        return value >= threshold if what == "share_within" else value <= threshold

    # The stage must at least keep up (without patience), so start just above the load.
    low = max(0, math.floor(arrival_rate * mean_service)) if mean_patience is None else 0
    high = max(1, low + 1)
    while not meets(high):
        low, high = high, 2 * high
        if high > MAX_SERVERS:
            return None
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (low, middle) if meets(middle) else (middle, high)
    return high

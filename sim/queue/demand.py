"""Standalone demand (no agents): Poisson, optionally time-varying, or replayed referrals."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from sim.queue.network import Network, Rate, piecewise

#: Arrival draws are made in fixed-size batches, so arrival j always uses the same draws
#: whatever the horizon (common random numbers across horizons).
BATCH = 4096


@dataclass(frozen=True)
class PoissonDemand:
    """Poisson referrals at ``rate`` per day (constant or piecewise (times, rates)); each is of
    class k with probability ``class_shares[k]`` and enters at ``entry_stage``."""

    rate: Rate
    class_shares: Sequence[float] = (1.0,)
    entry_stage: int | str = 0


@dataclass(frozen=True)
class ReplayDemand:
    """Given referrals: times (days), and optionally classes, entry stages and client ids."""

    arrival_times: Sequence[float]
    classes: Sequence[int] | int = 0
    entry_stages: Sequence[int | str] | int | str = 0
    client_ids: Sequence[int] | None = None


def realise(
    demand: PoissonDemand | ReplayDemand, until: float, rng: np.random.Generator, network: Network
) -> dict[str, np.ndarray | int | str]:
    """The referrals before ``until`` as keyword arguments of :meth:`QueueCore.advance`."""
    if isinstance(demand, ReplayDemand):
        times = np.asarray(demand.arrival_times, dtype=float)
        return {
            "arrival_times": times,
            "client_ids": None if demand.client_ids is None else np.asarray(demand.client_ids),
            "classes": demand.classes,
            "entry_stages": demand.entry_stages,
        }
    if not isinstance(demand, PoissonDemand):
        raise ValueError(f"demand must be PoissonDemand or ReplayDemand, got {type(demand)}")
    times, rates = piecewise(demand.rate, "demand rate")
    shares = np.asarray(demand.class_shares, dtype=float)
    if shares.size != network.n_classes or np.any(shares < 0) or not np.isclose(shares.sum(), 1):
        raise ValueError(
            f"class_shares must be {network.n_classes} shares >= 0 summing to 1, "
            f"got {shares.tolist()}"
        )
    t, u = poisson_times(times, rates, until, rng)
    cum = np.cumsum(shares)
    cum[-1] = 1.0
    return {
        "arrival_times": t,
        "client_ids": None,
        "classes": np.searchsorted(cum, u, side="right"),
        "entry_stages": network.index(demand.entry_stage),
    }


def poisson_times(
    times: np.ndarray, rates: np.ndarray, until: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Arrival times in [0, until) of a Poisson process with piecewise-constant rate, by
    inverting the integrated rate at the partial sums of Exp(1) draws; plus one uniform per
    arrival (for its class). Draws come in batches of :data:`BATCH` (exponentials, then
    uniforms)."""
    cum_rate = np.concatenate([[0.0], np.cumsum(rates[:-1] * np.diff(times))])
    total = cum_rate[-1] + rates[-1] * (until - times[-1]) if until > times[-1] else None
    if total is None:
        total = np.interp(until, times, cum_rate)
    chunks_e, chunks_u, reached = [], [], 0.0
    while reached <= total:
        e = np.cumsum(rng.exponential(1.0, BATCH)) + reached
        chunks_e.append(e)
        chunks_u.append(rng.random(BATCH))
        reached = e[-1]
    x = np.concatenate(chunks_e)
    u = np.concatenate(chunks_u)
    keep = x < total
    x, u = x[keep], u[keep]
    j = np.searchsorted(cum_rate, x, side="right") - 1
    with np.errstate(divide="ignore", invalid="ignore"):
        t = times[j] + (x - cum_rate[j]) / rates[j]
    ok = t < until
    return t[ok], u[ok]

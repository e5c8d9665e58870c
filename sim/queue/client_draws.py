"""Referral clients' draws made outside the engine, keyed by the client.

The engine draws a new client's service time, patience and routing uniform at every stage
when the client arrives, from the "service", "patience" and "routing" streams in arrival
order. That suits exogenous demand (standalone runs: arrival j is the same referral in every
scenario). With agents, referrals depend on the scenario: in two arms of a comparison one extra
referral would shift every later client's draws. So the caller makes each referral's draws
from a generator keyed by who the client is (``sim.streams.KeyedStream``) and hands them to
the engine with the arrivals; the engine copies them (``engine._new_client``).

The draws use the same generator methods, with the same parameters and in the same order as
the engine's (service at every stage, then patience, then routing), so a client drawn here
from generator g gets what the engine would give it drawing from g.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import NamedTuple

import numpy as np

from sim.queue.codes import DistKind
from sim.queue.layout import Net


class ClientDraws(NamedTuple):
    """Each referral's draws at every stage (one row per referral)."""

    service: np.ndarray  # float64[A, S]
    patience: np.ndarray  # float64[A, S]: inf where the stage has no patience
    route: np.ndarray  # float64[A, S]: uniform that picks the destination after the stage

    @classmethod
    def none(cls, n_stages: int) -> ClientDraws:
        """No rows: the engine draws for itself."""
        return cls(*(np.zeros((0, n_stages)) for _ in range(3)))


def sample(net: Net, d: int, rng: np.random.Generator) -> float:
    """One draw from distribution ``d`` of the encoded network (``engine.draw`` in Python)."""
    kind, (p0, p1) = net.dist_kind[d], net.dist_par[d]
    if kind == DistKind.EXPONENTIAL:
        return rng.exponential(p0)
    if kind == DistKind.LOGNORMAL:
        return rng.lognormal(p0, p1)
    if kind == DistKind.GAMMA:
        return rng.gamma(p0, p1)
    if kind == DistKind.FIXED:
        return float(p0)
    lo, hi = net.tab_off[d], net.tab_off[d + 1]
    j = lo + int(np.searchsorted(net.tab_cum[lo:hi], rng.random(), side="right"))
    return float(net.tab_val[min(j, hi - 1)])


def draw_clients(
    net: Net, classes: np.ndarray, generators: Iterable[np.random.Generator]
) -> ClientDraws:
    """The draws of referrals of ``classes``, referral j from the j-th of ``generators``
    (taken one at a time, so a repositioned shared generator works)."""
    S = net.pat_dist.shape[0]
    n = len(classes)
    draws = ClientDraws(np.empty((n, S)), np.full((n, S), np.inf), np.empty((n, S)))
    for j, (k, rng) in enumerate(zip(classes, generators, strict=True)):
        for s in range(S):
            draws.service[j, s] = sample(net, net.svc_dist[s, k], rng)
        for s in range(S):
            if net.pat_dist[s] >= 0:
                draws.patience[j, s] = sample(net, net.pat_dist[s], rng)
        draws.route[j] = rng.random(S)
    return draws

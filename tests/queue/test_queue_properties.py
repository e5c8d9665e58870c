"""Invariants on random networks (hypothesis): waits >= 0, unlimited servers never queue,
every arrival ends in exactly one outcome or is still in the system, inputs not mutated."""

import os
import subprocess
import sys

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.queue import UNLIMITED, Dist, Network, PoissonDemand, Stage, VisitOutcome, simulate

dists = st.one_of(
    st.floats(0.05, 2.0).map(Dist.exponential),
    st.tuples(st.floats(0.1, 2.0), st.floats(0.05, 2.0)).map(lambda a: Dist.lognormal(*a)),
    st.tuples(st.floats(0.3, 3.0), st.floats(0.05, 2.0)).map(lambda a: Dist.gamma(*a)),
    st.floats(0.0, 1.0).map(Dist.fixed),
)


@st.composite
def networks(draw, unlimited=False):
    n = draw(st.integers(1, 3))
    stages = []
    for s in range(n):
        weights = np.array(draw(st.lists(st.floats(0.0, 1.0), min_size=n + 1, max_size=n + 1)))
        weights[: s + 1] = 0.0  # feed-forward: a revisit reuses the client's draws, so a
        # cycle would loop for ever (the engine refuses cyclic networks)
        weights[-1] += 0.2
        times = [0.0, *sorted(draw(st.sets(st.floats(0.5, 20.0), max_size=2)))]
        servers = (
            [UNLIMITED] * len(times)
            if unlimited
            else draw(st.lists(st.integers(0, 3), min_size=len(times), max_size=len(times)))
        )
        stages.append(
            Stage(
                f"s{s}",
                servers=(times, servers),
                service=draw(dists),
                patience=draw(st.one_of(st.none(), dists)),
                routing=(weights / weights.sum()).tolist(),
                on_closure=None if s == n - 1 or draw(st.booleans()) else f"s{s + 1}",
            )
        )
    return Network(stages, n_classes=draw(st.integers(1, 3)))


def run(net, rate, seed):
    shares = np.full(net.n_classes, 1 / net.n_classes)
    return simulate(net, PoissonDemand(rate, tuple(shares)), horizon_days=25.0, seed=seed)


@settings(max_examples=40, deadline=None)
@given(networks(), st.floats(0.5, 20.0), st.integers(0, 1000))
def test_waits_are_nonnegative_and_every_client_is_accounted_for(net, rate, seed):
    r = run(net, rate, seed).records
    started = ~np.isnan(r.visit_start)
    assert np.all(r.visit_start[started] >= r.visit_arrive[started])
    ended = ~np.isnan(r.visit_end)
    assert np.all(r.visit_end[ended] >= np.fmax(r.visit_arrive, r.visit_start)[ended])
    # Each client: visits chained; exactly one terminal outcome, or still in the system.
    outcome = r.client_outcome()
    open_visit = np.isin(r.visit_outcome, [VisitOutcome.WAITING, VisitOutcome.IN_SERVICE])
    terminal = np.isin(r.visit_outcome, [VisitOutcome.RENEGED, VisitOutcome.DISCHARGED]) | (
        (r.visit_outcome == VisitOutcome.COMPLETED) & (r.visit_next == -1)
    )
    per_client = np.bincount(
        r.visit_client, weights=terminal | open_visit, minlength=r.client_id.size
    )
    np.testing.assert_array_equal(per_client, 1)
    assert np.all(
        np.isin(
            outcome,
            [
                VisitOutcome.WAITING,
                VisitOutcome.IN_SERVICE,
                VisitOutcome.EXITED,
                VisitOutcome.RENEGED,
                VisitOutcome.DISCHARGED,
            ],
        )
    )
    # Daily counts agree with the records.
    assert r.daily_count[..., 2].sum() == np.sum(r.visit_arrive >= 0)
    assert r.daily_count[..., 5].sum() == np.sum(r.visit_outcome == VisitOutcome.RENEGED)


@settings(max_examples=25, deadline=None)
@given(networks(unlimited=True), st.floats(0.5, 20.0), st.integers(0, 1000))
def test_unlimited_servers_mean_zero_waits(net, rate, seed):
    r = run(net, rate, seed).records
    np.testing.assert_array_equal(r.visit_start, r.visit_arrive)
    assert not np.any(r.visit_outcome == VisitOutcome.RENEGED)


def test_inputs_are_not_mutated():
    times = np.array([3.0, 1.0, 2.0])
    copy = times.copy()
    from sim.queue import QueueCore

    QueueCore(Network([Stage("a", 1, Dist.exponential(1.0))]), seed=1).advance(5.0, times)
    np.testing.assert_array_equal(times, copy)


def test_runs_with_the_jit_disabled_and_gives_the_same_records():
    code = (
        "from sim.queue import *\n"
        "net = Network([Stage('a', 1, Dist.empirical([1.0, 2.0]), Dist.exponential(1.0),"
        " routing={'b': 0.5, 'exit': 0.5}), Stage('b', 2, Dist.gamma(2.0, 1.0))])\n"
        "r = simulate(net, PoissonDemand(2.0), 20.0, seed=3).records\n"
        "print(r.visit_end.size, r.visit_end.tolist())\n"
    )
    env = {**os.environ, "NUMBA_DISABLE_JIT": "1"}
    out = subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
    ).stdout
    jit = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out == jit and int(out.split()[0]) > 20

"""The engine against queueing theory: Erlang C (M/M/c), Erlang A (M/M/c+M), Little's law.

Tolerances are those of the issue (2% Erlang C, 3% Erlang A); seeds are fixed and the number
of replications is chosen so the tolerance is at least three standard errors (measured).
"""

import math

import numpy as np
import pytest

from sim.queue import Dist, Network, PoissonDemand, Stage, simulate


def erlang_c_wait(lam: float, mu: float, c: int) -> float:
    """Mean wait in queue of M/M/c: C(c, a) / (c mu - lam), a = lam / mu (Erlang C formula;
    e.g. Kleinrock, Queueing Systems vol. 1, 1975, eq. 3.40)."""
    a = lam / mu
    top = a**c / math.factorial(c) * c / (c - a)
    prob_wait = top / (sum(a**k / math.factorial(k) for k in range(c)) + top)
    return prob_wait / (c * mu - lam)


def erlang_a(lam: float, mu: float, theta: float, c: int, n_max: int = 4000):
    """(Abandonment probability, mean wait of all arrivals) of M/M/c+M (Erlang A), from the
    stationary law of its birth-death chain (Garnett, Mandelbaum & Reiman 2002, "Designing a
    call center with impatient customers", MSOM 4(3)): death rate min(n, c) mu +
    max(n - c, 0) theta; P(abandon) = theta E[Q] / lam and E[W] = E[Q] / lam."""
    p = np.ones(n_max)
    for n in range(1, n_max):
        p[n] = p[n - 1] * lam / (min(n, c) * mu + max(n - c, 0) * theta)
    p /= p.sum()
    queue = (np.maximum(np.arange(n_max) - c, 0) * p).sum()
    return theta * queue / lam, queue / lam


def test_erlang_formulas_on_known_values():
    # M/M/1: Wq = rho / (mu - lam); M/M/c+M with theta = mu is M/M/inf: nobody waits long.
    assert erlang_c_wait(0.8, 1.0, 1) == pytest.approx(0.8 / 0.2)
    p_ab, wait = erlang_a(0.8, 1.0, 1e-9, 1)
    assert wait == pytest.approx(erlang_c_wait(0.8, 1.0, 1), rel=1e-5)
    assert p_ab == pytest.approx(0.0, abs=1e-6)


def mmc(c: int, patience: float | None = None) -> Network:
    pat = None if patience is None else Dist.exponential(patience)
    return Network([Stage("s", servers=c, service=Dist.exponential(1.0), patience=pat)])


def mean_over_replications(net, lam, days, reps, what):
    values = []
    for seed in range(reps):
        res = simulate(net, PoissonDemand(lam), days, warmup_days=100, seed=seed)
        values.append([getattr(res, w)("s") for w in what])
    return np.mean(values, axis=0)


def check_erlang_c(c, rho, days, reps):
    lam = rho * c
    (wait,) = mean_over_replications(mmc(c), lam, days, reps, ["mean_wait"])
    assert wait == pytest.approx(erlang_c_wait(lam, 1.0, c), rel=0.02)


def check_erlang_a(c, rho, theta, days, reps):
    lam = rho * c
    p_ab, wait = mean_over_replications(
        mmc(c, 1 / theta), lam, days, reps, ["abandonment", "mean_wait"]
    )
    expected_p, expected_w = erlang_a(lam, 1.0, theta, c)
    assert p_ab == pytest.approx(expected_p, rel=0.03)
    assert wait == pytest.approx(expected_w, rel=0.03)


def test_erlang_c_mean_wait_cheap():
    check_erlang_c(c=3, rho=0.7, days=50_000, reps=10)


def test_erlang_a_cheap():
    check_erlang_a(c=5, rho=1.2, theta=0.5, days=50_000, reps=2)


@pytest.mark.slow
@pytest.mark.parametrize(("c", "rho", "reps"), [(1, 0.8, 8), (4, 0.9, 12), (10, 0.95, 16)])
def test_erlang_c_mean_wait_long(c, rho, reps):
    check_erlang_c(c, rho, days=200_000, reps=reps)


@pytest.mark.slow
@pytest.mark.parametrize(
    ("c", "rho", "theta", "days", "reps"),
    [(2, 0.9, 1.0, 100_000, 4), (5, 1.2, 0.5, 50_000, 4), (20, 0.95, 0.1, 20_000, 12)],
)
def test_erlang_a_long(c, rho, theta, days, reps):
    check_erlang_a(c, rho, theta, days, reps)


def three_stages() -> Network:
    return Network(
        [
            Stage(
                "a",
                servers=3,
                service=Dist.exponential(0.2),
                patience=Dist.exponential(3.0),
                routing={"b": 0.5, "c": 0.3, "exit": 0.2},
            ),
            Stage(
                "b",
                servers=2,
                service=Dist.gamma(2.0, 0.5),
                patience=Dist.fixed(2.0),
                routing={"c": 0.4, "exit": 0.6},
            ),
            Stage("c", servers=8, service=Dist.lognormal(1.0, 0.8)),
        ],
        n_classes=2,
    )


def overlap(a: np.ndarray, b: np.ndarray, lo: float, hi: float) -> float:
    return float(np.sum(np.clip(np.minimum(b, hi) - np.maximum(a, lo), 0, None)))


@pytest.mark.parametrize("stage", ["a", "b", "c"])
def test_littles_law_on_every_stage(stage):
    res = simulate(three_stages(), PoissonDemand(12.0, class_shares=(0.3, 0.7)), 3000, 100, seed=11)
    r, s = res.records, res.network.index(stage)
    lo, hi = res.warmup, res.end
    v = r.visit_stage == s
    arrive, start, end = r.visit_arrive[v], r.visit_start[v], r.visit_end[v]
    left_queue = np.where(np.isnan(start), end, start)
    left_queue = np.where(np.isnan(left_queue), np.inf, left_queue)
    served_end = np.where(np.isnan(end), np.inf, end)
    daily = res.daily[res.daily["stage"] == stage]
    # Sample-path identity: the engine's time-averaged counts integrate the visit records.
    assert daily["mean_waiting"].sum() == pytest.approx(
        overlap(arrive, left_queue, lo, hi), rel=1e-9
    )
    served = ~np.isnan(start)
    assert daily["mean_in_service"].sum() == pytest.approx(
        overlap(start[served], served_end[served], lo, hi), rel=1e-9
    )
    # Little's law L = lambda W for the whole stay (queue + service).
    inside = (arrive >= lo) & (arrive < hi) & ~np.isnan(end)
    lam = inside.sum() / (hi - lo)
    sojourn = np.mean(end[inside] - arrive[inside])
    stay = (daily["mean_waiting"] + daily["mean_in_service"]).sum() / (hi - lo)
    assert stay == pytest.approx(lam * sojourn, rel=0.01)

"""The compiled engine against the pure-Python reference: identical records on seeded cases."""

import math

import numpy as np
import pytest
from reference import Reference

from sim.queue import (
    UNLIMITED,
    Adaptive,
    Background,
    Backlog,
    Dist,
    Network,
    QueueCore,
    Stage,
)
from sim.streams import stream

OUTCOMES = ["waiting", "in_service", "completed", "reneged", "discharged", "transferred"]


def hub_network() -> Network:
    """Every feature at once: classes, schedules, closure transfer, adaptive rule, external
    services with time-varying background demand and a backlog, all distribution families."""
    return Network(
        [
            Stage(
                "screen",
                servers=([0.0, 5.0, 12.0], [2, 1, 3]),
                service=[Dist.exponential(0.2), Dist.fixed(0.3)],
                patience=Dist.gamma(2.0, 3.0),
                routing=[[0.0, 0.7, 0.0, 0.0, 0.3], [0.0, 0.9, 0.0, 0.0, 0.1]],
            ),
            Stage(
                "assess",
                servers=([0.0, 8.0, 10.0], [2, 0, 1]),
                service=Dist.lognormal(0.5, 0.4),
                patience=Dist.exponential(4.0),
                routing={"therapy": 0.3, "talking": 0.5, "exit": 0.2},
                on_closure="therapy",
                adaptive=Adaptive(
                    "talking", "therapy", threshold_days=1.0, max_in_house_wait_days=2.0
                ),
            ),
            Stage(
                "therapy",
                servers=3,
                service=Dist.empirical([1.0, 2.0, 4.0], [0.5, 0.3, 0.2]),
                patience=Dist.fixed(6.0),
            ),
            Stage(
                "talking",
                servers=([0.0, 15.0], [1, 0]),
                service=Dist.exponential(1.0),
                patience=Dist.exponential(10.0),
                background=Background(([0.0, 7.0], [0.5, 1.5]), priority_class=1),
                backlog=Backlog([3.0, 0.5, 9.0, 2.0], classes=[1, 0, 1, 1]),
            ),
        ],
        n_classes=2,
    )


def simple_network() -> Network:
    return Network(
        [
            Stage(
                "a",
                servers=1,
                service=Dist.exponential(0.5),
                patience=Dist.exponential(2.0),
                routing={"b": 0.5, "exit": 0.5},
            ),
            Stage("b", servers=UNLIMITED, service=Dist.gamma(0.5, 1.0)),
        ]
    )


def referrals(seed: int, n: int, days: float, n_classes: int, n_stages: int):
    rng = np.random.default_rng(seed)
    times = np.sort(rng.uniform(0, days, n))
    return (
        times,
        rng.integers(0, 10**9, n),
        rng.integers(0, n_classes, n),
        rng.integers(0, min(n_stages, 2), n),
    )


def compiled_visits(core: QueueCore) -> list[tuple]:
    r = core.records()
    out = []
    for v in range(r.visit_stage.size):
        c = r.visit_client[v]
        nxt = {-1: "exit", -2: None}.get(int(r.visit_next[v]), int(r.visit_next[v]))
        out.append(
            (
                int(r.client_id[c]),
                int(r.client_source[c]),
                int(r.visit_stage[v]),
                r.visit_arrive[v],
                r.visit_start[v],
                r.visit_end[v],
                OUTCOMES[r.visit_outcome[v]],
                nxt,
                bool(r.visit_adaptive[v]),
            )
        )
    return out


def reference_visits(ref: Reference) -> list[tuple]:
    sources = {"referral": 0, "background": 1, "backlog": 2}
    out = []
    for v in ref.visits:
        c = ref.clients[v["client"]]
        out.append(
            (
                c["id"],
                sources[c["source"]],
                v["stage"],
                v["arrive"],
                v["start"],
                v["end"],
                v["outcome"],
                v["next"],
                v["adaptive"],
            )
        )
    return out


def assert_same(a: list[tuple], b: list[tuple]) -> None:
    assert len(a) == len(b)
    for x, y in zip(a, b, strict=True):
        for p, q in zip(x, y, strict=True):
            if isinstance(p, float) and math.isnan(p):
                assert isinstance(q, float) and math.isnan(q), (x, y)
            else:
                assert p == q, (x, y)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_hub_network_matches_reference_exactly(seed):
    net = hub_network()
    times, ids, ks, ss = referrals(seed, 120, 20.0, 2, 4)
    core, ref = QueueCore(net, seed), Reference(net, seed)
    for until in (3.5, 10.0, 20.0, 25.0):
        m = (times >= core.now) & (times < until)
        core.advance(until, times[m], ids[m], ks[m], ss[m])
        ref.advance(until, times[m], ids[m], ks[m], ss[m])
    visits = compiled_visits(core)
    assert_same(visits, reference_visits(ref))
    outcomes = {v[6] for v in visits}
    assert {"completed", "reneged", "transferred", "discharged"} <= outcomes  # features hit
    assert any(v[8] for v in visits), "the adaptive rule never fired"
    assert {v[1] for v in visits} == {0, 1, 2}


@pytest.mark.parametrize("seed", [4, 5])
def test_simple_network_matches_reference_exactly(seed):
    net = simple_network()
    t = np.sort(stream(seed, "test").uniform(0, 30, 80))
    core, ref = QueueCore(net, seed), Reference(net, seed)
    core.advance(40.0, t)
    ref.advance(40.0, t)
    assert_same(compiled_visits(core), reference_visits(ref))


def shared_external_network() -> Network:
    """External services as shared queues: a two-step service (first appointment, then
    treatment) with a background of mixed classes, started with places occupied (remaining
    service times) and a waiting backlog, watched by an adaptive rule through both steps."""
    return Network(
        [
            Stage(
                "assess",
                servers=2,
                service=Dist.exponential(0.3),
                routing={"therapy": 0.2, "first": 0.8},
                adaptive=Adaptive("first", "therapy", threshold_days=2.0, then="treat"),
            ),
            Stage("therapy", servers=2, service=Dist.gamma(2.0, 3.0)),
            Stage(
                "first",
                servers=2,
                service=Dist.fixed(0.2),
                patience=Dist.exponential(8.0),
                routing={"treat": 0.7, "exit": 0.3},
                background=Background(1.5, class_shares=(0.3, 0.7)),
                backlog=Backlog([2.0, 0.5], classes=[0, 1], in_service=[0.1], in_service_classes=1),
            ),
            Stage(
                "treat",
                servers=3,
                service=Dist.lognormal(2.0, 1.0),
                patience=Dist.exponential(20.0),
                backlog=Backlog([4.0, 1.0, 3.0], classes=1, in_service=[0.5, 2.5, 1.5]),
            ),
        ],
        n_classes=2,
    )


@pytest.mark.parametrize("seed", [6, 7])
def test_shared_external_network_matches_reference_exactly(seed):
    net = shared_external_network()
    times, ids, ks, _ = referrals(seed, 60, 20.0, 2, 1)
    core, ref = QueueCore(net, seed), Reference(net, seed)
    for until in (5.0, 20.0, 30.0):
        m = (times >= core.now) & (times < until)
        core.advance(until, times[m], ids[m], ks[m], 0)
        ref.advance(until, times[m], ids[m], ks[m], 0)
    visits = compiled_visits(core)
    assert_same(visits, reference_visits(ref))
    background_classes = core.records().client_class[core.records().client_source == 1]
    assert set(background_classes.tolist()) == {0, 1}  # the mix draws both classes
    assert any(v[8] for v in visits), "the adaptive rule never fired"
    started_at_zero = [v for v in visits if v[1] == 2 and v[4] == 0.0 and v[3] == 0.0]
    assert len(started_at_zero) >= 4  # the occupied places start at once

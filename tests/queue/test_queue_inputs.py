"""Distributions draw what they promise; bad input raises ValueError with a clear message."""

import numpy as np
import pytest

from sim.queue import (
    UNLIMITED,
    Adaptive,
    Backlog,
    Dist,
    Network,
    PoissonDemand,
    QueueCore,
    Stage,
    simulate,
)


@pytest.mark.parametrize(
    ("dist", "sd"),
    [
        (Dist.exponential(2.0), 2.0),
        (Dist.lognormal(2.0, 1.5), 1.5),
        (Dist.gamma(3.0, 2.0), 2.0 / np.sqrt(3.0)),
        (Dist.fixed(2.0), 0.0),
        (Dist.empirical([1.0, 2.0, 5.0], [3, 6, 1]), np.sqrt(1.2)),  # E[x^2] = 5.2
    ],
)
def test_service_times_have_the_promised_mean_and_sd(dist, sd):
    net = Network([Stage("a", servers=UNLIMITED, service=dist)])
    r = simulate(net, PoissonDemand(400.0), 150.0, seed=1).records
    early = r.visit_arrive < 100  # all done by 150 (later ones would be censored)
    x = r.visit_end[early] - r.visit_start[early]
    assert dist.mean == pytest.approx(2.0)
    assert x.mean() == pytest.approx(2.0, rel=0.02)
    assert x.std() == pytest.approx(sd, rel=0.03, abs=1e-9)


def test_empirical_draws_only_its_values():
    net = Network([Stage("a", servers=UNLIMITED, service=Dist.empirical([1.0, 3.0], [1, 0]))])
    r = simulate(net, PoissonDemand(50.0), 10.0, seed=1).records
    done = ~np.isnan(r.visit_end)
    np.testing.assert_allclose(r.visit_end[done] - r.visit_start[done], 1.0)


@pytest.mark.parametrize(
    ("make", "match"),
    [
        (lambda: Dist.exponential(0.0), "mean must be"),
        (lambda: Dist.lognormal(1.0, -1.0), "sd must be"),
        (lambda: Dist.gamma(np.nan, 1.0), "shape must be"),
        (lambda: Dist.fixed(-1.0), "fixed value"),
        (lambda: Dist.empirical([]), "non-empty"),
        (lambda: Dist.empirical([1.0, 2.0], [1.0]), "weights must match"),
        (lambda: Dist.empirical([1.0], [0.0]), "not all zero"),
    ],
)
def test_bad_distributions(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def stage(**kw):
    base = {"name": "a", "servers": 1, "service": Dist.exponential(1.0)}
    return Stage(**(base | kw))


@pytest.mark.parametrize(
    ("stages", "n_classes", "match"),
    [
        ([], 1, "at least one stage"),
        ([stage(), stage()], 1, "unique"),
        ([stage(name="exit")], 1, "unique and not 'exit'"),
        ([stage()], 0, "n_classes"),
        ([stage(servers=-2)], 1, "servers must be integers"),
        ([stage(servers=([1.0], [2]))], 1, "start at 0"),
        ([stage(servers=([0.0, 2.0, 1.0], [1, 2, 3]))], 1, "start at 0 and increase"),
        ([stage(servers=([0.0], [1.5]))], 1, "servers must be integers"),
        ([stage(service=[Dist.fixed(1.0)])], 2, "one Dist per class"),
        ([stage(patience=3.0)], 1, "patience must be a Dist"),
        ([stage(routing=[0.5, 0.4])], 1, "sum to 1"),
        ([stage(routing=[0.5, 0.5, 0.0])], 1, "shape"),
        ([stage(routing={"b": 1.0})], 1, "unknown stage 'b'"),
        ([stage(routing=[-0.5, 1.5])], 1, ">= 0"),
        ([stage(on_closure="a")], 1, "itself"),
        ([stage(on_closure="zz")], 1, "unknown stage 'zz'"),
        ([stage(on_closure="b"), stage(name="b", on_closure="a")], 1, "cycle"),
        ([stage(adaptive=Adaptive("a", "a", 1.0))], 1, "two different stages"),
        ([stage(backlog=Backlog([-1.0]))], 1, "backlog ages"),
        ([stage(backlog=Backlog([1.0], classes=[3]))], 2, "backlog classes"),
    ],
)
def test_bad_networks(stages, n_classes, match):
    with pytest.raises(ValueError, match=match):
        QueueCore(Network(stages, n_classes=n_classes), seed=0)


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"arrival_times": [1.0, 20.0]}, "arrival times must lie"),
        ({"arrival_times": [np.nan]}, "arrival times must lie"),
        ({"arrival_times": [1.0], "client_ids": [-1]}, "client_ids must be >= 0"),
        ({"arrival_times": [1.0], "client_ids": [1, 2]}, "one entry per arrival"),
        ({"arrival_times": [1.0], "classes": [1]}, "classes must lie"),
        ({"arrival_times": [1.0], "classes": [0.5]}, "must be integers"),
        ({"arrival_times": [1.0], "entry_stages": ["nope"]}, "unknown stage"),
        ({"arrival_times": [1.0], "entry_stages": [4]}, "out of range"),
    ],
)
def test_bad_arrivals(kwargs, match):
    core = QueueCore(Network([stage()]), seed=0)
    with pytest.raises(ValueError, match=match):
        core.advance(10.0, **kwargs)


def test_arrivals_before_now_are_refused():
    core = QueueCore(Network([stage()]), seed=0)
    core.advance(5.0)
    with pytest.raises(ValueError, match=r"now=5\.0"):
        core.advance(10.0, [4.0])


@pytest.mark.parametrize(
    ("demand", "kwargs", "match"),
    [
        (PoissonDemand(-1.0), {}, "rates must be finite"),
        (PoissonDemand(([0.0, 0.0], [1.0, 2.0])), {}, "increase"),
        (PoissonDemand(1.0, class_shares=(0.5, 0.6)), {}, "class_shares"),
        (PoissonDemand(1.0), {"horizon_days": 0.0}, "horizon_days"),
        (PoissonDemand(1.0), {"warmup_days": -1.0}, "warmup_days"),
        ("poisson", {}, "PoissonDemand or ReplayDemand"),
    ],
)
def test_bad_demand(demand, kwargs, match):
    net = Network([stage()], n_classes=2 if "class_shares" in match else 1)
    args = {"horizon_days": 10.0} | kwargs
    with pytest.raises(ValueError, match=match):
        simulate(net, demand, **args)


def test_cyclic_routing_is_refused_because_revisits_reuse_draws():
    exp = Dist.exponential(1.0)
    back_and_forth = Network(
        [
            Stage("a", 1, exp, routing={"b": 1.0}),
            Stage("b", 1, exp, routing={"a": 0.5, "exit": 0.5}),
        ]
    )
    with pytest.raises(ValueError, match=r"routing forms a cycle \(a -> b -> a\)"):
        QueueCore(back_and_forth, seed=1)
    via_closure = Network(
        [
            Stage("a", 1, exp, routing={"b": 1.0}),
            Stage("b", ([0.0, 5.0], [1, 0]), exp, on_closure="a"),
        ]
    )
    with pytest.raises(ValueError, match="routing forms a cycle"):
        QueueCore(via_closure, seed=1)

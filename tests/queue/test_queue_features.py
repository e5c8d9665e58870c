"""Behaviour of each feature: closure, capacity changes, demand, adaptive rule, backlog,
priorities, resumability, common random numbers."""

import numpy as np
import pytest
from test_queue_reference import hub_network, referrals

from sim.queue import (
    UNLIMITED,
    Adaptive,
    Background,
    Backlog,
    Dist,
    Event,
    Network,
    PoissonDemand,
    QueueCore,
    ReplayDemand,
    Stage,
    VisitOutcome,
    simulate,
)
from sim.queue.demand import poisson_times
from sim.streams import stream


def closing(on_closure=None) -> Network:
    return Network(
        [
            Stage(
                "a",
                servers=([0.0, 10.0], [2, 0]),
                service=Dist.exponential(1.0),
                on_closure=on_closure,
            ),
            Stage("b", servers=1, service=Dist.fixed(0.1)),
        ]
    )


def run_closing(on_closure=None):
    demand = ReplayDemand(np.arange(0.0, 20.0, 0.25))  # 4 a day, capacity 2 a day
    return simulate(closing(on_closure), demand, horizon_days=40.0, seed=3).records


def test_closure_discharges_the_waiting_and_later_arrivals_but_not_those_in_service():
    r = run_closing()
    at_a = r.visit_stage == 0
    discharged = at_a & (r.visit_outcome == VisitOutcome.DISCHARGED)
    waiting_at_close = at_a & (r.visit_arrive < 10) & np.isnan(r.visit_start)
    assert waiting_at_close.sum() > 5
    assert np.all(r.visit_outcome[waiting_at_close] == VisitOutcome.DISCHARGED)
    assert np.all(r.visit_end[waiting_at_close] == 10.0)
    late = at_a & (r.visit_arrive >= 10)
    assert np.all(discharged[late]) and np.all(r.visit_end[late] == r.visit_arrive[late])
    in_service = at_a & (r.visit_start < 10) & (r.visit_end > 10)
    assert in_service.sum() == 2  # the two in service at the closure finish their service
    assert np.all(r.visit_outcome[at_a & ~np.isnan(r.visit_start)] == VisitOutcome.COMPLETED)
    assert np.all(r.visit_start[at_a & ~np.isnan(r.visit_start)] < 10)


def test_closure_transfers_the_waiting_to_the_named_stage():
    r = run_closing("b")
    moved = (r.visit_stage == 0) & (r.visit_outcome == VisitOutcome.TRANSFERRED)
    assert moved.sum() > 5 and not np.any(r.visit_outcome == VisitOutcome.DISCHARGED)
    at_b = r.visit_stage == 1
    assert set(r.visit_client[moved]) == set(r.visit_client[at_b])
    assert np.array_equal(np.sort(r.visit_arrive[at_b]), np.sort(r.visit_end[moved]))


def busy_at(r, stage, times):
    v = (r.visit_stage == stage) & ~np.isnan(r.visit_start)
    s, e = r.visit_start[v], np.where(np.isnan(r.visit_end[v]), np.inf, r.visit_end[v])
    return np.array([np.sum((s <= t) & (e > t)) for t in times])


def test_capacity_drop_loses_nobody_in_service_and_is_respected_after_draining():
    net = Network([Stage("a", servers=([0.0, 5.0, 9.0], [4, 1, 3]), service=Dist.exponential(0.5))])
    r = simulate(net, PoissonDemand(10.0), horizon_days=15.0, seed=5).records
    started_before = (r.visit_start < 5) & (r.visit_end > 5)
    assert started_before.sum() >= 2
    assert np.all(r.visit_outcome[~np.isnan(r.visit_start)] != VisitOutcome.WAITING)
    starts = r.visit_start[(r.visit_start >= 5) & (r.visit_start < 9)]
    assert starts.size > 0
    assert np.all(busy_at(r, 0, starts) <= 1)  # a start only when below the new capacity
    grid = np.linspace(0, 15, 3001)
    busy = busy_at(r, 0, grid)
    assert busy.max() <= 4 and busy[(grid > 9)].max() <= 3


def test_time_varying_background_rate():
    net = Network(
        [
            Stage(
                "ext",
                servers=UNLIMITED,
                service=Dist.exponential(1.0),
                background=Background(([0.0, 50.0, 80.0], [2.0, 10.0, 0.0]), 0),
            )
        ]
    )
    core = QueueCore(net, seed=9)
    core.advance(200.0)
    t = core.records().client_arrival
    assert abs(np.sum(t < 50) - 100) < 4 * 10  # Poisson(100)
    assert abs(np.sum((t >= 50) & (t < 80)) - 300) < 4 * np.sqrt(300)
    assert np.sum(t >= 80) == 0


def test_time_varying_poisson_demand():
    times, u = poisson_times(
        np.array([0.0, 100.0]), np.array([5.0, 50.0]), 200.0, stream(1, "arrivals")
    )
    assert abs(np.sum(times < 100) - 500) < 4 * np.sqrt(500)
    assert abs(np.sum(times >= 100) - 5000) < 4 * np.sqrt(5000)
    assert np.all(np.diff(times) > 0) and times.size == u.size


def adaptive_network(threshold: float, therapy_servers: int = 2) -> Network:
    return Network(
        [
            Stage(
                "assess",
                servers=4,
                service=Dist.exponential(0.1),
                routing={"talking": 0.6, "exit": 0.4},
                adaptive=Adaptive("talking", "therapy", threshold_days=threshold),
            ),
            Stage("therapy", servers=therapy_servers, service=Dist.exponential(0.5)),
            Stage("talking", servers=1, service=Dist.exponential(1.0)),
        ]
    )


def test_adaptive_rule_moves_clients_in_house_only_when_the_external_wait_is_long():
    runs = {
        th: simulate(adaptive_network(th), PoissonDemand(5.0), 200.0, seed=2).records
        for th in (3.0, 1e9)
    }
    for th, r in runs.items():
        fired = r.visit_adaptive == 1
        assert np.all(r.visit_next[fired] == 1) and np.all(r.visit_stage[fired] == 0)
        assert (fired.sum() > 50) == (th == 3.0)
    waits = {
        th: np.nanmean(r.visit_start[r.visit_stage == 2] - r.visit_arrive[r.visit_stage == 2])
        for th, r in runs.items()
    }
    assert waits[3.0] < waits[1e9] / 3
    closed = simulate(
        adaptive_network(3.0, therapy_servers=0), PoissonDemand(5.0), 200.0, seed=2
    ).records
    assert not np.any(closed.visit_adaptive)  # no in-house capacity: no rerouting


def test_backlog_keeps_ages_is_served_oldest_first_and_reneges_only_after_t0():
    ages = [5.0, 1.0, 3.0, 8.0, 0.5]
    net = Network(
        [
            Stage(
                "ext",
                servers=1,
                service=Dist.fixed(1.0),
                patience=Dist.exponential(4.0),
                backlog=Backlog(ages),
            )
        ]
    )
    core = QueueCore(net, seed=4)
    core.advance(30.0)
    r = core.records()
    assert sorted(r.visit_arrive) == sorted(-a for a in ages)
    served = ~np.isnan(r.visit_start)
    order = np.argsort(r.visit_start[served])
    assert np.all(np.diff(r.visit_arrive[served][order]) > 0)  # FIFO by arrival
    reneged = r.visit_outcome == VisitOutcome.RENEGED
    assert reneged.any() and np.all(r.visit_end[reneged] > 0)
    assert set(r.client_source) == {2}


def test_class_zero_is_served_first_fifo_within_class():
    net = Network([Stage("a", servers=1, service=Dist.fixed(1.0))], n_classes=2)
    core = QueueCore(net, seed=0)
    core.advance(10.0, [0.0, 0.1, 0.2, 0.3, 0.4], [10, 11, 12, 13, 14], [1, 1, 0, 1, 0])
    r = core.records()
    by_start = r.client_id[r.visit_client[np.argsort(r.visit_start)]]
    assert by_start.tolist() == [10, 12, 14, 11, 13]


def test_daily_calls_give_the_same_records_and_events_as_one_call():
    net = hub_network()
    times, ids, ks, ss = referrals(7, 800, 365.0, 2, 4)
    one = QueueCore(net, seed=7)
    events_one = one.advance(365.0, times, ids, ks, ss)
    daily = QueueCore(net, seed=7)
    parts = []
    for day in range(365):
        m = (times >= day) & (times < day + 1)
        parts.append(daily.advance(day + 1.0, times[m], ids[m], ks[m], ss[m]))
    a, b = one.records(), daily.records()
    for field in a.__dataclass_fields__:
        x, y = getattr(a, field), getattr(b, field)
        if isinstance(x, np.ndarray):
            np.testing.assert_array_equal(x, y, err_msg=field)
    assert a.daily_count.shape[0] == 365
    for name in ("client_id", "code", "stage", "time"):
        joined = np.concatenate([getattr(p, name) for p in parts])
        np.testing.assert_array_equal(getattr(events_one, name), joined)


def test_events_follow_each_referral_from_arrival_to_one_outcome():
    net = hub_network()
    times, _, ks, ss = referrals(8, 300, 30.0, 2, 4)
    ev = QueueCore(net, seed=8).advance(60.0, times, np.arange(300), ks, ss)
    assert set(ev.client_id) == set(range(300))  # only referrals are logged
    for c in range(300):
        codes = ev.code[ev.client_id == c]
        assert codes[0] == Event.ARRIVED and np.sum(codes == Event.ARRIVED) == 1
        terminal = np.isin(codes, [Event.EXITED, Event.RENEGED, Event.DISCHARGED])
        assert terminal.sum() <= 1 and (terminal.sum() == 0 or terminal[-1])
    assert np.all(np.diff(ev.time) >= 0)


def test_capacity_does_not_change_the_demand_or_service_draws():
    def durations(servers):
        net = Network(
            [
                Stage(
                    "a",
                    servers=servers,
                    service=Dist.exponential(0.3),
                    patience=Dist.exponential(2.0),
                    routing={"b": 0.5, "exit": 0.5},
                ),
                Stage("b", servers=1, service=Dist.lognormal(1.0, 0.5)),
            ]
        )
        r = simulate(net, PoissonDemand(8.0), 100.0, seed=12).records
        done = r.visit_outcome == VisitOutcome.COMPLETED
        key = r.client_id[r.visit_client[done]] * 2 + r.visit_stage[done]
        dur = r.visit_end[done] - r.visit_start[done]
        return r.client_arrival, dict(zip(key.tolist(), dur.tolist(), strict=True))

    arr1, d1 = durations(2)
    arr2, d2 = durations(5)
    np.testing.assert_array_equal(arr1, arr2)
    common = d1.keys() & d2.keys()
    assert len(common) > 500
    assert all(abs(d1[k] - d2[k]) < 1e-9 for k in common)  # (start + s) - start rounds


def test_unlimited_servers_never_make_anyone_wait():
    net = Network([Stage("a", servers=UNLIMITED, service=Dist.exponential(5.0))])
    r = simulate(net, PoissonDemand(50.0), 50.0, seed=1).records
    np.testing.assert_array_equal(r.visit_start, r.visit_arrive)


def test_golden_values():
    res = simulate(hub_network(), PoissonDemand(6.0, class_shares=(0.2, 0.8)), 60.0, 5.0, seed=2024)
    got = [res.mean_wait("screen"), res.abandonment("assess"), res.share_within("therapy", 3)]
    np.testing.assert_allclose(got, GOLDEN, rtol=1e-9)


GOLDEN = [0.18226024710516753, 0.5927152317880795, 0.8536585365853658]


@pytest.mark.parametrize("until", [0.0, -1.0, np.inf])
def test_advance_refuses_a_bad_until(until):
    with pytest.raises(ValueError, match="until"):
        QueueCore(hub_network(), seed=1).advance(until)


def test_thousands_of_capacity_changes_fit_the_event_heap_and_are_respected():
    # A part-time server is two capacity changes a week: years of them once overflowed the
    # heap that set-up fills (memory corruption, then a crash).
    times = [0.0]
    counts = [0]
    for week in range(1500):
        times += [7.0 * week + 0.01, 7.0 * week + 3.5]
        counts += [1, 0]
    net = Network([Stage("a", servers=(times, counts), service=Dist.exponential(0.05))])
    r = simulate(net, PoissonDemand(2.0), horizon_days=7.0 * 1500, seed=3).records
    started = r.visit_start[~np.isnan(r.visit_start)]
    assert started.size > 1000
    assert np.all(started % 7.0 >= 0.01 - 1e-9)
    assert np.all(started % 7.0 < 3.5), "nobody starts while the part-timer is away"

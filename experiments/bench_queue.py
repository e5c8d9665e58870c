"""Benchmark: the queue core against Ciw and SimPy on the same two-stage network.

Network (days): Poisson arrivals 20/day to stage 1 (4 servers, exponential service mean 0.15,
exponential patience mean 14); after service 35% go to stage 2 (2 servers, exponential service
mean 1.5, exponential patience mean 60), the rest leave. 3650 days after a 365-day warm-up.

An *event* is the same for all three engines: an arrival at a stage, a service start, a
service end, or an abandonment, counted over the whole run (warm-up included) because the
whole run is timed. Our engine: median wall time of REPS seeded runs (numba cache warm,
compile excluded). Ciw and SimPy are slower, so each runs PEER_REPS seeded replications; the
rates are events / wall time of each run. Agreement: mean wait (all arrivals, queueing-theory
W_q) and abandonment per stage, averaged over the replications of each engine, within the
stated tolerances (fixed seeds, so a pass is not luck). Cold and warm start are measured in
fresh processes (warm: median of START_REPS). Prints a table, then one JSON line.

Run: ./dev python experiments/bench_queue.py
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

RATE, WARMUP, HORIZON = 20.0, 365.0, 3650.0
END = WARMUP + HORIZON
STAGES = [  # servers, service mean, patience mean
    (4, 0.15, 14.0),
    (2, 1.5, 60.0),
]
P_ONWARD = 0.35
REPS, PEER_REPS = 7, 3
#: Agreement tolerances (relative for waits, absolute for abandonment shares). Stage 1 waits
#: are short and noisy (mean ~0.07 day), so 10%; stage 2 5%; abandonment 0.01.
TOL_WAIT = (0.10, 0.05)
TOL_ABANDON = 0.01


def network():
    from sim.queue import Dist, Network, Stage

    (c1, s1, p1), (c2, s2, p2) = STAGES
    return Network(
        [
            Stage(
                "stage1",
                c1,
                Dist.exponential(s1),
                Dist.exponential(p1),
                routing={"stage2": P_ONWARD, "exit": 1 - P_ONWARD},
            ),
            Stage("stage2", c2, Dist.exponential(s2), Dist.exponential(p2)),
        ]
    )


def summarise(visits: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> dict:
    """visits per stage as (arrive, left_queue, reneged) arrays -> stats after warm-up."""
    out = {}
    for s, (arrive, left, reneged) in enumerate(visits, start=1):
        m = (arrive >= WARMUP) & np.isfinite(left)
        out[f"mean_wait_{s}"] = float(np.mean(left[m] - arrive[m]))
        out[f"abandon_{s}"] = float(np.mean(reneged[m]))
    return out


def run_ours(seed: int) -> tuple[float, int, dict]:
    from sim.queue import PoissonDemand, VisitOutcome, simulate

    net = network()
    t0 = time.perf_counter()
    res = simulate(net, PoissonDemand(RATE), HORIZON, WARMUP, seed=seed)
    wall = time.perf_counter() - t0
    r = res.records
    events = (
        r.visit_stage.size
        + 2 * np.sum(~np.isnan(r.visit_start))
        - np.sum(r.visit_outcome == VisitOutcome.IN_SERVICE)
        + np.sum(r.visit_outcome == VisitOutcome.RENEGED)
    )
    visits = []
    for s in range(2):
        v = r.visit_stage == s
        left = np.where(np.isnan(r.visit_start[v]), r.visit_end[v], r.visit_start[v])
        visits.append(
            (
                r.visit_arrive[v],
                np.where(np.isnan(left), np.inf, left),
                r.visit_outcome[v] == VisitOutcome.RENEGED,
            )
        )
    return wall, int(events), summarise(visits)


def run_ciw(seed: int) -> tuple[float, int, dict]:
    import ciw

    (c1, s1, p1), (c2, s2, p2) = STAGES
    ciw.seed(seed)
    net = ciw.create_network(
        arrival_distributions=[ciw.dists.Exponential(RATE), None],
        service_distributions=[ciw.dists.Exponential(1 / s1), ciw.dists.Exponential(1 / s2)],
        number_of_servers=[c1, c2],
        routing=[[0.0, P_ONWARD], [0.0, 0.0]],
        reneging_time_distributions=[ciw.dists.Exponential(1 / p1), ciw.dists.Exponential(1 / p2)],
    )
    t0 = time.perf_counter()
    sim = ciw.Simulation(net)
    sim.simulate_until_max_time(END)
    wall = time.perf_counter() - t0
    recs = sim.get_all_records()
    events = sum(3 if r.record_type == "service" else 2 for r in recs)
    for node in sim.nodes[1:-1]:  # still inside: arrived, and started if in service
        events += len(node.all_individuals) + min(len(node.all_individuals), node.c)
    visits = []
    for node in (1, 2):
        rs = [r for r in recs if r.node == node]
        arrive = np.array([r.arrival_date for r in rs])
        left = np.array(
            [r.service_start_date if r.record_type == "service" else r.exit_date for r in rs]
        )
        visits.append((arrive, left, np.array([r.record_type == "renege" for r in rs])))
    return wall, events, summarise(visits)


def run_simpy(seed: int) -> tuple[float, int, dict]:
    import simpy

    rng = np.random.default_rng(seed)
    env = simpy.Environment()
    servers = [simpy.Resource(env, capacity=c) for c, _, _ in STAGES]
    log = [[], []]  # per stage: (arrive, left_queue, reneged)
    count = [0]

    def visit(s):
        _, svc, pat = STAGES[s]
        arrive = env.now
        count[0] += 1
        with servers[s].request() as req:
            got = yield req | env.timeout(rng.exponential(pat))
            count[0] += 1  # service start or abandonment
            if req not in got:
                log[s].append((arrive, env.now, True))
                return False
            log[s].append((arrive, env.now, False))
            yield env.timeout(rng.exponential(svc))
            count[0] += 1
        return True

    def client():
        if (yield env.process(visit(0))) and rng.random() < P_ONWARD:
            yield env.process(visit(1))

    def source():
        while True:
            yield env.timeout(rng.exponential(1 / RATE))
            env.process(client())

    t0 = time.perf_counter()
    env.process(source())
    env.run(until=END)
    wall = time.perf_counter() - t0
    visits = [tuple(np.array(col) for col in zip(*rows, strict=True)) for rows in log]
    return wall, count[0], summarise(visits)


#: Fresh processes for the warm start-up measurement (median reported).
START_REPS = 5


def start_times() -> dict:
    """Start-up in fresh processes: seconds to import ``sim.queue``, then from there to the end
    of the first ``simulate()`` of the benchmark network (building the network included). Cold:
    an empty numba cache (includes compiling), once. Warm: the cache just filled, median of
    START_REPS processes; also with the project's own cache (``__pycache__`` next to the
    sources), which this run has filled."""
    root = str(Path(__file__).resolve().parents[1])
    code = (
        "import sys, time; t = time.perf_counter()\n"
        f"sys.path[:0] = [{root!r}, {str(Path(__file__).parent)!r}]\n"
        "from sim.queue import PoissonDemand, simulate\n"
        "t1 = time.perf_counter()\n"
        "from bench_queue import HORIZON, RATE, WARMUP, network\n"
        "simulate(network(), PoissonDemand(RATE), HORIZON, WARMUP, seed=0)\n"
        "print(t1 - t, time.perf_counter() - t1)\n"
    )

    def fresh(env: dict) -> tuple[float, float]:
        res = subprocess.run(
            [sys.executable, "-c", code], env=env, check=True, capture_output=True, text=True
        )
        imp, first = map(float, res.stdout.split())
        return imp, first

    out = {}
    with tempfile.TemporaryDirectory() as cache:
        env = {**os.environ, "NUMBA_CACHE_DIR": cache}
        out["cold_import_s"], out["cold_first_run_s"] = fresh(env)
        warm = [fresh(env) for _ in range(START_REPS)]
        shutil.rmtree(cache, ignore_errors=True)
    out["warm_import_s"] = float(np.median([w[0] for w in warm]))
    out["warm_first_run_s"] = float(np.median([w[1] for w in warm]))
    env = {k: v for k, v in os.environ.items() if k != "NUMBA_CACHE_DIR"}
    default = [fresh(env) for _ in range(START_REPS)]
    out["warm_default_cache_first_run_s"] = float(np.median([w[1] for w in default]))
    out["warm_first_run_s_all"] = [round(w[1], 3) for w in warm + default]
    return out


def main() -> None:
    run_ours(0)  # compile (or load from the numba cache)
    ours = [run_ours(seed) for seed in range(REPS)]
    peers = {
        "ciw": [run_ciw(seed) for seed in range(PEER_REPS)],
        "simpy": [run_simpy(seed) for seed in range(PEER_REPS)],
    }
    rates = {"ours": float(np.median([e / w for w, e, _ in ours]))}
    for name, runs in peers.items():
        rates[name] = float(np.median([e / w for w, e, _ in runs]))
    stats = {
        name: {k: float(np.mean([r[2][k] for r in runs])) for k in runs[0][2]}
        for name, runs in (("ours", ours[:PEER_REPS]), *peers.items())
    }
    agree = True
    print(f"{'engine':8} {'events/s':>12} {'events':>9} {'W1':>8} {'W2':>8} {'ab1':>7} {'ab2':>7}")
    for name, runs in (("ours", ours), *peers.items()):
        st = stats[name]
        print(
            f"{name:8} {rates[name]:12.0f} {runs[0][1]:9d} {st['mean_wait_1']:8.4f} "
            f"{st['mean_wait_2']:8.3f} {st['abandon_1']:7.4f} {st['abandon_2']:7.4f}"
        )
        for s, tol in ((1, TOL_WAIT[0]), (2, TOL_WAIT[1])):
            ref = stats["ours"][f"mean_wait_{s}"]
            agree &= abs(st[f"mean_wait_{s}"] / ref - 1) <= tol
            agree &= abs(st[f"abandon_{s}"] - stats["ours"][f"abandon_{s}"]) <= TOL_ABANDON
    starts = start_times()
    print(f"agreement within tolerances: {agree}; start: {starts}")
    result = {
        "events_per_s": rates["ours"],
        "ciw_events_per_s": rates["ciw"],
        "simpy_events_per_s": rates["simpy"],
        "ratio_vs_ciw": rates["ours"] / rates["ciw"],
        "ratio_vs_simpy": rates["ours"] / rates["simpy"],
        "agree": bool(agree),
        "reps": REPS,
        "peer_reps": PEER_REPS,
        **{f"{name}_{k}": v for name, st in stats.items() for k, v in st.items()},
        **starts,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
    main()

"""A slow, obviously correct pure-Python reference engine (tests only).

It follows the rules in docs/queue.md with plain Python objects: a heapq of
(time, kind, payload) events, one Python list per (stage, class) queue, a dict per visit. It
consumes the random streams exactly like the compiled engine (same draws, same order), so on
the same seed the two must produce identical records.
"""

from __future__ import annotations

import heapq
import math

import numpy as np

from sim.queue import Dist, Network
from sim.queue.codes import DistKind
from sim.streams import stream

CAPACITY, END, RENEGE, BACKGROUND = 0, 1, 2, 3
BIG = 1 << 40


def sample(d: Dist, rng: np.random.Generator) -> float:
    if d.kind == DistKind.EXPONENTIAL:
        return rng.exponential(d.params[0])
    if d.kind == DistKind.LOGNORMAL:
        mean, sd = d.params
        sigma2 = math.log1p((sd / mean) ** 2)
        return rng.lognormal(math.log(mean) - sigma2 / 2, math.sqrt(sigma2))
    if d.kind == DistKind.GAMMA:
        shape, mean = d.params
        return rng.gamma(shape, mean / shape)
    if d.kind == DistKind.FIXED:
        return d.params[0]
    cum = np.cumsum(d.weights) / np.sum(d.weights)
    cum[-1] = 1.0
    j = int(np.searchsorted(cum, rng.random(), side="right"))
    return d.values[min(j, len(d.values) - 1)]


class Reference:
    """Same constructor and advance() as QueueCore; records in ``clients`` and ``visits``."""

    def __init__(self, network: Network, seed: int, replication: int = 0):
        self.net = network
        self.stages = list(network.stages)
        self.S, self.K = len(self.stages), network.n_classes
        rng = {
            n: stream(seed, n, replication)
            for n in ("service", "patience", "routing", "background", "backlog")
        }
        self.rng = rng
        self.clients: list[dict] = []
        self.visits: list[dict] = []
        self.queue = [[[] for _ in range(self.K)] for _ in range(self.S)]
        self.busy = [0] * self.S
        self.heap: list[tuple] = []
        self.counters = {"background": 0, "backlog": 0}
        self.servers, caps = [], []
        for s, st in enumerate(self.stages):
            times, counts = ([0.0], [st.servers]) if isinstance(st.servers, int) else st.servers
            counts = [BIG if c == -1 else int(c) for c in counts]
            self.servers.append(counts[0])
            caps += [(float(t), s, c) for t, c in zip(times[1:], counts[1:], strict=True)]
        self.caps = caps
        for j, (t, _, _) in enumerate(caps):
            heapq.heappush(self.heap, (t, CAPACITY, j))
        self.bg_state = {}
        for s, st in enumerate(self.stages):
            if st.background is not None:
                rate = st.background.rate
                times, rates = ([0.0], [rate]) if np.isscalar(rate) else rate
                self.bg_state[s] = [list(map(float, times)), list(map(float, rates)), 0]
                self.push_background(s, 0.0)
        for s, st in enumerate(self.stages):
            if st.backlog is None:
                continue
            remaining = list(map(float, st.backlog.in_service))
            busy_ks = np.broadcast_to(st.backlog.in_service_classes, (len(remaining),))
            for j, left in enumerate(remaining):  # in service first, in the given order
                r = rng["backlog"]
                i = self.new_client(
                    self.counters["backlog"], "backlog", int(busy_ks[j]), s, 0.0, r, r, r
                )
                self.counters["backlog"] += 1
                self.clients[i]["service"][s] = left
                self.join(i, s, 0.0, 0.0)
            ages = list(map(float, st.backlog.ages))
            ks = np.broadcast_to(st.backlog.classes, (len(ages),))
            for j in sorted(range(len(ages)), key=lambda j: -ages[j]):  # oldest first, stable
                age = ages[j]
                r = rng["backlog"]
                i = self.new_client(
                    self.counters["backlog"], "backlog", int(ks[j]), s, -age, r, r, r
                )
                self.counters["backlog"] += 1
                pat = self.stages[s].patience
                if pat is not None:
                    p, tries = self.clients[i]["patience"][s], 0
                    while p <= age and tries < 1000:
                        p = sample(pat, r)
                        tries += 1
                    self.clients[i]["patience"][s] = p if p > age else age + p
                self.join(i, s, -age, 0.0)

    # --- helpers -------------------------------------------------------------------------
    def push_background(self, s: int, t: float) -> None:
        times, rates, j = self.bg_state[s]
        e = self.rng["background"].exponential(1.0)
        while True:
            end = times[j + 1] if j + 1 < len(times) else math.inf
            if rates[j] > 0 and e <= rates[j] * (end - t):
                self.bg_state[s][2] = j
                heapq.heappush(self.heap, (t + e / rates[j], BACKGROUND, s))
                return
            if end == math.inf:
                return
            e -= rates[j] * (end - t)
            t, j = end, j + 1

    def service_dist(self, s: int, k: int) -> Dist:
        svc = self.stages[s].service
        return svc if isinstance(svc, Dist) else svc[k]

    def new_client(self, ident, source, k, entry, arrival, rs, rp, rr) -> int:
        c = {"id": ident, "source": source, "class": k, "entry": entry, "arrival": arrival}
        c["service"] = [sample(self.service_dist(s, k), rs) for s in range(self.S)]
        c["patience"] = [
            math.inf if st.patience is None else sample(st.patience, rp) for st in self.stages
        ]
        c["u"] = [rr.random() for _ in range(self.S)]
        self.clients.append(c)
        return len(self.clients) - 1

    def route_row(self, s: int, k: int) -> list[float]:
        names = [st.name for st in self.stages]
        routing = self.stages[s].routing
        if routing is None:
            return [0.0] * self.S + [1.0]
        if isinstance(routing, dict):
            row = [0.0] * (self.S + 1)
            for dest, p in routing.items():
                row[self.S if dest == "exit" else names.index(dest)] = p
            return row
        rows = np.asarray(routing, dtype=float)
        return list(rows if rows.ndim == 1 else rows[k])

    def expected_wait(self, s: int, k: int) -> float:
        c = self.servers[s]
        if c == 0:
            return math.inf
        if self.busy[s] < c:
            return 0.0
        ahead = sum(len(q) for q in self.queue[s][: k + 1])
        return (ahead + 1 + self.busy[s] - c) * self.service_dist(s, k).mean / c

    def join(self, i: int, s: int, arrive: float, t: float) -> None:
        k = self.clients[i]["class"]
        v = len(self.visits)
        self.visits.append(
            {
                "client": i,
                "stage": s,
                "arrive": arrive,
                "start": math.nan,
                "end": math.nan,
                "outcome": "waiting",
                "next": None,
                "adaptive": False,
            }
        )
        if self.servers[s] == 0:
            self.visits[v]["end"] = t
            target = self.stages[s].on_closure
            if target is None:
                self.visits[v]["outcome"] = "discharged"
                return
            self.visits[v]["outcome"] = "transferred"
            self.join(i, [st.name for st in self.stages].index(target), t, t)
        elif self.busy[s] < self.servers[s]:
            self.start(v, t)
        else:
            self.queue[s][k].append(v)
            p = self.clients[i]["patience"][s]
            if p < math.inf:
                heapq.heappush(self.heap, (max(arrive + p, t), RENEGE, v))

    def start(self, v: int, t: float) -> None:
        vis = self.visits[v]
        vis["start"], vis["outcome"] = t, "in_service"
        self.busy[vis["stage"]] += 1
        svc = self.clients[vis["client"]]["service"][vis["stage"]]
        heapq.heappush(self.heap, (t + svc, END, v))

    def fill(self, s: int, t: float) -> None:
        while self.busy[s] < self.servers[s] and any(self.queue[s]):
            k = next(k for k in range(self.K) if self.queue[s][k])
            self.start(self.queue[s][k].pop(0), t)

    def finish(self, v: int, t: float) -> None:
        vis = self.visits[v]
        i, s = vis["client"], vis["stage"]
        k = self.clients[i]["class"]
        self.busy[s] -= 1
        vis["end"], vis["outcome"] = t, "completed"
        self.fill(s, t)
        cum = np.cumsum(self.route_row(s, k))
        cum[-1] = 1.0
        u = self.clients[i]["u"][s]
        dest = next(j for j in range(self.S + 1) if cum[j] > u)
        rule = self.stages[s].adaptive
        if rule is not None:
            names = [st.name for st in self.stages]
            ext, home = names.index(rule.external), names.index(rule.in_house)
            wait = self.expected_wait(ext, k)
            if rule.then is not None:
                wait += self.expected_wait(names.index(rule.then), k)
            if (
                dest == ext
                and wait > rule.threshold_days
                and self.servers[home] > 0
                and self.expected_wait(home, k) <= rule.max_in_house_wait_days
            ):
                dest, vis["adaptive"] = home, True
        if dest == self.S:
            vis["next"] = "exit"
            return
        vis["next"] = dest
        self.join(i, dest, t, t)

    def close(self, s: int, t: float) -> None:
        target = self.stages[s].on_closure
        for k in range(self.K):
            waiting, self.queue[s][k] = self.queue[s][k], []
            for v in waiting:
                vis = self.visits[v]
                vis["end"] = t
                vis["outcome"] = "discharged" if target is None else "transferred"
                if target is not None:
                    names = [st.name for st in self.stages]
                    self.join(vis["client"], names.index(target), t, t)

    # --- the loop --------------------------------------------------------------------------
    def advance(self, until, arrival_times=(), client_ids=None, classes=0, entry_stages=0):
        times = np.asarray(arrival_times, dtype=float)
        ids = np.arange(times.size) if client_ids is None else np.asarray(client_ids)
        ks = np.broadcast_to(classes, times.shape)
        ss = np.broadcast_to(entry_stages, times.shape)
        order = sorted(range(times.size), key=lambda j: times[j])
        arrivals = [(times[j], int(ids[j]), int(ks[j]), int(ss[j])) for j in order]
        a = 0
        while True:
            th = self.heap[0][0] if self.heap else math.inf
            ta = arrivals[a][0] if a < len(arrivals) else math.inf
            if min(th, ta) >= until:
                return
            if th <= ta:
                t, kind, p = heapq.heappop(self.heap)
                if kind == END:
                    self.finish(p, t)
                elif kind == RENEGE:
                    vis = self.visits[p]
                    if vis["outcome"] == "waiting":
                        k = self.clients[vis["client"]]["class"]
                        self.queue[vis["stage"]][k].remove(p)
                        vis["end"], vis["outcome"] = t, "reneged"
                elif kind == BACKGROUND:
                    r = self.rng["background"]
                    background = self.stages[p].background
                    k = background.priority_class
                    if background.class_shares is not None:
                        cum = np.cumsum(background.class_shares)
                        cum[-1] = 1.0
                        k = min(int(np.searchsorted(cum, r.random(), side="right")), self.K - 1)
                    i = self.new_client(
                        self.counters["background"],
                        "background",
                        k,
                        p,
                        t,
                        r,
                        r,
                        r,
                    )
                    self.counters["background"] += 1
                    self.join(i, p, t, t)
                    self.push_background(p, t)
                else:
                    _, s, c = self.caps[p]
                    self.servers[s] = c
                    if c == 0:
                        self.close(s, t)
                    else:
                        self.fill(s, t)
            else:
                t, ident, k, s = arrivals[a]
                a += 1
                i = self.new_client(
                    ident,
                    "referral",
                    k,
                    s,
                    t,
                    self.rng["service"],
                    self.rng["patience"],
                    self.rng["routing"],
                )
                self.join(i, s, t, t)

"""The queueing network in plain Python: stages, capacity, routing, closure, external demand.

Descriptions are frozen dataclasses that only store what they are given; :func:`encode`
validates a :class:`Network` (raising ``ValueError`` with the stage and field at fault) and
turns it into the arrays of :class:`sim.queue.layout.Net`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from sim.queue.codes import UNLIMITED, UNLIMITED_SERVERS
from sim.queue.distributions import Dist, encode_dists
from sim.queue.layout import Net

#: A rate per day: a constant, or piecewise constant as (segment start times, rates).
Rate = float | tuple[Sequence[float], Sequence[float]]
#: Servers: a constant count, or a schedule (change times, counts); UNLIMITED (-1) allowed.
Servers = int | tuple[Sequence[float], Sequence[int]]
#: Routing over [stages..., "exit"]: a mapping {stage name or "exit": probability}, a row of
#: S + 1 probabilities, or one such row per class (K x (S + 1)).
Routing = Mapping[str, float] | Sequence[float] | Sequence[Sequence[float]]


@dataclass(frozen=True)
class Adaptive:
    """Send a client to in-house therapy instead of an external service whose wait is long.

    When routing after service picks ``external`` and its expected wait exceeds
    ``threshold_days``, the client goes to ``in_house`` instead, provided ``in_house`` is open
    and its own expected wait is at most ``max_in_house_wait_days`` (0: a free place now).
    Expected wait: 0 if a server is free, else (waiting in the client's class or more urgent
    + 1 + in service beyond capacity) x mean service time of the client's class / servers;
    with ``then``, that step's expected wait is added to the external's.
    """

    external: str
    in_house: str
    threshold_days: float
    max_in_house_wait_days: float = 0.0
    then: str | None = None
    """A step after ``external`` whose expected wait is added to the external's (e.g. NHS
    Talking Therapies' treatment after its first appointment: the hidden wait)."""


@dataclass(frozen=True)
class Background:
    """An external service's own demand: Poisson arrivals at ``rate`` (per day), all of
    ``priority_class``, or, with ``class_shares`` (one share per class), each arrival's class
    drawn from them (one uniform per arrival, from the background stream)."""

    rate: Rate
    priority_class: int = 0
    class_shares: Sequence[float] | None = None


@dataclass(frozen=True)
class Backlog:
    """Clients already there at t=0: waiting, with their waiting ages (days) and classes;
    and in service, with their remaining service times (days) and classes."""

    ages: Sequence[float]
    classes: Sequence[int] | int = 0
    in_service: Sequence[float] = ()
    in_service_classes: Sequence[int] | int = 0


@dataclass(frozen=True)
class Stage:
    """One stage of the pathway, in-house or external.

    Parameters
    ----------
    name
        Unique name ("exit" is reserved).
    servers
        Servers (WTE x productivity, as an integer), constant or a dated schedule starting at
        t=0. A drop to 0 closes the stage; ``UNLIMITED`` (-1) means no queue.
    service
        Service-time distribution, or one per class.
    patience
        Patience distribution (time from joining the queue to dropping out), None: never.
    routing
        Where clients go after service; None: everyone exits.
    on_closure
        While the stage is closed, waiting clients (and new arrivals) are discharged (None) or
        transferred to the named stage.
    adaptive, background, backlog
        Optional adaptive routing rule, external demand and initial backlog.
    """

    name: str
    servers: Servers
    service: Dist | Sequence[Dist]
    patience: Dist | None = None
    routing: Routing | None = None
    on_closure: str | None = None
    adaptive: Adaptive | None = None
    background: Background | None = None
    backlog: Backlog | None = None


@dataclass(frozen=True)
class Network:
    """Stages and the number of priority classes (0 = most urgent)."""

    stages: Sequence[Stage]
    n_classes: int = 1

    @property
    def names(self) -> tuple[str, ...]:
        """Stage names in order."""
        return tuple(s.name for s in self.stages)

    def index(self, stage: int | str) -> int:
        """Index of a stage given by name or index."""
        if isinstance(stage, str):
            if stage not in self.names:
                raise ValueError(f"unknown stage {stage!r}; stages are {list(self.names)}")
            return self.names.index(stage)
        if not 0 <= stage < len(self.stages):
            raise ValueError(f"stage index {stage} out of range 0..{len(self.stages) - 1}")
        return int(stage)


def piecewise(rate: Rate, what: str) -> tuple[np.ndarray, np.ndarray]:
    """(segment start times, rates) of a rate; the first segment starts at 0."""
    if np.isscalar(rate):
        times, rates = np.zeros(1), np.array([rate], dtype=float)
    else:
        times, rates = (np.asarray(a, dtype=float) for a in rate)
    if times.ndim != 1 or times.shape != rates.shape or times.size == 0:
        raise ValueError(f"{what}: times and rates must be 1-d of the same non-zero length")
    if times[0] != 0 or np.any(np.diff(times) <= 0):
        raise ValueError(f"{what}: times must start at 0 and increase, got {times.tolist()}")
    if not np.all(np.isfinite(rates) & (rates >= 0)):
        raise ValueError(f"{what}: rates must be finite and >= 0, got {rates.tolist()}")
    return times, rates


def encode(network: Network) -> Net:
    """Validate ``network`` and encode it as arrays for the kernels."""
    stages = list(network.stages)
    S, K = len(stages), network.n_classes
    if S == 0:
        raise ValueError("a network needs at least one stage")
    if not (isinstance(K, int | np.integer) and K >= 1):
        raise ValueError(f"n_classes must be an integer >= 1, got {K}")
    names = network.names
    if len(set(names)) != S or "exit" in names:
        raise ValueError(f"stage names must be unique and not 'exit', got {list(names)}")
    dists: list[Dist] = []
    svc = np.zeros((S, K), np.int64)
    pat = np.full(S, -1, np.int64)
    route = np.zeros((S, K, S + 1))
    closure = np.full(S, -1, np.int64)
    adapt = np.full((S, 3), -1, np.int64)
    adapt_par = np.zeros((S, 2))
    caps, servers0, bgs, backlog = [], np.zeros(S, np.int64), [], []
    bg_class = np.zeros(S, np.int64)
    bg_mixed = np.zeros(S, np.int64)
    bg_cum = np.ones((S, K))
    for s, st in enumerate(stages):
        where = f"stage {st.name!r}"
        per_class = [st.service] * K if isinstance(st.service, Dist) else list(st.service)
        if len(per_class) != K or not all(isinstance(d, Dist) for d in per_class):
            raise ValueError(f"{where}: service must be a Dist or one Dist per class ({K})")
        for k, d in enumerate(per_class):
            svc[s, k] = _add(dists, d)
        if st.patience is not None:
            if not isinstance(st.patience, Dist):
                raise ValueError(f"{where}: patience must be a Dist or None")
            pat[s] = _add(dists, st.patience)
        route[s] = _routing(st.routing, names, K, where)
        if st.on_closure is not None:
            closure[s] = _ref(network, st.on_closure, where, "on_closure")
            if closure[s] == s:
                raise ValueError(f"{where}: on_closure cannot transfer to the stage itself")
        if st.adaptive is not None:
            a = st.adaptive
            adapt[s] = (
                _ref(network, a.external, where, "adaptive.external"),
                _ref(network, a.in_house, where, "adaptive.in_house"),
                -1 if a.then is None else _ref(network, a.then, where, "adaptive.then"),
            )
            adapt_par[s] = a.threshold_days, a.max_in_house_wait_days
            if adapt[s, 0] == adapt[s, 1] or not np.all(adapt_par[s] >= 0):
                raise ValueError(
                    f"{where}: adaptive needs two different stages and thresholds >= 0"
                )
        times, counts = _schedule(st.servers, where)
        servers0[s] = counts[0]
        caps += [(t, s, c) for t, c in zip(times[1:], counts[1:], strict=True)]
        if st.background is not None:
            bgs.append(piecewise(st.background.rate, f"{where}: background rate"))
            bg_class[s] = _klass(st.background.priority_class, K, where)
            if st.background.class_shares is not None:
                bg_mixed[s] = 1
                bg_cum[s] = _class_cum(st.background.class_shares, K, where)
        else:
            bgs.append((np.zeros(0), np.zeros(0)))
        if st.backlog is not None:
            backlog.append(_backlog(st.backlog, s, K, where))
    _check_acyclic(route, closure, adapt, names)
    table = encode_dists(dists)
    cap = np.array(caps, dtype=float).reshape(-1, 3)
    bl = np.concatenate([np.empty((0, 4)), *backlog])
    return Net(
        svc_dist=svc,
        pat_dist=pat,
        dist_kind=table.kind,
        dist_par=table.par,
        dist_mean=table.mean,
        tab_off=table.tab_off,
        tab_val=table.tab_val,
        tab_cum=table.tab_cum,
        route_cum=route,
        closure_to=closure,
        adapt=adapt,
        adapt_par=adapt_par,
        cap_time=cap[:, 0].copy(),
        cap_stage=cap[:, 1].astype(np.int64),
        cap_servers=cap[:, 2].astype(np.int64),
        servers0=servers0,
        bg_off=np.concatenate([[0], np.cumsum([t.size for t, _ in bgs])]).astype(np.int64),
        bg_time=np.concatenate([t for t, _ in bgs]),
        bg_rate=np.concatenate([r for _, r in bgs]),
        bg_class=bg_class,
        bg_mixed=bg_mixed,
        bg_cum=bg_cum,
        backlog_age=bl[:, 0].copy(),
        backlog_stage=bl[:, 1].astype(np.int64),
        backlog_class=bl[:, 2].astype(np.int64),
        backlog_remaining=bl[:, 3].copy(),
    )


def _class_cum(shares: Sequence[float], K: int, where: str) -> np.ndarray:
    """Cumulative class shares of a background mix (the last made exactly 1)."""
    p = np.asarray(shares, dtype=float)
    if p.shape != (K,) or not np.all(np.isfinite(p) & (p >= 0)) or not np.isclose(p.sum(), 1):
        raise ValueError(
            f"{where}: background class_shares must be {K} shares >= 0 summing to 1, "
            f"got {list(shares)}"
        )
    cum = np.cumsum(p)
    cum[-1] = 1.0
    return cum


def _add(dists: list[Dist], d: Dist) -> int:
    if d not in dists:
        dists.append(d)
    return dists.index(d)


def _ref(network: Network, name: str, where: str, field: str) -> int:
    if name not in network.names:
        raise ValueError(f"{where}: {field} names unknown stage {name!r}")
    return network.names.index(name)


def _klass(k: int, K: int, where: str) -> int:
    if not (isinstance(k, int | np.integer) and 0 <= k < K):
        raise ValueError(f"{where}: class must be an integer in 0..{K - 1}, got {k}")
    return int(k)


def _routing(routing: Routing | None, names: tuple[str, ...], K: int, where: str) -> np.ndarray:
    S = len(names)
    if routing is None:
        rows = np.zeros((K, S + 1))
        rows[:, S] = 1.0
    elif isinstance(routing, Mapping):
        row = np.zeros(S + 1)
        for dest, p in routing.items():
            if dest != "exit" and dest not in names:
                raise ValueError(f"{where}: routing names unknown stage {dest!r}")
            row[S if dest == "exit" else names.index(dest)] = p
        rows = np.tile(row, (K, 1))
    else:
        rows = np.asarray(routing, dtype=float)
        rows = np.tile(rows, (K, 1)) if rows.ndim == 1 else rows
    if rows.shape != (K, S + 1):
        raise ValueError(
            f"{where}: routing must have shape ({K}, {S + 1}) or ({S + 1},) over "
            f"[stages..., exit], got {rows.shape}"
        )
    if not (np.all(np.isfinite(rows)) and np.all(rows >= 0)):
        raise ValueError(f"{where}: routing probabilities must be finite and >= 0")
    if not np.allclose(rows.sum(axis=1), 1.0, atol=1e-9):
        raise ValueError(f"{where}: routing rows must sum to 1, got {rows.sum(axis=1).tolist()}")
    cum = np.cumsum(rows, axis=1)
    cum[:, -1] = 1.0
    return cum


def _schedule(servers: Servers, where: str) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(servers, int | np.integer):
        times, counts = np.zeros(1), np.array([servers])
    else:
        times, counts = np.asarray(servers[0], dtype=float), np.asarray(servers[1])
    if times.ndim != 1 or times.shape != counts.shape or times.size == 0:
        raise ValueError(f"{where}: servers schedule needs 1-d times and counts of equal length")
    if times[0] != 0 or np.any(np.diff(times) <= 0) or not np.all(np.isfinite(times)):
        raise ValueError(
            f"{where}: servers schedule times must start at 0 and increase, got {times.tolist()}"
        )
    if not np.issubdtype(counts.dtype, np.integer) or np.any((counts < 0) & (counts != UNLIMITED)):
        raise ValueError(
            f"{where}: servers must be integers >= 0 or UNLIMITED (-1), got {counts.tolist()}"
        )
    return times, np.where(counts == UNLIMITED, UNLIMITED_SERVERS, counts).astype(np.int64)


def _backlog(backlog: Backlog, s: int, K: int, where: str) -> np.ndarray:
    """Rows (age, stage, class, remaining service): those in service first (age 0), then
    those waiting, oldest first (FIFO by arrival time)."""
    ages = np.asarray(backlog.ages, dtype=float)
    classes = np.broadcast_to(np.asarray(backlog.classes), ages.shape)
    remaining = np.asarray(backlog.in_service, dtype=float)
    busy_classes = np.broadcast_to(np.asarray(backlog.in_service_classes), remaining.shape)
    if ages.ndim != 1 or not np.all(np.isfinite(ages) & (ages >= 0)):
        raise ValueError(f"{where}: backlog ages must be a 1-d sequence of finite ages >= 0")
    if remaining.ndim != 1 or not np.all(np.isfinite(remaining) & (remaining >= 0)):
        raise ValueError(f"{where}: backlog in_service must be finite remaining times >= 0")
    for k in (classes, busy_classes):
        if k.size and (not np.issubdtype(k.dtype, np.integer) or np.any((k < 0) | (k >= K))):
            raise ValueError(f"{where}: backlog classes must be integers in 0..{K - 1}")
    order = np.argsort(-ages, kind="stable")
    busy = np.column_stack(
        [np.zeros(remaining.size), np.full(remaining.size, s), busy_classes, remaining]
    )
    waiting = np.column_stack(
        [ages[order], np.full(ages.size, s), classes[order], np.full(ages.size, np.nan)]
    )
    return np.concatenate([busy.reshape(-1, 4), waiting.reshape(-1, 4)])


def _check_acyclic(
    route_cum: np.ndarray, closure: np.ndarray, adapt: np.ndarray, names: tuple[str, ...]
) -> None:
    """Routing, closure transfers and adaptive reroutes must not form a cycle.

    A client who revisits a stage reuses their draws there (common random numbers), so a
    client sent round a cycle once would go round it for ever; pathways are acyclic.
    """
    S = len(names)
    probs = np.diff(route_cum, axis=2, prepend=0.0)
    edges = [set(np.flatnonzero(probs[s, :, :S].max(axis=0) > 0).tolist()) for s in range(S)]
    for s in range(S):
        if closure[s] >= 0:
            edges[s].add(int(closure[s]))
        if adapt[s, 0] >= 0:
            edges[s].add(int(adapt[s, 1]))  # the rule's `then` step is only watched
    state = [0] * S  # 0 unvisited, 1 on the current path, 2 done

    def visit(s: int, path: list[int]) -> None:
        state[s] = 1
        for d in sorted(edges[s]):
            if state[d] == 1:
                cycle = " -> ".join(names[j] for j in [*path[path.index(d) :], d])
                raise ValueError(
                    f"routing forms a cycle ({cycle}): a client who revisits a stage reuses "
                    "their draws there, so they would go round for ever; make the pathway "
                    "acyclic"
                )
            if state[d] == 0:
                visit(d, [*path, d])
        state[s] = 2

    for s in range(S):
        if state[s] == 0:
            visit(s, [s])

"""``QueueCore``: the resumable engine behind a small typed wrapper.

The wrapper validates and encodes the network, owns the state arrays between calls, sorts and
checks each call's referrals, grows arrays when the kernel runs short of room, and returns
what happened as arrays (:class:`Events`) or tidy tables (:mod:`sim.queue.records`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from sim.queue import engine
from sim.queue.client_draws import ClientDraws, draw_clients
from sim.queue.codes import Event, VisitOutcome
from sim.queue.layout import (
    F_NOW,
    I_CURSOR,
    I_LOG,
    I_LOG_ON,
    I_NEED,
    I_VISITS,
    Arrivals,
    State,
    Streams,
    allocate,
    ensure_room,
)
from sim.queue.network import Backlog, Network, encode
from sim.queue.records import Records, snapshot
from sim.queue.views import state_view
from sim.streams import stream

#: Stream names, one per random process (see docs/queue.md for what each one draws).
STREAM_NAMES = ("service", "patience", "routing", "background", "backlog")


@dataclass(frozen=True)
class Events:
    """What happened to referred clients during one :meth:`QueueCore.advance` call, in order."""

    client_id: np.ndarray  # int64: the caller's client id
    code: np.ndarray  # int64: an :class:`~sim.queue.codes.Event`
    stage: np.ndarray  # int64: stage index (see Event for joining events)
    time: np.ndarray  # float64: days since t=0

    def __len__(self) -> int:
        return self.time.size

    def to_frame(self, stage_names: Sequence[str] | None = None) -> pd.DataFrame:
        """The events as a table with readable event (and stage) names."""
        names = [e.name.lower() for e in Event]
        frame = pd.DataFrame(
            {
                "client_id": self.client_id,
                "event": pd.Categorical.from_codes(self.code, names),
                "stage": self.stage,
                "time": self.time,
            }
        )
        if stage_names is not None:
            frame["stage"] = pd.Categorical.from_codes(self.stage, list(stage_names))
        return frame


class QueueCore:
    """A queueing network advanced in calls, keeping its state in arrays between them.

    Parameters
    ----------
    network
        The network (validated here; ``ValueError`` on bad input).
    seed, replication
        Root seed and replication: the streams of :data:`STREAM_NAMES` come from
        :func:`sim.streams.stream`.
    log_events
        Keep the event log returned by :meth:`advance` (off for standalone runs).

    Examples
    --------
    >>> from sim.queue import Dist, Network, QueueCore, Stage
    >>> net = Network([Stage("hub", servers=2, service=Dist.exponential(0.5))])
    >>> core = QueueCore(net, seed=1)
    >>> events = core.advance(1.0, arrival_times=[0.1, 0.2], client_ids=[7, 9])
    >>> int(events.client_id[0])
    7
    """

    def __init__(
        self, network: Network, seed: int, replication: int = 0, *, log_events: bool = True
    ) -> None:
        self.network = network
        self.seed = seed
        self.replication = replication
        self._net = encode(network)
        self._rngs = Streams(*(stream(seed, name, replication) for name in STREAM_NAMES))
        n0 = sum(
            len(s.backlog.ages) + len(s.backlog.in_service)
            for s in network.stages
            if s.backlog is not None
        )
        S = len(network.stages)
        # Set-up pushes every dated capacity change onto the event heap at once (a part-time
        # server is two a week: over years, thousands), and the backlog: room for all.
        room = 1024 + (S + 2) * n0 + self._net.cap_time.shape[0]
        self._state: State = allocate(S, network.n_classes, room)
        self._state.core.si[I_LOG_ON] = int(log_events)
        self._state = ensure_room(self._state, n0, room, 1)
        no_arrivals = Arrivals(
            np.zeros(0), *(np.zeros(0, np.int64) for _ in range(3)), *ClientDraws.none(S)
        )
        args = (self._net, state_view(self._state, no_arrivals), self._rngs, 0.0, 1)
        engine.run(*args)

    @property
    def now(self) -> float:
        """Time up to which the network has been advanced (days)."""
        return float(self._state.core.sf[F_NOW])

    def advance(
        self,
        until: float,
        arrival_times: Sequence[float] | np.ndarray = (),
        client_ids: Sequence[int] | np.ndarray | None = None,
        classes: Sequence[int] | np.ndarray | int = 0,
        entry_stages: Sequence[int | str] | np.ndarray | int | str = 0,
        draws: ClientDraws | None = None,
    ) -> Events:
        """Run every event before ``until`` with these referrals; return what happened to them.

        Parameters
        ----------
        until
            Advance to this time (days); events at exactly ``until`` belong to the next call.
        arrival_times
            Referral times in [now, until), any order (ties keep the given order).
        client_ids
            Non-negative int64 ids (default: 0, 1, ...), echoed in events and records.
        classes, entry_stages
            Priority class (0 = most urgent) and stage (index or name) of each referral.
        draws
            Each referral's draws, made by the caller (:meth:`draw_clients`); by default the
            engine draws them from its streams in arrival order.
        """
        arr = self._arrivals(until, arrival_times, client_ids, classes, entry_stages, draws)
        st = self._state
        st.core.si[I_LOG] = 0
        st.core.si[I_CURSOR] = 0
        # Room for every referral's first visit up front: fewer kernel re-entries to grow.
        st = ensure_room(st, arr.a_time.size, 64 + arr.a_time.size, int(np.ceil(until)) + 1)
        while engine.run(self._net, state_view(st, arr), self._rngs, float(until), 0):
            need = int(st.core.si[I_NEED])
            st = ensure_room(st, need + arr.a_time.size, need, 0)
        self._state = st
        n = int(st.core.si[I_LOG])
        log = st.log
        return Events(
            st.clients.c_ident[log.e_client[:n]],
            log.e_code[:n].copy(),
            log.e_stage[:n].copy(),
            log.e_time[:n].copy(),
        )

    def expected_wait(self, stage: int | str, klass: int = 0) -> float:
        """Expected wait (days) of a class-``klass`` client joining ``stage`` now: the rule of
        the adaptive routing (0 if a server is free, inf if the stage is closed)."""
        s = self.network.index(stage)
        if not 0 <= klass < self.network.n_classes:
            raise ValueError(f"class {klass} out of range 0..{self.network.n_classes - 1}")
        core, net = self._state.core, self._net
        # The kernel's rule (engine.expected_wait), in numpy scalars: the same float operations.
        c = core.servers[s]
        if c == 0:
            return float("inf")
        if core.busy[s] < c:
            return 0.0
        ahead = core.nq[s, : klass + 1].sum()
        return float((ahead + 1 + core.busy[s] - c) * net.dist_mean[net.svc_dist[s, klass]] / c)

    def present(self) -> dict[str, Backlog]:
        """Everyone in the network now, per stage, as a `Backlog` that starts another network
        in this state: those waiting with their waiting ages and classes (oldest first),
        those in service with their remaining service times and classes."""
        st, now = self._state, self.now
        n = int(st.core.si[I_VISITS])
        visits = st.visits
        stage, outcome = visits.v_stage[:n], visits.v_outcome[:n]
        client = visits.v_client[:n]
        klass = st.clients.c_klass[client]
        present = {}
        for s, name in enumerate(self.network.names):
            waiting = np.flatnonzero((stage == s) & (outcome == VisitOutcome.WAITING))
            busy = np.flatnonzero((stage == s) & (outcome == VisitOutcome.IN_SERVICE))
            ends = visits.v_start[busy] + st.clients.c_service[client[busy], s]
            present[name] = Backlog(
                ages=(now - visits.v_arrive[waiting]).tolist(),
                classes=klass[waiting].tolist(),
                in_service=np.maximum(ends - now, 0.0).tolist(),
                in_service_classes=klass[busy].tolist(),
            )
        return present

    def draw_clients(
        self, classes: Sequence[int] | np.ndarray, generators: Iterable[np.random.Generator]
    ) -> ClientDraws:
        """Draws for referrals of ``classes``, referral j's from the j-th generator, as the
        engine would make them from that generator (see :mod:`sim.queue.client_draws`)."""
        return draw_clients(self._net, np.asarray(classes, np.int64), generators)

    def records(self) -> Records:
        """Copies of the per-client, per-visit and per-day records so far."""
        return snapshot(self._state, self.network.names)

    def _arrivals(self, until, times, ids, classes, stages, draws) -> Arrivals:
        now = self.now
        if not np.isfinite(until) or until <= now:
            raise ValueError(f"until must be finite and > now ({now}), got {until}")
        t = np.asarray(times, dtype=float).ravel()
        if t.size and not (np.all(np.isfinite(t)) and t.min() >= now and t.max() < until):
            raise ValueError(f"arrival times must lie in [now={now}, until={until})")
        ids = np.arange(t.size) if ids is None else np.asarray(ids)
        if isinstance(stages, str) or np.ndim(stages) == 0:
            stages = np.full(t.size, self.network.index(stages))
        else:
            stages = np.array([self.network.index(s) for s in stages], dtype=np.int64)
        k = np.broadcast_to(np.asarray(classes), t.shape)
        for name, a in (("client_ids", ids), ("classes", k), ("entry_stages", stages)):
            if a.shape != t.shape:
                raise ValueError(
                    f"{name} must have one entry per arrival ({t.size}), got shape {a.shape}"
                )
            if a.size and not np.issubdtype(a.dtype, np.integer):
                raise ValueError(f"{name} must be integers")
        if ids.size and ids.min() < 0:
            raise ValueError("client_ids must be >= 0")
        K = self.network.n_classes
        if k.size and (k.min() < 0 or k.max() >= K):
            raise ValueError(f"classes must lie in 0..{K - 1}")
        order = np.argsort(t, kind="stable")
        S = len(self.network.stages)
        if draws is None:
            draws = ClientDraws.none(S)
        elif any(a.shape != (t.size, S) for a in draws):
            raise ValueError(f"draws must have one row of {S} stages per arrival ({t.size})")
        else:
            draws = ClientDraws(*(a[order] for a in draws))
        return Arrivals(
            t[order],
            ids[order].astype(np.int64),
            k[order].astype(np.int64),
            stages[order].astype(np.int64),
            *(np.ascontiguousarray(a, dtype=np.float64) for a in draws),
        )

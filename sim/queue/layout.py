"""The arrays the kernels work on, grouped in named tuples, and how they are allocated and grown.

Everything the engine knows lives here: ``Net`` (the network, read-only) and ``State``
(queues, event list, records, daily series). The kernels only index these arrays; the
Python wrapper allocates them and doubles a group when the kernel reports it is short of room.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

# Slots of the integer scalar array ``Core.si``.
I_CLIENTS = 0  # clients created
I_VISITS = 1  # stage visits created
I_LOG = 2  # events logged in this call
I_HEAP = 3  # entries in the event heap
I_CURSOR = 4  # next arrival of this call to process
I_DAY = 5  # next day boundary (day I_DAY - 1 is closed when time reaches I_DAY)
I_WAITING = 6  # clients waiting, all stages
I_BG_IDS = 7  # background clients created (their ids)
I_BACKLOG_IDS = 8  # backlog clients created (their ids)
I_LOG_ON = 9  # 1: log referral events
I_NEED = 10  # room the kernel asked for when it stopped short
N_SI = 11
# Slot of the float scalar array ``Core.sf``.
F_NOW = 0
N_SF = 1

# Columns of ``Daily.count``.
D_WAITING = 0  # end-of-day snapshot
D_IN_SERVICE = 1  # end-of-day snapshot
D_ARRIVALS = 2
D_STARTS = 3
D_COMPLETIONS = 4
D_RENEGED = 5
D_DISCHARGED = 6
D_TRANSFERRED = 7
N_DAILY = 8
DAILY_COLUMNS = (
    "waiting",
    "in_service",
    "arrivals",
    "starts",
    "completions",
    "reneged",
    "discharged",
    "transferred",
)


class Net(NamedTuple):
    """The network as arrays (S stages, K classes, D distributions)."""

    svc_dist: np.ndarray  # int64[S, K]: distribution of service time
    pat_dist: np.ndarray  # int64[S]: distribution of patience, -1 = never reneges
    dist_kind: np.ndarray  # int64[D]
    dist_par: np.ndarray  # float64[D, 2]
    dist_mean: np.ndarray  # float64[D]
    tab_off: np.ndarray  # int64[D + 1]
    tab_val: np.ndarray  # float64[T]
    tab_cum: np.ndarray  # float64[T]
    route_cum: np.ndarray  # float64[S, K, S + 1]: cumulative routing over [stages..., EXIT]
    closure_to: np.ndarray  # int64[S]: -1 discharge, else transfer stage
    adapt: np.ndarray  # int64[S, 3]: (watched external stage, in-house stage, its next step
    # whose expected wait adds, -1 = none); -1 = no rule
    adapt_par: np.ndarray  # float64[S, 2]: (wait threshold, max in-house expected wait)
    cap_time: np.ndarray  # float64[C]: capacity changes after t=0, sorted by (stage, time)
    cap_stage: np.ndarray  # int64[C]
    cap_servers: np.ndarray  # int64[C]
    servers0: np.ndarray  # int64[S]: servers at t=0
    bg_off: np.ndarray  # int64[S + 1]: background rate segments of s are bg_off[s]:bg_off[s+1]
    bg_time: np.ndarray  # float64[B]: segment start times
    bg_rate: np.ndarray  # float64[B]: arrivals per day
    bg_class: np.ndarray  # int64[S]: class of background clients (one class)
    bg_mixed: np.ndarray  # int64[S]: 1 = class drawn per arrival from bg_cum (a mix)
    bg_cum: np.ndarray  # float64[S, K]: cumulative class shares of a mix
    backlog_age: np.ndarray  # float64[N0]: sorted by stage, then oldest first
    backlog_stage: np.ndarray  # int64[N0]
    backlog_class: np.ndarray  # int64[N0]
    backlog_remaining: np.ndarray  # float64[N0]: remaining service of those in service, NaN
    # for those waiting (in service first within a stage)


class Core(NamedTuple):
    """Scalars, per-stage queues and the event heap."""

    si: np.ndarray  # int64[N_SI]
    sf: np.ndarray  # float64[N_SF]
    servers: np.ndarray  # int64[S]
    busy: np.ndarray  # int64[S]
    nwait: np.ndarray  # int64[S]
    bg_seg: np.ndarray  # int64[S]: current background rate segment
    nq: np.ndarray  # int64[S, K]: waiting
    nbusy: np.ndarray  # int64[S, K]: in service
    head: np.ndarray  # int64[S, K]: first visit of the FIFO list (-1 empty)
    tail: np.ndarray  # int64[S, K]
    area: np.ndarray  # float64[S, K, 2]: integral of (waiting, in service) since the day began
    last: np.ndarray  # float64[S, K]: time ``area`` was last brought up to date
    h_time: np.ndarray  # float64[H]: event heap keyed by (time, id)
    h_id: np.ndarray  # int64[H]: kind << 56 | payload


class Clients(NamedTuple):
    """One row per client, with the random draws made when the client was created."""

    c_ident: np.ndarray  # int64[N]: caller's id (referrals) or running number per source
    c_source: np.ndarray  # int64[N]
    c_klass: np.ndarray  # int64[N]
    c_entry: np.ndarray  # int64[N]: stage entered
    c_arrival: np.ndarray  # float64[N]
    c_last: np.ndarray  # int64[N]: latest visit
    c_service: np.ndarray  # float64[N, S]: service time at each stage
    c_patience: np.ndarray  # float64[N, S]: patience at each stage (inf = never)
    c_route_u: np.ndarray  # float64[N, S]: uniform that picks the destination after each stage


class Visits(NamedTuple):
    """One row per (client, stage) visit."""

    v_client: np.ndarray  # int64[V]
    v_stage: np.ndarray  # int64[V]
    v_outcome: np.ndarray  # int64[V]
    v_next: np.ndarray  # int64[V]: EXIT (-1), NOT_ROUTED (-2) or a stage
    v_adaptive: np.ndarray  # int64[V]: 1 if the adaptive rule chose next_stage
    v_link: np.ndarray  # int64[V]: next visit in the same FIFO list
    v_arrive: np.ndarray  # float64[V]
    v_start: np.ndarray  # float64[V]: NaN until service starts
    v_end: np.ndarray  # float64[V]: NaN until the visit ends


class Log(NamedTuple):
    """Referral events of the current ``advance`` call."""

    e_client: np.ndarray  # int64[E]: client row
    e_code: np.ndarray  # int64[E]
    e_stage: np.ndarray  # int64[E]
    e_time: np.ndarray  # float64[E]


class Daily(NamedTuple):
    """Per-day series; day d covers [d, d + 1)."""

    d_count: np.ndarray  # int64[days, S, K, N_DAILY]
    d_area: np.ndarray  # float64[days, S, K, 2]: time-average (waiting, in service) over the day
    d_servers: np.ndarray  # int64[days, S]: servers at the end of the day


class State(NamedTuple):
    """Everything that changes as the engine runs."""

    core: Core
    clients: Clients
    visits: Visits
    log: Log
    daily: Daily


class Arrivals(NamedTuple):
    """Referrals passed to one ``advance`` call, sorted by time."""

    a_time: np.ndarray  # float64[A]
    a_ident: np.ndarray  # int64[A]
    a_klass: np.ndarray  # int64[A]
    a_stage: np.ndarray  # int64[A]
    # Draws made by the caller, one row per referral ([0, S] when the engine draws them):
    a_service: np.ndarray  # float64[A, S]
    a_patience: np.ndarray  # float64[A, S]
    a_route: np.ndarray  # float64[A, S]


class Streams(NamedTuple):
    """One generator per random process."""

    service: np.random.Generator
    patience: np.random.Generator
    routing: np.random.Generator
    background: np.random.Generator
    backlog: np.random.Generator


def allocate(n_stages: int, n_classes: int, room: int = 1024) -> State:
    """Empty state with room for ``room`` clients, visits, log entries and heap entries."""
    S, K = n_stages, n_classes
    i64, f64 = np.int64, np.float64
    core = Core(
        si=np.zeros(N_SI, i64),
        sf=np.zeros(N_SF, f64),
        servers=np.zeros(S, i64),
        busy=np.zeros(S, i64),
        nwait=np.zeros(S, i64),
        bg_seg=np.zeros(S, i64),
        nq=np.zeros((S, K), i64),
        nbusy=np.zeros((S, K), i64),
        head=np.full((S, K), -1, i64),
        tail=np.full((S, K), -1, i64),
        area=np.zeros((S, K, 2), f64),
        last=np.zeros((S, K), f64),
        h_time=np.zeros(room, f64),
        h_id=np.zeros(room, i64),
    )
    clients = Clients(
        *(np.zeros(room, i64) for _ in range(4)),
        np.zeros(room, f64),
        np.zeros(room, i64),
        *(np.zeros((room, S), f64) for _ in range(3)),
    )
    visits = Visits(
        *(np.zeros(room, i64) for _ in range(6)), *(np.zeros(room, f64) for _ in range(3))
    )
    log = Log(*(np.zeros(room, i64) for _ in range(3)), np.zeros(room, f64))
    daily = Daily(
        np.zeros((0, S, K, N_DAILY), i64), np.zeros((0, S, K, 2), f64), np.zeros((0, S), i64)
    )
    core.si[I_DAY] = 1
    return State(core, clients, visits, log, daily)


def _grown(group: NamedTuple, size: int) -> NamedTuple:
    """``group`` with every array's first axis enlarged to ``size`` (contents kept)."""
    out = []
    for a in group:
        b = np.zeros((size, *a.shape[1:]), a.dtype)
        b[: a.shape[0]] = a
        out.append(b)
    return type(group)(*out)


def _target(size: int, needed: int) -> int:
    while size < needed:
        size *= 2
    return size


def ensure_room(state: State, clients: int, rows: int, days: int) -> State:
    """``state`` with room for ``clients`` more clients, ``rows`` more visits, log entries and
    heap entries, and daily series up to day ``days`` (doubling, so growth is amortised)."""
    core, si = state.core, state.core.si
    if core.h_time.shape[0] - si[I_HEAP] < rows:
        size = _target(core.h_time.shape[0], si[I_HEAP] + rows)
        core = core._replace(h_time=np.resize(core.h_time, size), h_id=np.resize(core.h_id, size))
    group = state.clients
    if group.c_ident.shape[0] - si[I_CLIENTS] < clients:
        group = _grown(group, _target(group.c_ident.shape[0], si[I_CLIENTS] + clients))
    visits = state.visits
    if visits.v_client.shape[0] - si[I_VISITS] < rows:
        visits = _grown(visits, _target(visits.v_client.shape[0], si[I_VISITS] + rows))
    log = state.log
    if log.e_client.shape[0] - si[I_LOG] < rows:
        log = _grown(log, _target(log.e_client.shape[0], si[I_LOG] + rows))
    daily = state.daily
    if daily.d_servers.shape[0] < days:
        daily = _grown(daily, _target(max(daily.d_servers.shape[0], 64), days))
    return State(core, group, visits, log, daily)

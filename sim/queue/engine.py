"""Compiled event kernels: pure functions over the arrays of :mod:`sim.queue.layout`.

The engine is a classic next-event simulation (Law, *Simulation Modeling and Analysis*, ch. 1):
a binary heap of pending events keyed by (time, id), where id = kind << 56 | payload, so equal
times are broken by kind (capacity change, service end, reneging, background arrival) then by
payload; referrals come from a sorted array merged with the heap (heap first on ties). Queues
are per (stage, class) FIFO linked lists threaded through the visit rows; a client who reneges
stays in the list, marked, and is skipped when the list is popped (lazy deletion), and so do
their pending reneging events once they start service.

No Python objects, I/O or validation here; the wrapper in :mod:`sim.queue.core` does that.

Compilation layout (for speed, see docs/queue.md): :func:`run` is the one compiled entry point.
The helpers are inlined into it (``inline="always"``) and it receives the arrays as flat named
tuples, so inside it every array is a plain value: no call, no pointer chase, no reference
counting per access. Every event that makes a client join a stage ends at the one ``_join``
call of ``run``, so each hot helper is inlined once (numba copies an inlined body per call
site, and compile time grows quickly with the copies). The rare paths (set-up, capacity
changes) are separate functions. The kernels allocate nothing, so they are compiled without
numba's reference-counting runtime (``_nrt=False``; ``run`` is a shell with it, see there);
``error_model="numpy"`` drops the division-by-zero checks (no kernel divides by zero).
"""

from __future__ import annotations

import numpy as np
from numba import njit

from sim.kernel_cache import use_kernel_cache
from sim.queue.codes import EXIT, NOT_ROUTED, DistKind, Event, Source, VisitOutcome
from sim.queue.layout import (
    D_ARRIVALS,
    D_COMPLETIONS,
    D_DISCHARGED,
    D_IN_SERVICE,
    D_RENEGED,
    D_STARTS,
    D_TRANSFERRED,
    D_WAITING,
    F_NOW,
    I_BACKLOG_IDS,
    I_BG_IDS,
    I_CLIENTS,
    I_CURSOR,
    I_DAY,
    I_HEAP,
    I_LOG,
    I_LOG_ON,
    I_NEED,
    I_VISITS,
    I_WAITING,
)

use_kernel_cache()  # before the kernels are defined (see sim/kernel_cache.py)

# Event kinds in the heap, in the order they are handled at equal times.
H_CAPACITY, H_END, H_RENEGE, H_BACKGROUND = 0, 1, 2, 3
SHIFT = 56
MASK = (1 << SHIFT) - 1
# Return codes of ``advance``.
DONE, NEED_ROOM = 0, 1

EXPONENTIAL, LOGNORMAL, GAMMA, FIXED = (int(k) for k in list(DistKind)[:4])
WAITING, IN_SERVICE, COMPLETED = int(VisitOutcome.WAITING), int(VisitOutcome.IN_SERVICE), 2
RENEGED, DISCHARGED, TRANSFERRED = int(VisitOutcome.RENEGED), int(VisitOutcome.DISCHARGED), 5
REFERRAL, BACKGROUND, BACKLOG = int(Source.REFERRAL), int(Source.BACKGROUND), int(Source.BACKLOG)
E_ARRIVED, E_STARTED, E_FINISHED = int(Event.ARRIVED), int(Event.STARTED), int(Event.FINISHED)
E_ROUTED, E_REROUTED, E_TRANSFERRED = int(Event.ROUTED), int(Event.REROUTED), 5
E_EXITED, E_RENEGED, E_DISCHARGED = int(Event.EXITED), int(Event.RENEGED), 8
assert COMPLETED == VisitOutcome.COMPLETED and TRANSFERRED == VisitOutcome.TRANSFERRED
assert E_TRANSFERRED == Event.TRANSFERRED and E_DISCHARGED == Event.DISCHARGED


@njit(inline="always")
def draw(net, d, rng):
    """One draw from distribution ``d``; FIXED consumes no random number."""
    kind = net.dist_kind[d]
    if kind == EXPONENTIAL:
        return rng.exponential(net.dist_par[d, 0])
    if kind == LOGNORMAL:
        return rng.lognormal(net.dist_par[d, 0], net.dist_par[d, 1])
    if kind == GAMMA:
        return rng.gamma(net.dist_par[d, 0], net.dist_par[d, 1])
    if kind == FIXED:
        return net.dist_par[d, 0]
    lo, hi = net.tab_off[d], net.tab_off[d + 1]
    return net.tab_val[min(bisect_right(net.tab_cum, lo, hi, rng.random()), hi - 1)]


@njit(inline="always")
def bisect_right(a, lo, hi, x):
    """First index j in [lo, hi) with a[j] > x (hi if none); a[lo:hi] sorted.

    Hand-written: calling np.searchsorted makes the enclosing kernels ~10x slower."""
    while lo < hi:
        mid = (lo + hi) >> 1
        if a[mid] > x:
            hi = mid
        else:
            lo = mid + 1
    return lo


@njit(inline="always")
def _push(st, t, ident):
    ht, hi = st.h_time, st.h_id
    j = st.si[I_HEAP]
    st.si[I_HEAP] = j + 1
    while j > 0:
        p = (j - 1) >> 1
        if ht[p] < t or (ht[p] == t and hi[p] < ident):
            break
        ht[j] = ht[p]
        hi[j] = hi[p]
        j = p
    ht[j] = t
    hi[j] = ident


@njit(inline="always")
def _pop(st):
    ht, hi = st.h_time, st.h_id
    top_t, top_id = ht[0], hi[0]
    n = st.si[I_HEAP] - 1
    st.si[I_HEAP] = n
    t, ident = ht[n], hi[n]
    j = 0
    while True:
        c = 2 * j + 1
        if c >= n:
            break
        if c + 1 < n and (ht[c + 1] < ht[c] or (ht[c + 1] == ht[c] and hi[c + 1] < hi[c])):
            c += 1
        if t < ht[c] or (t == ht[c] and ident < hi[c]):
            break
        ht[j] = ht[c]
        hi[j] = hi[c]
        j = c
    ht[j] = t
    hi[j] = ident
    return top_t, top_id


@njit(inline="always")
def _log(st, i, code, s, t):
    si = st.si
    if si[I_LOG_ON] == 1 and st.c_source[i] == REFERRAL:
        n = si[I_LOG]
        st.e_client[n] = i
        st.e_code[n] = code
        st.e_stage[n] = s
        st.e_time[n] = t
        si[I_LOG] = n + 1


@njit(inline="always")
def _touch(st, s, k, t):
    """Bring the time integrals of (waiting, in service) of (s, k) up to time t."""
    dt = t - st.last[s, k]
    st.area[s, k, 0] += st.nq[s, k] * dt
    st.area[s, k, 1] += st.nbusy[s, k] * dt
    st.last[s, k] = t


@njit(inline="always")
def _roll_days(st, t):
    """Close every day whose end is at or before t: snapshots and time averages."""
    S, K = st.nq.shape
    while st.si[I_DAY] <= t:
        b = st.si[I_DAY]
        d = b - 1
        for s in range(S):
            st.d_servers[d, s] = st.servers[s]
            for k in range(K):
                _touch(st, s, k, float(b))
                st.d_area[d, s, k, 0] = st.area[s, k, 0]
                st.d_area[d, s, k, 1] = st.area[s, k, 1]
                st.area[s, k, 0] = 0.0
                st.area[s, k, 1] = 0.0
                st.d_count[d, s, k, D_WAITING] = st.nq[s, k]
                st.d_count[d, s, k, D_IN_SERVICE] = st.nbusy[s, k]
        st.si[I_DAY] = b + 1


@njit(inline="always")
def _new_client(net, st, ident, source, k, entry, arrival, rs, rp, rr, row):
    """Create a client and make all their draws: service, patience, routing at every stage.

    With ``row`` >= 0 the draws were made by the caller (referral ``row`` of this call's
    arrivals, keyed by the client, see :mod:`sim.queue.client_draws`) and are copied."""
    i = st.si[I_CLIENTS]
    st.si[I_CLIENTS] = i + 1
    st.c_ident[i] = ident
    st.c_source[i] = source
    st.c_klass[i] = k
    st.c_entry[i] = entry
    st.c_arrival[i] = arrival
    st.c_last[i] = -1
    S = net.pat_dist.shape[0]
    if row >= 0:
        for s in range(S):
            st.c_service[i, s] = st.a_service[row, s]
            st.c_patience[i, s] = st.a_patience[row, s]
            st.c_route_u[i, s] = st.a_route[row, s]
        return i
    for s in range(S):
        st.c_service[i, s] = draw(net, net.svc_dist[s, k], rs)
    for s in range(S):
        d = net.pat_dist[s]
        st.c_patience[i, s] = np.inf if d < 0 else draw(net, d, rp)
    for s in range(S):
        st.c_route_u[i, s] = rr.random()
    return i


@njit(inline="always")
def _start(net, st, v, t):
    i, s = st.v_client[v], st.v_stage[v]
    k = st.c_klass[i]
    _touch(st, s, k, t)
    st.nbusy[s, k] += 1
    st.busy[s] += 1
    st.v_start[v] = t
    st.v_outcome[v] = IN_SERVICE
    _push(st, t + st.c_service[i, s], (H_END << SHIFT) | v)
    _log(st, i, E_STARTED, s, t)
    st.d_count[int(t), s, k, D_STARTS] += 1


@njit(inline="always")
def _dequeue(st, s, k, t):
    """Count one client of class k out of the queue of stage s at time t."""
    _touch(st, s, k, t)
    st.nq[s, k] -= 1
    st.nwait[s] -= 1
    st.si[I_WAITING] -= 1


@njit(inline="always")
def _unqueue(st, v, t, outcome):
    """Waiting visit v leaves the queue at t without service, ending with ``outcome``."""
    _dequeue(st, st.v_stage[v], st.c_klass[st.v_client[v]], t)
    st.v_outcome[v] = outcome
    st.v_end[v] = t


@njit(inline="always")
def _join(net, st, i, s, arrive, t, code):
    """Client i joins stage s (having arrived there at ``arrive``; now is t).

    A closed stage applies its closure policy at once (discharge, or transfer onwards);
    otherwise the client starts if a server is free (then nobody is waiting) or queues.
    """
    k = st.c_klass[i]
    while True:
        v = st.si[I_VISITS]
        st.si[I_VISITS] = v + 1
        st.v_client[v] = i
        st.v_stage[v] = s
        st.v_outcome[v] = WAITING
        st.v_next[v] = NOT_ROUTED
        st.v_adaptive[v] = 0
        st.v_link[v] = -1
        st.v_arrive[v] = arrive
        st.v_start[v] = np.nan
        st.v_end[v] = np.nan
        st.c_last[i] = v
        _log(st, i, code, s, t)
        if arrive >= 0:
            st.d_count[int(t), s, k, D_ARRIVALS] += 1
        if st.servers[s] == 0:
            st.v_end[v] = t
            if net.closure_to[s] < 0:
                st.v_outcome[v] = DISCHARGED
                _log(st, i, E_DISCHARGED, s, t)
                st.d_count[int(t), s, k, D_DISCHARGED] += 1
                return
            st.v_outcome[v] = TRANSFERRED
            st.d_count[int(t), s, k, D_TRANSFERRED] += 1
            s = net.closure_to[s]
            arrive = t
            code = E_TRANSFERRED
            continue
        if st.busy[s] < st.servers[s]:
            _start(net, st, v, t)
            return
        _touch(st, s, k, t)
        if st.tail[s, k] < 0:
            st.head[s, k] = v
        else:
            st.v_link[st.tail[s, k]] = v
        st.tail[s, k] = v
        st.nq[s, k] += 1
        st.nwait[s] += 1
        st.si[I_WAITING] += 1
        p = st.c_patience[i, s]
        if p < np.inf:
            _push(st, max(arrive + p, t), (H_RENEGE << SHIFT) | v)
        return


@njit(inline="always")
def _fill(net, st, s, t):
    """Start waiting clients at s while servers are free: most urgent class first, FIFO."""
    K = st.nq.shape[1]
    while st.busy[s] < st.servers[s] and st.nwait[s] > 0:
        for k in range(K):
            if st.nq[s, k] > 0:
                v = st.head[s, k]
                while st.v_outcome[v] != WAITING:
                    v = st.v_link[v]
                st.head[s, k] = st.v_link[v]
                if st.v_link[v] < 0:
                    st.tail[s, k] = -1
                _dequeue(st, s, k, t)
                _start(net, st, v, t)
                break


@njit(inline="always")
def expected_wait(net, st, s, k):
    """Expected wait of a class-k client joining s now (inf if closed, 0 if a server is free).

    (waiting in classes 0..k + 1 + busy beyond capacity) x mean service / servers: the mean
    time for that many departures when all servers are busy (M/M/c conditional wait).
    """
    c = st.servers[s]
    if c == 0:
        return np.inf
    if st.busy[s] < c:
        return 0.0
    ahead = 0
    for j in range(k + 1):
        ahead += st.nq[s, j]
    return (ahead + 1 + st.busy[s] - c) * net.dist_mean[net.svc_dist[s, k]] / c


@njit(inline="always")
def _reroute(net, st, s, k):
    """Stage s's adaptive rule fires: the watched external stage's expected wait (plus its
    `then` step's, if any) is over the threshold, and the in-house stage is open with an
    expected wait within its bound."""
    ext, home, then = net.adapt[s, 0], net.adapt[s, 1], net.adapt[s, 2]
    wait = expected_wait(net, st, ext, k)
    if then >= 0:
        wait += expected_wait(net, st, then, k)
    return (
        wait > net.adapt_par[s, 0]
        and st.servers[home] > 0
        and expected_wait(net, st, home, k) <= net.adapt_par[s, 1]
    )


@njit(inline="always")
def _finish(net, st, v, t):
    """Service of visit v ends: free the server, fill it, pick the client's destination.

    Returns the stage the client joins next (the caller joins them there at once) and the
    joining event code, or -1 if the client exits."""
    i, s = st.v_client[v], st.v_stage[v]
    k = st.c_klass[i]
    _touch(st, s, k, t)
    st.nbusy[s, k] -= 1
    st.busy[s] -= 1
    st.v_end[v] = t
    st.v_outcome[v] = COMPLETED
    _log(st, i, E_FINISHED, s, t)
    st.d_count[int(t), s, k, D_COMPLETIONS] += 1
    _fill(net, st, s, t)
    S = st.servers.shape[0]
    dest = min(bisect_right(net.route_cum[s, k], 0, S + 1, st.c_route_u[i, s]), S)
    code = E_ROUTED
    if dest == net.adapt[s, 0] and _reroute(net, st, s, k):
        dest = net.adapt[s, 1]
        code = E_REROUTED
        st.v_adaptive[v] = 1
    if dest == S:
        st.v_next[v] = EXIT
        _log(st, i, E_EXITED, s, t)
        return -1, code
    st.v_next[v] = dest
    return dest, code


@njit(inline="always")
def _renege(st, v, t):
    if st.v_outcome[v] != WAITING:
        return  # stale: the client started service or left at a closure
    i, s = st.v_client[v], st.v_stage[v]
    k = st.c_klass[i]
    _unqueue(st, v, t, RENEGED)
    if st.nq[s, k] == 0:
        st.head[s, k] = -1
        st.tail[s, k] = -1
    _log(st, i, E_RENEGED, s, t)
    st.d_count[int(t), s, k, D_RENEGED] += 1


@njit(_nrt=False, error_model="numpy")
def _capacity(net, st, j, t):
    """A dated capacity change (rare: not inlined). Closing a stage (0 servers) discharges or
    transfers everyone waiting there, most urgent class first, FIFO."""
    s = net.cap_stage[j]
    st.servers[s] = net.cap_servers[j]
    if net.cap_servers[j] != 0:
        _fill(net, st, s, t)
        return
    for k in range(st.nq.shape[1]):
        v = st.head[s, k]
        st.head[s, k] = -1
        st.tail[s, k] = -1
        while v >= 0:
            nxt = st.v_link[v]
            if st.v_outcome[v] == WAITING:
                i = st.v_client[v]
                if net.closure_to[s] < 0:
                    _unqueue(st, v, t, DISCHARGED)
                    _log(st, i, E_DISCHARGED, s, t)
                    st.d_count[int(t), s, k, D_DISCHARGED] += 1
                else:
                    _unqueue(st, v, t, TRANSFERRED)
                    st.d_count[int(t), s, k, D_TRANSFERRED] += 1
                    _join(net, st, i, net.closure_to[s], t, t, E_TRANSFERRED)
            v = nxt


@njit(inline="always")
def _next_background(net, st, s, t, rng):
    """Next arrival after t of the piecewise-constant Poisson process of stage s (inversion of
    the integrated rate with one Exp(1) draw), or inf if the rate stays at 0."""
    e = rng.exponential(1.0)
    lo, hi = net.bg_off[s], net.bg_off[s + 1]
    j = lo + st.bg_seg[s]
    while True:
        end = net.bg_time[j + 1] if j + 1 < hi else np.inf
        rate = net.bg_rate[j]
        if rate > 0 and e <= rate * (end - t):
            st.bg_seg[s] = j - lo
            return t + e / rate
        if end == np.inf:
            return np.inf
        e -= rate * (end - t)
        t = end
        j += 1


@njit(_nrt=False, error_model="numpy")
def _setup(net, st, rngs):
    """Set up t=0: servers, pending capacity changes, first background arrivals, backlog.

    A backlog client in service at t=0 joins at 0 and starts with its remaining service time
    (it makes all its draws first, and the remaining time replaces its service there). A
    waiting backlog client of age a joins at arrival time -a; their patience at that stage
    is drawn conditional on exceeding a (rejection, up to 1000 tries; else a + the last draw).
    """
    S = st.servers.shape[0]
    for s in range(S):
        st.servers[s] = net.servers0[s]
    for j in range(net.cap_time.shape[0]):
        _push(st, net.cap_time[j], (H_CAPACITY << SHIFT) | j)
    for s in range(S):
        if net.bg_off[s + 1] > net.bg_off[s]:
            nxt = _next_background(net, st, s, 0.0, rngs.background)
            if nxt < np.inf:
                _push(st, nxt, (H_BACKGROUND << SHIFT) | s)
    rb = rngs.backlog
    for b in range(net.backlog_age.shape[0]):
        s, age = net.backlog_stage[b], net.backlog_age[b]
        ident = st.si[I_BACKLOG_IDS]
        st.si[I_BACKLOG_IDS] = ident + 1
        i = _new_client(net, st, ident, BACKLOG, net.backlog_class[b], s, -age, rb, rb, rb, -1)
        remaining = net.backlog_remaining[b]
        if not np.isnan(remaining):  # in service at t=0: their draws, but this service left
            st.c_service[i, s] = remaining
            _join(net, st, i, s, 0.0, 0.0, E_ARRIVED)
            continue
        d = net.pat_dist[s]
        if d >= 0:
            p = st.c_patience[i, s]
            tries = 0
            while p <= age and tries < 1000:
                p = draw(net, d, rb)
                tries += 1
            st.c_patience[i, s] = p if p > age else age + p
        _join(net, st, i, s, -age, 0.0, E_ARRIVED)


@njit(inline="always")
def room_needed(st):
    """Free rows (visits, log, heap) to hold before handling the next event: a capacity change
    may move everyone waiting, each through up to S closed stages."""
    S = st.servers.shape[0]
    need = 2 * S + 8
    if st.si[I_HEAP] > 0 and (st.h_id[0] >> SHIFT) == H_CAPACITY:
        need += (2 * S + 4) * st.si[I_WAITING]
    return need


@njit(inline="always")
def _has_room(st, need):
    si = st.si
    return (
        st.c_ident.shape[0] > si[I_CLIENTS]
        and st.v_client.shape[0] - si[I_VISITS] >= need
        and st.e_client.shape[0] - si[I_LOG] >= need
        and st.h_time.shape[0] - si[I_HEAP] >= need
    )


@njit(cache=True, error_model="numpy")
def run(net, st, rngs, until, setup):
    """The compiled entry point: set up t=0 (``setup`` = 1), or handle every event before
    ``until`` (referrals st.a_*, sorted by time); see :func:`_run`.

    A thin shell compiled *with* numba's reference-counting runtime, around the kernel
    compiled without it: unboxing a ``numpy.random.Generator`` takes a reference to it that
    only the runtime gives back when the call returns, so a kernel without the runtime
    entered straight from Python kept every generator alive and leaked about 0.9 kB a call
    (1 MB a replication with agents, which call it daily). Here the references are taken
    and released once per call (``tests/queue/test_queue_memory.py``), and the loops inside
    stay free of reference counting (no slower). numba's own unboxing of a generator still
    keeps about 60 bytes a call (numba issue #9103): about 0.15 kB a call here.
    """
    return _run(net, st, rngs, until, setup)


@njit(_nrt=False, error_model="numpy")
def _run(net, st, rngs, until, setup):
    """The kernel: set up t=0 (``setup`` = 1), or handle every event before ``until``
    (referrals st.a_*, sorted by time).

    Returns DONE, or NEED_ROOM (with the room wanted in si[I_NEED]) if arrays must grow first;
    the state is then consistent and the call can be repeated after growing.

    Every event that makes a client join a stage (a referral, a background arrival, routing
    after service) ends at the one ``_join`` below, so the hot helpers are inlined once each.
    """
    if setup == 1:
        _setup(net, st, rngs)
        return DONE
    si = st.si
    n_arr = st.a_time.shape[0]
    while True:
        need = room_needed(st)
        if not _has_room(st, need):
            si[I_NEED] = need
            return NEED_ROOM
        th = st.h_time[0] if si[I_HEAP] > 0 else np.inf
        j = si[I_CURSOR]
        ta = st.a_time[j] if j < n_arr else np.inf
        kind = -1  # a referral
        if th <= ta:
            if th >= until:
                break
            _roll_days(st, th)
            t, ident = _pop(st)
            st.sf[F_NOW] = t
            kind, p = ident >> SHIFT, ident & MASK
            if kind == H_END:
                i = st.v_client[p]
                s, code = _finish(net, st, p, t)
                if s < 0:
                    continue
            elif kind == H_RENEGE:
                _renege(st, p, t)
                continue
            elif kind == H_CAPACITY:
                _capacity(net, st, p, t)
                continue
        else:
            if ta >= until:
                break
            t = ta
            _roll_days(st, t)
            st.sf[F_NOW] = t
            si[I_CURSOR] = j + 1
        if kind < 0 or kind == H_BACKGROUND:
            if kind < 0:
                ident, source, s = st.a_ident[j], REFERRAL, st.a_stage[j]
                k = st.a_klass[j]
                rs, rp, rr = rngs.service, rngs.patience, rngs.routing
                row = j if st.a_service.shape[0] > 0 else -1
            else:
                s = p
                ident, source, k = si[I_BG_IDS], BACKGROUND, net.bg_class[s]
                si[I_BG_IDS] = ident + 1
                rs = rp = rr = rngs.background
                if net.bg_mixed[s] == 1:  # a single class draws nothing (as before mixes)
                    K = net.bg_cum.shape[1]
                    k = min(bisect_right(net.bg_cum[s], 0, K, rr.random()), K - 1)
                row = -1
            i = _new_client(net, st, ident, source, k, s, t, rs, rp, rr, row)
            code = E_ARRIVED
        _join(net, st, i, s, t, t, code)
        if kind == H_BACKGROUND:
            nxt = _next_background(net, st, s, t, rngs.background)
            if nxt < np.inf:
                _push(st, nxt, (H_BACKGROUND << SHIFT) | s)
    _roll_days(st, until)
    st.sf[F_NOW] = until
    return DONE

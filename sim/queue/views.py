"""Kernel views: numba StructRefs over the arrays of :mod:`sim.queue.layout`.

Numba passes a named tuple to a compiled function by value, array by array, and that made
every call between kernels cost ~100 ns; a StructRef is passed as one pointer. A view shares
the arrays of the named tuples (nothing is copied): the Python side keeps working with the
named tuples and makes a fresh view after growing an array. With ``NUMBA_DISABLE_JIT=1`` a
plain namespace with the same attributes stands in.

The constructors are spelled out field by field because numba can only cache functions
defined in a source file.
"""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
from numba import config, njit, typeof
from numba.core import types
from numba.experimental import structref

from sim.queue.distributions import Dist
from sim.queue.layout import Arrivals, Net, State, allocate
from sim.queue.network import Network, Stage, encode


@structref.register
class NetType(types.StructRef):
    """Numba type of a network view."""


@structref.register
class StateType(types.StructRef):
    """Numba type of a state view (the state and the current call's arrivals)."""


class NetView(structref.StructRefProxy):
    """Python handle of a network view (opaque)."""


class StateView(structref.StructRefProxy):
    """Python handle of a state view (opaque)."""


structref.define_boxing(NetType, NetView)
structref.define_boxing(StateType, StateView)


def _fields(*groups) -> list[tuple[str, types.Type]]:
    return [(name, typeof(a)) for g in groups for name, a in zip(g._fields, g, strict=True)]


_EMPTY = np.zeros(0)
NET_TYPE = NetType(_fields(encode(Network([Stage("s", 1, Dist.fixed(1.0))]))))
STATE_TYPE = StateType(
    _fields(*allocate(1, 1, 1), Arrivals(_EMPTY, *(np.zeros(0, np.int64) for _ in range(3))))
)


def net_view(net: Net) -> NetView | SimpleNamespace:
    """A kernel view of the network arrays."""
    if config.DISABLE_JIT:
        return SimpleNamespace(**net._asdict())
    return _net_view(net)


def state_view(state: State, arr: Arrivals) -> StateView | SimpleNamespace:
    """A kernel view of the state arrays and this call's arrivals."""
    if config.DISABLE_JIT:
        return SimpleNamespace(**{k: v for g in (*state, arr) for k, v in g._asdict().items()})
    return _state_view(*state, arr)


@njit(cache=True)
def _net_view(net):
    v = structref.new(NET_TYPE)
    v.svc_dist = net.svc_dist
    v.pat_dist = net.pat_dist
    v.dist_kind = net.dist_kind
    v.dist_par = net.dist_par
    v.dist_mean = net.dist_mean
    v.tab_off = net.tab_off
    v.tab_val = net.tab_val
    v.tab_cum = net.tab_cum
    v.route_cum = net.route_cum
    v.closure_to = net.closure_to
    v.adapt = net.adapt
    v.adapt_par = net.adapt_par
    v.cap_time = net.cap_time
    v.cap_stage = net.cap_stage
    v.cap_servers = net.cap_servers
    v.servers0 = net.servers0
    v.bg_off = net.bg_off
    v.bg_time = net.bg_time
    v.bg_rate = net.bg_rate
    v.bg_class = net.bg_class
    v.backlog_age = net.backlog_age
    v.backlog_stage = net.backlog_stage
    v.backlog_class = net.backlog_class
    return v


@njit(cache=True)
def _state_view(core, clients, visits, log, daily, arr):
    v = structref.new(STATE_TYPE)
    v.si = core.si
    v.sf = core.sf
    v.servers = core.servers
    v.busy = core.busy
    v.nwait = core.nwait
    v.bg_seg = core.bg_seg
    v.nq = core.nq
    v.nbusy = core.nbusy
    v.head = core.head
    v.tail = core.tail
    v.area = core.area
    v.last = core.last
    v.h_time = core.h_time
    v.h_id = core.h_id
    v.c_ident = clients.c_ident
    v.c_source = clients.c_source
    v.c_klass = clients.c_klass
    v.c_entry = clients.c_entry
    v.c_arrival = clients.c_arrival
    v.c_last = clients.c_last
    v.c_service = clients.c_service
    v.c_patience = clients.c_patience
    v.c_route_u = clients.c_route_u
    v.v_client = visits.v_client
    v.v_stage = visits.v_stage
    v.v_outcome = visits.v_outcome
    v.v_next = visits.v_next
    v.v_adaptive = visits.v_adaptive
    v.v_link = visits.v_link
    v.v_arrive = visits.v_arrive
    v.v_start = visits.v_start
    v.v_end = visits.v_end
    v.e_client = log.e_client
    v.e_code = log.e_code
    v.e_stage = log.e_stage
    v.e_time = log.e_time
    v.d_count = daily.d_count
    v.d_area = daily.d_area
    v.d_servers = daily.d_servers
    v.a_time = arr.a_time
    v.a_ident = arr.a_ident
    v.a_klass = arr.a_klass
    v.a_stage = arr.a_stage
    return v

"""Kernel views: the state arrays of :mod:`sim.queue.layout` as one flat named tuple.

The compiled entry point :func:`sim.queue.engine.run` inlines every helper, so a named tuple
of arrays costs nothing to access inside it (its fields are plain values) and is unboxed once
per call. A view shares the arrays of the grouped named tuples (nothing is copied): the Python
side keeps working with the groups and makes a fresh view after growing an array.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from sim.queue.layout import Arrivals, Clients, Core, Daily, Log, State, Visits

_GROUPS = (Core, Clients, Visits, Log, Daily, Arrivals)

#: Every array the kernels change (and this call's arrivals), in one flat named tuple.
StateView = NamedTuple("StateView", [(name, np.ndarray) for g in _GROUPS for name in g._fields])


def state_view(state: State, arr: Arrivals) -> StateView:
    """A kernel view of the state arrays and this call's arrivals."""
    return StateView(*state.core, *state.clients, *state.visits, *state.log, *state.daily, *arr)

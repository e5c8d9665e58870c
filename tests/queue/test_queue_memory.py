"""Advancing the queue core many times keeps no reference to its generators (each call
used to take one and never give it back, so nothing of a run was ever freed)."""

import gc
import sys

from sim.queue import Dist, Network, QueueCore, Stage


def network():
    return Network([Stage("hub", servers=3, service=Dist.exponential(0.1))])


def test_advancing_takes_no_lasting_reference_to_the_generators():
    core = QueueCore(network(), seed=1)
    core.advance(1.0, [0.5], [0])
    before = [sys.getrefcount(g) for g in core._rngs]
    for day in range(1, 301):
        core.advance(day + 1.0, [day + 0.5], [day])
    assert [sys.getrefcount(g) for g in core._rngs] == before


def test_a_finished_core_is_freed():
    core = QueueCore(network(), seed=1)
    for day in range(50):
        core.advance(day + 1.0, [day + 0.5], [day])
    generator = core._rngs.service
    del core
    gc.collect()
    assert sys.getrefcount(generator) == 2  # this name and the call's argument: nothing else

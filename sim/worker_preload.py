"""What the fork server of local workers does before it forks any worker.

`sim.execution.ProcessExecutor` starts its workers from a fork server (`START_METHOD`) that
imports this module once. Everything done here is inherited by every worker, and shared
with it page by page until either side writes:

- the simulator's imports (numpy, pandas, numba, Mesa and the package), so that a worker
  starts with them done;
- the simulation kernels, by running one tiny scenario (`warm_up.yaml`): numba loads them
  from its cache, or compiles them once here on a cold cache, instead of every worker doing
  it for itself. A worker's first replication then starts at once, and the kernels' machine
  code and numba's state (about 90 MB) are held once for all the workers, not once each.

Warming up is a head start, never a condition: if it fails, each worker loads or compiles
what it needs on its first task, as it would without it, and reports any real error there.
Not for import elsewhere: it ignores Ctrl-C in this process, as the fork server does once
its preloading is over (the caller alone decides when the workers stop).
"""

from __future__ import annotations

import contextlib
import gc
import os
import signal
from importlib import import_module
from pathlib import Path

from sim.execution import release_memory

SIMULATOR_MODULES = ("sim.runner", "sim.model", "sim.metrics")
"""Imported for every worker (what a replication needs)."""
WARM_UP_SCENARIO = Path(__file__).with_name("warm_up.yaml")
"""A tiny agent-driven hub that reaches every kernel a run calls (tests/test_execution.py
checks that a run after the warm-up loads no kernel it had not)."""


def jit_disabled() -> bool:
    """Whether numba runs kernels as plain Python (``NUMBA_DISABLE_JIT=1``): nothing to
    load then, and the tiny scenario would take seconds."""
    return os.environ.get("NUMBA_DISABLE_JIT", "0") not in ("", "0")


def warm_up() -> None:
    """Run the warm-up scenario's first replication in this process (kernels included)."""
    from sim.results import run_tables
    from sim.scenario import load_scenario

    run_tables(load_scenario(WARM_UP_SCENARIO), 0, 0)


signal.signal(signal.SIGINT, signal.SIG_IGN)
for module in SIMULATOR_MODULES:
    import_module(module)
if not jit_disabled():
    with contextlib.suppress(Exception):
        warm_up()
release_memory()  # the warm-up's garbage, so that no worker inherits it
# Every object alive now is the workers' shared inheritance: out of the cycle collector's
# sight (Python's docs advise it before forking), a worker's collections don't write to
# those pages, which then stay shared instead of being copied into each worker.
gc.freeze()

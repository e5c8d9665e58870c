"""One root seed, many named and independent random streams.

Each random process (arrivals, service times, patience, routing, distress, ...) draws from
its own stream, so a change to one process never shifts the draws of another: two scenarios
that differ only in capacity see the same demand (common random numbers). A stream is keyed
by its *name*, not by its position in a list, so adding a stream never reshuffles the others.

References
----------
NumPy, "Parallel random number generation": ``SeedSequence`` spawn keys give streams that
are independent for all practical purposes.
"""

from __future__ import annotations

import zlib

import numpy as np


def _name_key(name: str) -> int:
    """A stable 32-bit key for a stream name (crc32 is the same on every platform and run)."""
    return zlib.crc32(name.encode("utf-8"))


def stream(seed: int, name: str, replication: int = 0) -> np.random.Generator:
    """The generator for stream ``name`` of replication ``replication`` under root ``seed``.

    Parameters
    ----------
    seed
        The root seed of the run (from the scenario or the command line).
    name
        The random process, e.g. ``"arrivals"`` or ``"service"``.
    replication
        Replication index; each replication gets its own independent family of streams.
    """
    if seed < 0:
        raise ValueError(f"seed must be >= 0, got {seed}")
    sequence = np.random.SeedSequence(entropy=seed, spawn_key=(replication, _name_key(name)))
    return np.random.Generator(np.random.PCG64(sequence))


def streams(
    seed: int, names: tuple[str, ...], replication: int = 0
) -> dict[str, np.random.Generator]:
    """Generators for several named streams at once (see :func:`stream`)."""
    return {name: stream(seed, name, replication) for name in names}

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


class KeyedStream:
    """Random numbers keyed by what they are about, not by when they are drawn.

    ``KeyedStream(seed, "recovery", replication).at((worker, episode))`` gives the same
    generator for the same key whatever else has happened in the run: no other draw, before or
    after, can shift it. That keeps common random numbers across scenarios when the *order* of
    events differs: in two arms of a comparison one extra referral on day 90 would shift every
    later draw of an order-keyed stream, but leaves every other worker's keyed draws alone.

    It is numpy's counter-based Philox generator (Salmon et al. 2011, "Parallel random numbers:
    as easy as 1, 2, 3"): the 128-bit Philox key comes from the root seed, the replication and
    the stream's name (through ``SeedSequence``, as :func:`stream`); the two words of the draw's
    key are the middle words of the 256-bit counter, whose low word counts the blocks drawn, so
    distinct keys never share a block.

    Parameters
    ----------
    seed, name, replication
        As for :func:`stream`.
    """

    def __init__(self, seed: int, name: str, replication: int = 0) -> None:
        if seed < 0:
            raise ValueError(f"seed must be >= 0, got {seed}")
        sequence = np.random.SeedSequence(entropy=seed, spawn_key=(replication, _name_key(name)))
        self.name = name
        self._key = sequence.generate_state(2, np.uint64)
        self._bits = np.random.Philox(key=self._key)
        self._generator = np.random.Generator(self._bits)

    def at(self, key: tuple[int, int]) -> np.random.Generator:
        """The stream's generator, positioned at the first draw about ``key`` (two integers
        >= 0, below 2**64).

        It is the same generator object at every call (repositioning costs about 6 us, a new
        generator about 25 us): take its draws before the next call."""
        self._bits.state = {
            "bit_generator": "Philox",
            "state": {"counter": np.array([0, *key, 0], dtype=np.uint64), "key": self._key},
            "buffer": np.zeros(4, dtype=np.uint64),
            "buffer_pos": 4,  # the buffer is empty: the next draw starts a new block
            "has_uint32": 0,
            "uinteger": 0,
        }
        return self._generator

    def uniforms(self, keys: np.ndarray, count: int = 1) -> np.ndarray:
        """``count`` uniforms on [0, 1) for each row of ``keys`` (int array [n, 2]): row j of
        the result is ``at(keys[j]).random(count)``."""
        keys = np.asarray(keys, dtype=np.int64).reshape(-1, 2)
        out = np.empty((keys.shape[0], count))
        for j, key in enumerate(keys.tolist()):
            out[j] = self.at(key).random(count)
        return out

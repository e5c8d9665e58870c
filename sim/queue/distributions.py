"""Service-time and patience distributions, and their encoding for the kernels.

A :class:`Dist` is a frozen description; the kernels see a table of distributions as
``(kind code, two parameters, empirical values and cumulative weights)`` and draw with
``numpy.random.Generator`` methods (numba implements them with the same algorithms, so the
pure-Python test reference engine gets identical numbers from the same stream).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from sim.queue.codes import DistKind


@dataclass(frozen=True)
class Dist:
    """A positive random duration in days.

    Build one with a constructor: :meth:`exponential`, :meth:`lognormal`, :meth:`gamma`,
    :meth:`fixed` or :meth:`empirical`.
    """

    kind: DistKind
    params: tuple[float, ...] = ()
    values: tuple[float, ...] = ()
    weights: tuple[float, ...] = ()

    @classmethod
    def exponential(cls, mean: float) -> Dist:
        """Exponential with the given mean."""
        _positive("mean", mean)
        return cls(DistKind.EXPONENTIAL, (float(mean),))

    @classmethod
    def lognormal(cls, mean: float, sd: float) -> Dist:
        """Lognormal with the given mean and standard deviation (of the duration, not its log)."""
        _positive("mean", mean)
        _positive("sd", sd)
        return cls(DistKind.LOGNORMAL, (float(mean), float(sd)))

    @classmethod
    def gamma(cls, shape: float, mean: float) -> Dist:
        """Gamma with the given shape and mean (scale = mean / shape)."""
        _positive("shape", shape)
        _positive("mean", mean)
        return cls(DistKind.GAMMA, (float(shape), float(mean)))

    @classmethod
    def fixed(cls, value: float) -> Dist:
        """Always ``value`` (>= 0)."""
        if not (math.isfinite(value) and value >= 0):
            raise ValueError(f"fixed value must be finite and >= 0, got {value}")
        return cls(DistKind.FIXED, (float(value),))

    @classmethod
    def empirical(cls, values: Sequence[float], weights: Sequence[float] | None = None) -> Dist:
        """Resample ``values`` (>= 0) with probabilities proportional to ``weights``."""
        v = np.asarray(values, dtype=float)
        w = np.ones_like(v) if weights is None else np.asarray(weights, dtype=float)
        if v.ndim != 1 or v.size == 0:
            raise ValueError("empirical values must be a non-empty 1-d sequence")
        if w.shape != v.shape:
            raise ValueError(f"empirical weights must match values: {w.shape} vs {v.shape}")
        if not (np.all(np.isfinite(v)) and np.all(v >= 0)):
            raise ValueError("empirical values must be finite and >= 0")
        if not (np.all(np.isfinite(w)) and np.all(w >= 0) and w.sum() > 0):
            raise ValueError("empirical weights must be finite, >= 0 and not all zero")
        return cls(DistKind.EMPIRICAL, (), tuple(v.tolist()), tuple(w.tolist()))

    @property
    def mean(self) -> float:
        """The mean of the distribution."""
        if self.kind == DistKind.EMPIRICAL:
            w = np.asarray(self.weights)
            return float(np.dot(self.values, w) / w.sum())
        if self.kind == DistKind.FIXED:
            return self.params[0]
        return self.params[-1] if self.kind == DistKind.GAMMA else self.params[0]

    def kernel_params(self) -> tuple[float, float]:
        """The two numbers the kernel passes to the generator method."""
        if self.kind == DistKind.LOGNORMAL:
            mean, sd = self.params
            sigma2 = math.log1p((sd / mean) ** 2)
            return math.log(mean) - sigma2 / 2, math.sqrt(sigma2)
        if self.kind == DistKind.GAMMA:
            shape, mean = self.params
            return shape, mean / shape
        if self.kind == DistKind.EMPIRICAL:
            return 0.0, 0.0
        return self.params[0], 0.0

    def cumulative_weights(self) -> np.ndarray:
        """Cumulative probabilities of an empirical distribution, ending exactly at 1."""
        cum = np.cumsum(self.weights) / np.sum(self.weights)
        cum[-1] = 1.0
        return cum


class DistTable(NamedTuple):
    """Distributions encoded for the kernels (row ``d`` is distribution ``d``)."""

    kind: np.ndarray  # int64[D]
    par: np.ndarray  # float64[D, 2]
    mean: np.ndarray  # float64[D]
    tab_off: np.ndarray  # int64[D + 1]: empirical table of d is tab_off[d]:tab_off[d+1]
    tab_val: np.ndarray  # float64[T]
    tab_cum: np.ndarray  # float64[T]


def encode_dists(dists: Sequence[Dist]) -> DistTable:
    """Encode distributions as flat arrays, in the given order."""
    vals = [np.asarray(d.values, dtype=float) for d in dists]
    cums = [d.cumulative_weights() if d.kind == DistKind.EMPIRICAL else np.empty(0) for d in dists]
    return DistTable(
        kind=np.array([int(d.kind) for d in dists], dtype=np.int64),
        par=np.array([d.kernel_params() for d in dists], dtype=float).reshape(-1, 2),
        mean=np.array([d.mean for d in dists], dtype=float),
        tab_off=np.concatenate([[0], np.cumsum([v.size for v in vals])]).astype(np.int64),
        tab_val=np.concatenate([np.empty(0), *vals]),
        tab_cum=np.concatenate([np.empty(0), *cums]),
    )


def _positive(name: str, value: float) -> None:
    if not (math.isfinite(value) and value > 0):
        raise ValueError(f"{name} must be finite and > 0, got {value}")

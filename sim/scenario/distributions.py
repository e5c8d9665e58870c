"""Distributions as small tagged objects: `{kind: exponential, mean_days: 14}`.

All durations are in days. Lognormal and gamma are given by their mean (and sd or shape) in
days, the way a planner reads a service report, not by the parameters of the underlying
normal or of numpy's scale.
"""

from __future__ import annotations

import math
from typing import Annotated, Literal

import numpy as np
from pydantic import Field, model_validator

from sim.scenario.base import AsTuple, Days, PositiveDays, Section


class Exponential(Section):
    """Memoryless durations: constant hazard 1 / mean."""

    kind: Literal["exponential"]
    mean_days: PositiveDays
    """Mean duration in days."""

    @property
    def mean(self) -> float:
        """Mean duration in days."""
        return self.mean_days

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """`size` draws in days."""
        return rng.exponential(self.mean_days, size)


class Lognormal(Section):
    """Right-skewed durations, given by their own mean and standard deviation in days."""

    kind: Literal["lognormal"]
    mean_days: PositiveDays
    """Mean duration in days."""
    sd_days: PositiveDays
    """Standard deviation of the duration in days."""

    @property
    def mean(self) -> float:
        """Mean duration in days."""
        return self.mean_days

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """`size` draws in days (log-scale parameters from the mean and sd)."""
        sigma2 = math.log1p((self.sd_days / self.mean_days) ** 2)
        return rng.lognormal(math.log(self.mean_days) - sigma2 / 2, math.sqrt(sigma2), size)


class Gamma(Section):
    """Durations with a mode above zero; shape 1 is the exponential."""

    kind: Literal["gamma"]
    shape: Annotated[float, Field(gt=0.0)]
    """Shape parameter k (coefficient of variation is 1 / sqrt(k))."""
    mean_days: PositiveDays
    """Mean duration in days (scale = mean / shape)."""

    @property
    def mean(self) -> float:
        """Mean duration in days."""
        return self.mean_days

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """`size` draws in days."""
        return rng.gamma(self.shape, self.mean_days / self.shape, size)


class Fixed(Section):
    """Every duration is the same."""

    kind: Literal["fixed"]
    value_days: Days
    """The duration in days."""

    @property
    def mean(self) -> float:
        """Mean duration in days."""
        return self.value_days

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """`size` draws in days (all equal)."""
        return np.full(size, self.value_days)


class Empirical(Section):
    """Durations resampled from observed values, optionally weighted."""

    kind: Literal["empirical"]
    values_days: Annotated[tuple[Days, ...], AsTuple, Field(min_length=1)]
    """Observed durations in days."""
    weights: Annotated[tuple[Annotated[float, Field(ge=0.0)], ...], AsTuple] | None = None
    """Relative weight of each value (same length as values_days); equal if omitted."""

    @model_validator(mode="after")
    def _weights_match_values(self) -> Empirical:
        if self.weights is not None:
            if len(self.weights) != len(self.values_days):
                raise ValueError(
                    f"weights must have one entry per value: found {len(self.weights)} "
                    f"weights for {len(self.values_days)} values"
                )
            if math.fsum(self.weights) <= 0:
                raise ValueError("weights must not all be zero")
        return self

    @property
    def mean(self) -> float:
        """Mean duration in days."""
        weights = self.weights or (1.0,) * len(self.values_days)
        return math.fsum(v * w for v, w in zip(self.values_days, weights, strict=True)) / math.fsum(
            weights
        )

    def sample(self, rng: np.random.Generator, size: int) -> np.ndarray:
        """`size` draws in days, resampled from the values."""
        weights = np.asarray(self.weights or (1.0,) * len(self.values_days), dtype=float)
        return rng.choice(np.asarray(self.values_days), size=size, p=weights / weights.sum())


Distribution = Annotated[
    Exponential | Lognormal | Gamma | Fixed | Empirical, Field(discriminator="kind")
]
"""A duration distribution, chosen by its `kind`."""

"""Functions with known sensitivity indices, to check the whole pipeline against theory.

An experiment with ``function: ishigami`` or ``function: sobol_g`` runs one of these in place
of a scenario, through the same design, sweep, store and analysis; `noise_sd` adds normal
replication noise, drawn from the experiment's seed, the replication and the point, so that
the noise-aware parts of the analysis have a case with a known answer.

References
----------
Ishigami, T. & Homma, T. (1990). An importance quantification technique in uncertainty
analysis for computer models. ISUMA '90, 398-403.
Saltelli, A. & Sobol', I. M. (1995). About the use of rank transformation in sensitivity
analysis of model output. Reliability Engineering & System Safety 50, 225-239 (the G
function and its indices).
"""

from __future__ import annotations

import math

import numpy as np

ISHIGAMI_A, ISHIGAMI_B = 7.0, 0.1
SOBOL_G_A = (0.0, 1.0, 4.5, 9.0, 99.0, 99.0, 99.0, 99.0)
"""Coefficients a_i of the G function's inputs, in order (the first D are used)."""


def ishigami(x: np.ndarray) -> float:
    """Ishigami's function of three inputs in [-pi, pi]."""
    return float(
        math.sin(x[0]) + ISHIGAMI_A * math.sin(x[1]) ** 2 + ISHIGAMI_B * x[2] ** 4 * math.sin(x[0])
    )


def ishigami_indices() -> dict[str, np.ndarray]:
    """Analytic first-order (S1) and total (ST) indices of `ishigami` (uniform inputs)."""
    a, b, pi = ISHIGAMI_A, ISHIGAMI_B, math.pi
    first = 0.5 * (1 + b * pi**4 / 5) ** 2
    second = a**2 / 8
    interaction = 8 * b**2 * pi**8 / 225
    total = first + second + interaction
    return {
        "S1": np.array([first, second, 0.0]) / total,
        "ST": np.array([first + interaction, second, interaction]) / total,
    }


def sobol_g(x: np.ndarray) -> float:
    """Sobol's G function of D <= 8 inputs in [0, 1]."""
    a = np.array(SOBOL_G_A[: len(x)])
    return float(np.prod((np.abs(4 * np.asarray(x) - 2) + a) / (1 + a)))


def sobol_g_indices(count: int) -> dict[str, np.ndarray]:
    """Analytic S1 and ST of `sobol_g` with `count` inputs."""
    a = np.array(SOBOL_G_A[:count])
    partial = 1 / (3 * (1 + a) ** 2)
    variance = np.prod(1 + partial) - 1
    totals = np.array([partial[i] * np.prod(np.delete(1 + partial, i)) for i in range(count)])
    return {"S1": partial / variance, "ST": totals / variance}


FUNCTIONS = {"ishigami": ishigami, "sobol_g": sobol_g}


def evaluate(name: str, values: np.ndarray, noise_sd: float, seed: int, key: tuple) -> float:
    """`FUNCTIONS[name](values)`, plus normal noise of `noise_sd` keyed by (seed, *key)."""
    y = FUNCTIONS[name](values)
    if noise_sd:
        y += noise_sd * float(np.random.default_rng([seed, *key]).standard_normal())
    return y

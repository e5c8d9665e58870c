"""Design points: the unit cube sampled by SALib (or a grid), mapped through each parameter.

Every design samples the unit cube [0, 1]^D, then maps each column through its parameter's
inverse distribution function (EMA workbench's habit: sampling and scaling apart), so all
six designs share one mapping and the analysis sees the unit-cube coordinates it expects
(Morris elementary effects are per step of the unit grid). Designs:

- ``oat``: one at a time, through the middle of the cube: the middle point, then each
  parameter alone at each of `levels` values (the tornado).
- ``grid``: the full factorial of `levels` values per parameter.
- ``latin``: a Latin hypercube of `samples` points (McKay, Beckman & Conover 1979).
- ``morris``: `samples` trajectories on a `levels` grid (Morris 1991; Campolongo et al.
  2007), one step per parameter or group.
- ``sobol``: Saltelli's scheme on a scrambled Sobol' sequence, N x (D + 2) points, or
  N x (2D + 2) with second-order indices (Saltelli 2002; Saltelli et al. 2010).
- ``fast``: the extended FAST sampler, `samples` points per parameter (Saltelli, Tarantola
  & Chan 1999).

SALib's samplers are seeded from the experiment's seed, so the same experiment always gives
the same points.
"""

from __future__ import annotations

import itertools

import numpy as np
import pandas as pd
from scipy import stats

from sim.analysis.experiment import Experiment, Parameter

POINT = "point"
"""The design point's row number: the design index of every run."""
UNIT_PREFIX = "unit."
"""Columns of the design table that hold the unit-cube coordinates."""
_DESIGN_STREAM = 0x5EED
"""Names the design's own random stream (apart from the simulation's)."""


def salib_problem(experiment: Experiment) -> dict:
    """The SALib problem over the unit cube, with the experiment's groups if any."""
    names = list(experiment.parameters)
    problem = {"num_vars": len(names), "names": names, "bounds": [[0.0, 1.0]] * len(names)}
    if experiment.groups is not None:
        problem["groups"] = experiment.groups
    return problem


def design_factors(experiment: Experiment) -> int:
    """What a Morris or Sobol design steps: the groups, or else the parameters."""
    groups = experiment.groups
    return len(set(groups)) if groups is not None else len(experiment.parameters)


def design_size(experiment: Experiment) -> int:
    """Number of design points, without sampling them."""
    design, count = experiment.design, len(experiment.parameters)
    levels, samples = design.grid_levels, design.samples or 0
    match design.method:
        case "oat":
            return 1 + count * (levels - levels % 2)
        case "grid":
            return levels**count
        case "latin":
            return samples
        case "morris":
            return samples * (design_factors(experiment) + 1)
        case "sobol":
            factors = design_factors(experiment)
            return samples * (2 * factors + 2 if design.second_order else factors + 2)
        case "fast":
            return samples * count
    raise AssertionError(design.method)


def _sampler_seed(experiment: Experiment) -> int:
    """A 32-bit seed for SALib's samplers, drawn from the experiment's seed."""
    state = np.random.SeedSequence([experiment.seed, _DESIGN_STREAM]).generate_state(1)
    return int(state[0])


def unit_design(experiment: Experiment) -> np.ndarray:
    """The design points in the unit cube, one row per point, one column per parameter."""
    design = experiment.design
    count, levels = len(experiment.parameters), design.grid_levels
    seed = _sampler_seed(experiment)
    problem = salib_problem(experiment)
    match design.method:
        case "oat":
            steps = [u for u in np.linspace(0.0, 1.0, levels) if not np.isclose(u, 0.5)]
            rows = [np.full(count, 0.5)]
            for column in range(count):
                for u in steps:
                    row = np.full(count, 0.5)
                    row[column] = u
                    rows.append(row)
            unit = np.array(rows)
        case "grid":
            axis = np.linspace(0.0, 1.0, levels)
            unit = np.array(list(itertools.product(axis, repeat=count)))
        case "latin":
            from SALib.sample import latin

            unit = latin.sample(problem, design.samples, seed=seed)
        case "morris":
            from SALib.sample import morris

            unit = morris.sample(problem, design.samples, num_levels=levels, seed=seed)
        case "sobol":
            from SALib.sample import sobol

            unit = sobol.sample(
                problem, design.samples, calc_second_order=design.second_order, seed=seed
            )
        case "fast":
            from SALib.sample import fast_sampler

            unit = fast_sampler.sample(problem, design.samples, M=design.harmonics, seed=seed)
    return np.clip(np.asarray(unit, dtype=float), 0.0, 1.0)


def parameter_values(parameter: Parameter, unit: np.ndarray) -> np.ndarray:
    """Map unit-cube coordinates to the parameter's values (its inverse distribution)."""
    low, high = parameter.low, parameter.high
    if parameter.integer and parameter.distribution == "uniform":
        # Equally likely integers low..high: u in [k/n, (k+1)/n) gives the k-th.
        count = int(high - low) + 1
        return low + np.minimum(np.floor(unit * count), count - 1)
    match parameter.distribution:
        case "uniform":
            values = low + unit * (high - low)
        case "triangular":
            shape = (parameter.mode - low) / (high - low)
            values = stats.triang(shape, loc=low, scale=high - low).ppf(unit)
        case "truncated_normal":
            mean, sd = parameter.mean, parameter.sd
            values = stats.truncnorm((low - mean) / sd, (high - mean) / sd, mean, sd).ppf(unit)
        case "log_uniform":
            values = np.exp(np.log(low) + unit * (np.log(high) - np.log(low)))
    values = np.clip(values, low, high)
    return np.round(values) if parameter.integer else values


def design_table(experiment: Experiment) -> pd.DataFrame:
    """One row per design point: `point`, each parameter's value (integers as int), and
    its unit-cube coordinate (`unit.<name>`)."""
    unit = unit_design(experiment)
    columns: dict[str, np.ndarray] = {POINT: np.arange(len(unit))}
    for column, (name, parameter) in enumerate(experiment.parameters.items()):
        values = parameter_values(parameter, unit[:, column])
        columns[name] = values.astype(np.int64) if parameter.integer else values
    for column, name in enumerate(experiment.parameters):
        columns[UNIT_PREFIX + name] = unit[:, column]
    return pd.DataFrame(columns)

"""Design points as scenarios (each built and checked through `sim.variant`), and one run.

Every point's scenario is the base scenario (with the experiment's fixed `set`) changed at
each parameter's path, validated whole as `sim.variant` validates any change, so that a
combination the scenario refuses (a share above 1, a capacity below 0) is reported before
the sweep starts, with the point's index and values. Workers rebuild a point's scenario
from the base and the point's values (cheap beside a run), so a task carries a few numbers,
not a whole scenario.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.analysis.design import POINT
from sim.analysis.experiment import Experiment
from sim.scenario import Scenario, ScenarioError, variant
from sim.scenario.problems import Problem

RUN_KEYS = [POINT, "replication"]
"""The design indices of a run, in every table of a sweep."""
SHOWN_PROBLEMS = 20
"""Most refused design points listed (the count of all is given)."""


def base_scenario(experiment: Experiment) -> Scenario:
    """The experiment's base scenario with its fixed `set` changes (validated)."""
    from sim.scenario import load_scenario

    return variant(load_scenario(experiment.scenario), experiment.set, origin="set")


@dataclass(frozen=True)
class PointModel:
    """What computes one run of a design point: a scenario (by paths) or a test function."""

    names: tuple[str, ...]
    """Parameter names, in design-table order."""
    base: Scenario | None = None
    paths: tuple[str, ...] = ()
    function: str | None = None
    noise_sd: float = 0.0

    def scenario(self, values: tuple) -> Scenario:
        """The point's scenario: the base changed at every parameter's path."""
        return variant(self.base, dict(zip(self.paths, values, strict=True)))

    def __call__(self, seed: int, run: tuple[int, int, tuple]) -> dict[str, float]:
        """The KPIs of replication `run[1]` of the point `run[0]` with values `run[2]`."""
        point, replication, values = run
        if self.function is not None:
            from sim.analysis.known_functions import evaluate

            x = np.array(values, dtype=float)
            return {"y": evaluate(self.function, x, self.noise_sd, seed, (replication, point))}
        from sim.runner import run_kpis

        return run_kpis(self.scenario(values), seed, replication)


def point_model(experiment: Experiment) -> PointModel:
    """The `PointModel` of an experiment (loads its base scenario)."""
    names = tuple(experiment.parameters)
    if experiment.function is not None:
        return PointModel(names, function=experiment.function, noise_sd=experiment.noise_sd)
    paths = tuple(p.path for p in experiment.parameters.values())
    return PointModel(names, base=base_scenario(experiment), paths=paths)


def point_values(design: pd.DataFrame, names: tuple[str, ...]) -> list[tuple]:
    """Each point's parameter values as plain Python numbers (ints stay ints)."""
    return list(design[list(names)].itertuples(index=False, name=None))


def check_points(
    model: PointModel, design: pd.DataFrame, origin: tuple[Path | str, int | None]
) -> None:
    """Build every design point's scenario; refuse the design if any is not valid.

    Raises
    ------
    ScenarioError
        Naming each refused point (its index and values) and what the scenario refused.
    """
    if model.base is None:
        return
    problems = []
    refused = 0
    for point, values in zip(design[POINT], point_values(design, model.names), strict=True):
        try:
            model.scenario(values)
        except ScenarioError as error:
            refused += 1
            if len(problems) < SHOWN_PROBLEMS:
                shown = ", ".join(f"{n}={v:g}" for n, v in zip(model.names, values, strict=True))
                reasons = "; ".join(str(problem) for problem in error.problems)
                message = f"point {point} ({shown}) is not a valid scenario: {reasons}"
                problems.append(Problem(*origin, ("design",), message))
    if refused > len(problems):
        more = f"... and {refused - len(problems)} more of {len(design)} points refused"
        problems.append(Problem(*origin, ("design",), more))
    if problems:
        raise ScenarioError(problems)

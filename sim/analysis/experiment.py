"""Experiment files: what an analyst varies, how it is sampled, what is measured.

An experiment names a base scenario (or a test function with known indices), fixed changes
to it (`set`), the uncertain parameters (a dotted path as in `sim.variant`, bounds or a
bounded distribution, an integer flag and an optional group), the design, the replications
per design point, the KPIs to analyse and the seed. It is read and checked like a scenario
(`sim.scenario.yaml_source`, `sim.scenario.loading`): every problem names the file, the
line, the key path, what was found and what is allowed.

The KPIs are statistics over the base scenario's measured window (after
`simulation.warmup_days`, to `simulation.horizon_days`); an experiment chooses that period
with `set`, e.g. ``simulation.warmup_days: 365``.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Annotated, Any, Literal, Self

from pydantic import Field, PrivateAttr, ValidationError, model_validator

from sim.scenario.base import AsTuple, Name, Section
from sim.scenario.problems import KeyPath, Problem, ScenarioError
from sim.scenario.yaml_source import Document, read_yaml

Method = Literal["oat", "grid", "latin", "morris", "sobol", "fast"]
Function = Literal["ishigami", "sobol_g"]
"""Test functions with known indices (`sim.analysis.test_functions`), for checking the
pipeline: their KPI is `y`."""
MAX_RUNS = 2_000_000
"""Most runs (design points x replications) one experiment may ask for."""
SAMPLED = ("latin", "morris", "sobol", "fast")
"""Designs whose size is `design.samples`."""


class Parameter(Section):
    """One uncertain input: where it goes, and the values it can take."""

    path: str | None = None
    """Dotted key path in the scenario (as for `sim.variant` and `--set`); none for a test
    function, whose inputs are the parameters in the order given."""
    low: float
    """Smallest value."""
    high: float
    """Largest value."""
    distribution: Literal["uniform", "triangular", "truncated_normal", "log_uniform"] = "uniform"
    """How values are spread between `low` and `high` (every one is bounded, so that every
    design point is a value the scenario can take)."""
    mode: float | None = None
    """Most likely value (triangular only)."""
    mean: float | None = None
    """Mean of the normal before truncation (truncated_normal only)."""
    sd: Annotated[float, Field(gt=0)] | None = None
    """Standard deviation of the normal before truncation (truncated_normal only)."""
    integer: bool = False
    """Whole numbers only: equally likely integers low..high (uniform), else rounded."""
    group: Name | None = None
    """Group for grouped Morris or Sobol: a group's parameters move together."""

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if not self.low < self.high:
            raise ValueError(f"low must be below high, found low {self.low:g}, high {self.high:g}")
        wanted = {"triangular": {"mode"}, "truncated_normal": {"mean", "sd"}}.get(
            self.distribution, set()
        )
        for key in ("mode", "mean", "sd"):
            given = getattr(self, key) is not None
            if given and key not in wanted:
                raise ValueError(f"{key} is for another distribution than {self.distribution}")
            if not given and key in wanted:
                raise ValueError(f"a {self.distribution} distribution needs {key}")
        if self.mode is not None and not self.low <= self.mode <= self.high:
            raise ValueError(f"mode must be between low and high, found {self.mode:g}")
        if self.distribution == "log_uniform" and self.low <= 0:
            raise ValueError(f"a log_uniform distribution needs low above 0, found {self.low:g}")
        if self.integer and (self.low != int(self.low) or self.high != int(self.high)):
            raise ValueError("an integer parameter needs whole-number low and high")
        return self


class Design(Section):
    """How design points are chosen."""

    method: Method
    """oat (one at a time, for a tornado), grid (full factorial), latin (Latin hypercube),
    morris (elementary effects), sobol (Saltelli sampling), fast (eFAST)."""
    samples: Annotated[int, Field(ge=1)] | None = None
    """Size: Latin hypercube points, Morris trajectories, Sobol base sample N (a power of 2),
    eFAST points per parameter (at least 4 x harmonics^2 + 1); not used by oat and grid."""
    levels: Annotated[int, Field(ge=2, le=1000)] | None = None
    """Values per parameter: grid (default 5), oat (default 3: low, middle, high) and Morris
    grid levels (default 4)."""
    second_order: bool = False
    """Sobol only: also the second-order indices (needs N x (2D + 2) runs, not N x (D + 2))."""
    harmonics: Annotated[int, Field(ge=1, le=16)] = 4
    """eFAST only: the interference parameter M."""

    @model_validator(mode="after")
    def _sized(self) -> Self:
        if self.method in SAMPLED and self.samples is None:
            raise ValueError(f"a {self.method} design needs samples")
        if self.method not in SAMPLED and self.samples is not None:
            raise ValueError(f"a {self.method} design has no samples; its size comes from levels")
        if self.method == "sobol" and self.samples & (self.samples - 1):
            raise ValueError(f"Sobol samples must be a power of 2, found {self.samples}")
        if self.method == "fast" and self.samples <= 4 * self.harmonics**2:
            raise ValueError(
                f"eFAST samples must be above 4 x harmonics^2 = {4 * self.harmonics**2}, "
                f"found {self.samples}"
            )
        if self.levels is not None and self.method in ("latin", "sobol", "fast"):
            raise ValueError(f"a {self.method} design has no levels")
        return self

    @property
    def grid_levels(self) -> int:
        """Levels per parameter for grid, oat and morris."""
        default = {"grid": 5, "oat": 3, "morris": 4}.get(self.method, 0)
        return self.levels or default


class Analysis(Section):
    """How indices and their uncertainty are computed."""

    resamples: Annotated[int, Field(ge=10, le=10_000)] = 100
    """Bootstrap resamples over design points (SALib's confidence intervals)."""
    replication_resamples: Annotated[int, Field(ge=0, le=1000)] = 50
    """Bootstrap resamples over replications (the indices' replication noise); 0: none."""
    confidence: Annotated[float, Field(gt=0.5, lt=1)] = 0.95
    """Level of every confidence interval."""
    noise_warning_share: Annotated[float, Field(gt=0, le=1)] = 0.5
    """Warn when replication noise is more than this share of a KPI's variance across points."""


class Experiment(Section):
    """A sensitivity experiment, as written in an experiment file."""

    name: Annotated[str, Field(min_length=1, max_length=200)]
    description: str = ""
    scenario: str | None = None
    """Base scenario file (relative to the experiment file); resolved to an absolute path."""
    function: Function | None = None
    """Instead of a scenario, a test function with known indices."""
    noise_sd: Annotated[float, Field(ge=0)] = 0.0
    """Test function only: standard deviation of normal replication noise added to `y`."""
    set: Annotated[dict[str, Any], Field(default_factory=dict)]
    """Fixed changes to the base scenario (dotted path: value), before any parameter."""
    parameters: Annotated[dict[Name, Parameter], Field(min_length=1, max_length=200)]
    """The uncertain inputs, by name (the name is their column in the results)."""
    design: Design
    replications: Annotated[int, Field(ge=1, le=10_000)] = 1
    """Replications per design point: replication r of every point uses the experiment's
    seed and r (common random numbers across points)."""
    seed: Annotated[int, Field(ge=0, lt=2**63)]
    kpis: Annotated[tuple[str, ...], Field(min_length=1), AsTuple]
    """KPI columns to analyse (docs/kpis.md); every KPI a run gives is stored."""
    analysis: Analysis = Field(default_factory=Analysis)
    _origin: tuple[Path | str, int | None] | None = PrivateAttr(default=None)

    @property
    def origin(self) -> tuple[Path | str, int | None]:
        """File and line of the design, for problems with design points (the experiment's
        name when it was not read from a file)."""
        return self._origin or (f"experiment '{self.name}'", None)

    @model_validator(mode="after")
    def _model(self) -> Self:
        if (self.scenario is None) == (self.function is None):
            raise ValueError("give either scenario (a file) or function (a test function)")
        paths = [p.path for p in self.parameters.values()]
        if self.scenario is not None and None in paths:
            missing = [n for n, p in self.parameters.items() if p.path is None]
            raise ValueError(f"every parameter of a scenario needs a path: {', '.join(missing)}")
        if self.function is not None and any(paths):
            raise ValueError("a test function's parameters have no path")
        if self.function is not None and self.set:
            raise ValueError("set changes a scenario; a test function has none")
        if self.scenario is not None and self.noise_sd:
            raise ValueError("noise_sd is for test functions; a scenario has its own noise")
        doubled = sorted({p for p in paths if p is not None and paths.count(p) > 1})
        if doubled:
            raise ValueError(f"a path may be varied by one parameter only: {', '.join(doubled)}")
        if self.groups is not None and self.design.method not in ("morris", "sobol"):
            raise ValueError("parameter groups are for morris and sobol designs only")
        inputs = {"ishigami": (3, 3), "sobol_g": (1, 8)}.get(self.function)
        if inputs and not inputs[0] <= len(self.parameters) <= inputs[1]:
            span = "3" if inputs[0] == inputs[1] else f"{inputs[0]} to {inputs[1]}"
            raise ValueError(f"{self.function} takes {span} parameters")
        if self.function is not None and set(self.kpis) != {"y"}:
            raise ValueError("a test function's only KPI is y")
        return self

    @property
    def groups(self) -> list[str] | None:
        """Each parameter's group (its own name if none), or None when no group is given."""
        if all(p.group is None for p in self.parameters.values()):
            return None
        return [p.group or name for name, p in self.parameters.items()]

    def digest(self) -> str:
        """sha256 of the experiment as canonical JSON (resuming into a folder needs the same)."""
        content = json.dumps(self.model_dump(mode="json"), separators=(",", ":"), allow_nan=False)
        return hashlib.sha256(content.encode("utf-8")).hexdigest()


def load_experiment(file: str | Path) -> Experiment:
    """Read and validate an experiment file (its base scenario and KPIs included).

    The base scenario is loaded with the fixed `set` changes and each parameter's path is
    tried at its bounds, so a typo in a path, a bound the scenario refuses or a KPI the
    scenario does not produce is reported here, at its line. Design points are checked when
    they are made (`sim.analysis.points.point_scenarios`).

    Raises
    ------
    ScenarioError
        Listing every problem, each with file, line and key path.
    """
    from sim.scenario.loading import validation_problems

    file = Path(file)
    document = read_yaml(file)
    if not isinstance(document.data, dict):
        raise ScenarioError([Problem(file, 1, (), "expected a mapping of experiment keys")])
    data = dict(document.data)
    if isinstance(data.get("scenario"), str):
        data["scenario"] = os.path.abspath(file.parent / data["scenario"])
    try:
        experiment = Experiment.model_validate(data)
    except ValidationError as error:
        raise ScenarioError(validation_problems(document, file, error, Experiment)) from None
    experiment._origin = document.where(("design",), file)
    problems = _size_problems(experiment, document, file)
    if experiment.scenario is not None:
        problems += _scenario_problems(experiment, document, file)
    if problems:
        raise ScenarioError(problems)
    return experiment


def _at(document: Document, file: Path, path: KeyPath, message: str) -> Problem:
    at_file, line = document.where(path, file)
    return Problem(at_file, line, path, message)


def _size_problems(experiment: Experiment, document: Document, file: Path) -> list[Problem]:
    from sim.analysis.design import design_size

    runs = design_size(experiment) * experiment.replications
    if runs <= MAX_RUNS:
        return []
    message = f"the design asks for {runs:,} runs; at most {MAX_RUNS:,} are allowed"
    return [_at(document, file, ("design",), message)]


def _scenario_problems(experiment: Experiment, document: Document, file: Path) -> list[Problem]:
    """The base scenario with `set`, each parameter at its bounds, and the KPIs, checked."""
    from sim.analysis.points import base_scenario
    from sim.scenario import variant

    try:
        base = base_scenario(experiment)
    except ScenarioError as error:
        where = ("set",) if experiment.set else ("scenario",)
        return [_at(document, file, where, f"base scenario: {p}") for p in error.problems]
    problems = []
    for name, parameter in experiment.parameters.items():
        for bound in ("low", "high"):
            value = getattr(parameter, bound)
            value = int(value) if parameter.integer else value
            try:
                variant(base, {parameter.path: value})
            except ScenarioError as error:
                first = error.problems[0]
                message = f"at {bound} = {value:g}: {first.message}"
                problems.append(_at(document, file, ("parameters", name, "path"), message))
                break
    problems += [
        _at(document, file, ("kpis", index), message)
        for index, kpi in enumerate(experiment.kpis)
        if (message := _kpi_problem(kpi, base)) is not None
    ]
    return problems


def _kpi_problem(kpi: str, scenario: Any) -> str | None:
    """Why `kpi` is not a column the base scenario's runs give, or None."""
    from sim.kpis import kpi_spec
    from sim.scenario.pathway import AgentDemand

    try:
        spec = kpi_spec(kpi)
    except KeyError as error:
        return str(error.args[0])
    stages = [*scenario.hub.stages, *scenario.external]
    subject = spec.subject
    if "stage" in subject and subject["stage"] not in stages:
        return f"no stage or service {subject['stage']!r}; the scenario has {', '.join(stages)}"
    if "target" in subject and subject["target"] not in scenario.targets:
        names = ", ".join(scenario.targets) or "none"
        return f"no target {subject['target']!r}; the scenario has {names}"
    agents = kpi.startswith("agents.") or "group" in subject
    if agents and not isinstance(scenario.demand, AgentDemand):
        return "an agent KPI, but the scenario's demand is not agents"
    return None

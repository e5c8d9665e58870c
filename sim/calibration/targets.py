"""The calibration targets file: observed figures, how the model measures each, and the
range that counts as a match.

A targets file sits beside the scenario it calibrates (`scenarios/targets/baseline.yaml`)
and is validated like one: strict keys, every problem reported with file, line and key path
(`TargetsError`, a `ScenarioError`). Planners with their own hub's figures write the same
format for their hub.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, ValidationError, model_validator

from sim.kpis import kpi_spec
from sim.scenario import Scenario
from sim.scenario.base import AsTuple, Date, Frozen, Name, PositiveDays, Section
from sim.scenario.loading import validation_problems
from sim.scenario.problems import Problem, ScenarioError
from sim.scenario.yaml_source import Document, read_yaml


class KpiMeasure(Section):
    """A declared KPI column of the run (see docs/kpis.md), optionally rescaled."""

    kind: Literal["kpi"]
    column: Annotated[str, Field(min_length=1)]
    """The KPI column, e.g. `agents.prevalence_mean` or `secondary_care.wait_median_days`."""
    scale: Annotated[float, Field(gt=0.0)] = 1.0
    """Multiplies the KPI (e.g. 0.142857 for days to weeks)."""


class OpenCaseload(Section):
    """Hub referrals waiting for or in service at some stages at the start of a date."""

    kind: Literal["open_caseload"]
    date: Date
    """The census date."""
    stages: Annotated[tuple[Name, ...], AsTuple, Field(min_length=1)]
    """The stages counted (hub stages or external services)."""


class FollowUpShare(Section):
    """A share of hub referrals, judged a fixed time after each one's referral.

    The denominator is every referral of the measured window whose follow-up time falls
    inside the run (those who never engaged included), or, with `among_started`, those of
    them who started that stage by then."""

    kind: Literal["follow_up_share"]
    days: PositiveDays
    """Time from referral to the follow-up."""
    state: Literal["started", "waiting"]
    """`started`: started any of `stages` by the follow-up; `waiting`: waiting in the queue
    of any of `stages` at the follow-up."""
    stages: Annotated[tuple[Name, ...], AsTuple, Field(min_length=1)]
    """The stages (hub stages or external services) that count."""
    among_started: Name | None = None
    """Only referrals who started this stage by the follow-up (e.g. `screening`)."""


class StageWait(Section):
    """A statistic of the waits at one stage, from joining its queue to starting service."""

    kind: Literal["stage_wait"]
    stage: Name
    """The hub stage or external service."""
    statistic: Literal["mean", "median", "share_within"]
    """Mean or median of the waits of those who started; or the share who started within
    `within_days` of joining (those who left unserved count as not within)."""
    within_days: PositiveDays | None = None
    """The limit of `share_within`."""
    clients: Literal["hub", "all"] = "hub"
    """Hub referrals only, or everyone the stage sees (its own referrals and backlog too)."""
    unit: Literal["days", "weeks"] = "days"
    """Unit of the mean and median."""

    @model_validator(mode="after")
    def _limit_with_share(self) -> StageWait:
        if (self.statistic == "share_within") != (self.within_days is not None):
            raise ValueError("within_days is needed with statistic share_within, and only then")
        return self


Measure = Annotated[
    KpiMeasure | OpenCaseload | FollowUpShare | StageWait, Field(discriminator="kind")
]


class Target(Section):
    """One observed figure and how to compare the model with it."""

    definition: Annotated[str, Field(min_length=1)]
    """What is measured, in words (printed beside the value)."""
    measure: Measure
    """How the model measures it."""
    accept: Annotated[tuple[float, float], AsTuple]
    """The accepted range [low, high] of the model's mean."""
    observed: Annotated[str, Field(min_length=1)]
    """The observed figure, as the source gives it."""
    source: Annotated[str, Field(min_length=1)]
    """Where the figure comes from."""
    confidence: Literal["H", "M", "L", "H / M"] | None = None
    """H peer-reviewed, number read directly; M reputable secondary report; L weaker."""

    @model_validator(mode="after")
    def _range_in_order(self) -> Target:
        low, high = self.accept
        if not low <= high:
            raise ValueError(
                f"accept must be [low, high] with low <= high, found {list(self.accept)}"
            )
        return self


class Targets(Section):
    """A targets file: the figures one hub's scenario should reproduce."""

    name: Annotated[str, Field(min_length=1)]
    """What the targets are of, e.g. the hub."""
    description: str = ""
    targets: Annotated[dict[Name, Target], Field(min_length=1), Frozen]
    """The targets by id."""


class TargetsError(ScenarioError):
    """A targets file is not valid (or does not fit its scenario); `problems` lists all."""


def load_targets(file: str | Path, scenario: Scenario | None = None) -> Targets:
    """Read and validate a targets file; with `scenario`, also check that the stages and KPI
    columns it names exist there.

    Raises
    ------
    TargetsError
        Listing every problem with file, line and key path.
    """
    file = Path(file)
    try:
        document = read_yaml(file)
    except ScenarioError as error:
        raise TargetsError(error.problems) from None
    try:
        targets = Targets.model_validate(document.data)
    except ValidationError as error:
        raise TargetsError(validation_problems(document, file, error, Targets)) from None
    if scenario is not None:
        problems = scenario_problems(targets, scenario, document, file)
        if problems:
            raise TargetsError(problems)
    return targets


def scenario_problems(
    targets: Targets, scenario: Scenario, document: Document, file: Path
) -> list[Problem]:
    """Stages and KPI columns named by `targets` that `scenario` does not have."""
    stages = [*scenario.hub.stages, *scenario.external]
    problems = []

    def refuse(path: tuple, message: str) -> None:
        at_file, line = document.where(path, file)
        problems.append(Problem(at_file, line, path, message))

    for name, target in targets.targets.items():
        at = ("targets", name, "measure")
        measure = target.measure
        named = [*getattr(measure, "stages", ()), getattr(measure, "stage", None)]
        named.append(getattr(measure, "among_started", None))
        for stage in (s for s in named if s is not None):
            if stage not in stages:
                refuse(at, f"unknown stage {stage!r}; the scenario's stages are {stages}")
        if isinstance(measure, KpiMeasure):
            try:
                subject = kpi_spec(measure.column).subject
            except (KeyError, ValueError) as error:
                refuse((*at, "column"), str(error).strip("\"'"))
                continue
            if "stage" in subject and subject["stage"] not in stages:
                refuse((*at, "column"), f"unknown stage {subject['stage']!r}; stages: {stages}")
    return problems

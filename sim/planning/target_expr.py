"""Capacity targets as planners write them: ``"assessment_within_14_days >= 0.9"``,
``"p90_wait_days <= 14"``, read against the KPIs declared in `sim.kpis`.

A target is ``METRIC >= NUMBER`` or ``METRIC <= NUMBER``. METRIC is, first match wins:

1. a KPI column of the scenario, e.g. ``assessment.wait_p90_days`` or
   ``target.assessment_2_weeks.share_within``;
2. the name of one of the scenario's targets, e.g. ``assessment_2_weeks`` (its share within);
3. a stage KPI without its stage, meaning the stage being searched: ``wait_p90_days``,
   ``wait_median_days``, ``wait_mean_days``, ``dropout_share``, ``utilisation``, or the
   spoken forms ``p90_wait_days``, ``median_wait_days``, ``mean_wait_days``;
4. ``<stage>_within_<N>_days`` (or ``within_<N>_days`` for the stage searched): the share of
   referrals that started that stage within N days of referral. It is a new target of the
   scenario (`Target`), so the KPI is the declared ``target.<name>.share_within``, measured
   by the same code as every other target.

Anything else is refused with the allowed names. So is a direction that more capacity
cannot bring about (a wait that should be *at least* some days). A target never names a
period (``period.funded.<kpi>``): the period is the search's own option (``--period``), so a
planner writes one target and asks it of any period.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Literal

from sim.kpis import kpi_spec
from sim.periods import split_period
from sim.scenario import Scenario
from sim.scenario.model import WHOLE_PERIOD

Operator = Literal[">=", "<="]

_EXPRESSION = re.compile(
    r"^\s*(?P<metric>[A-Za-z_][A-Za-z0-9_.]*)\s*(?P<op>>=|<=|=>|=<|>|<|==|=)\s*"
    r"(?P<number>[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?)\s*(?P<percent>%?)\s*$"
)
_WITHIN = re.compile(r"^(?:(?P<stage>[a-z0-9_]+?)_)?within_(?P<days>\d+(?:_\d+)?)_days?$")
STAGE_KEYS = ("wait_mean_days", "wait_median_days", "wait_p90_days", "dropout_share", "utilisation")
SPOKEN = {
    "p90_wait_days": "wait_p90_days",
    "median_wait_days": "wait_median_days",
    "mean_wait_days": "wait_mean_days",
}
"""Other spellings of the stage KPIs, as the issue and planners write them."""


class TargetError(ValueError):
    """A target expression that cannot be read or does not fit the scenario."""


@dataclass(frozen=True)
class TargetExpr:
    """A parsed target.

    Attributes
    ----------
    text
        As written.
    kpi
        The KPI column it is about (as in kpis.csv).
    op
        ``>=`` (the KPI must be at least `threshold`) or ``<=`` (at most).
    threshold
        The number it is compared with, in the KPI's unit.
    new_target
        For ``<stage>_within_<N>_days``: the target (name, stage, within_days) to add to the
        scenario before running it; None otherwise.
    """

    text: str
    kpi: str
    op: Operator
    threshold: float
    new_target: tuple[str, str, float] | None = field(default=None)

    def holds(self, value: float) -> bool:
        """Whether one value meets the target (NaN never does)."""
        if math.isnan(value):
            return False
        return value >= self.threshold if self.op == ">=" else value <= self.threshold

    def applied(self, scenario: Scenario) -> Scenario:
        """`scenario` with the target's KPI measured: the new target added if it needs one."""
        if self.new_target is None:
            return scenario
        from sim.scenario import variant

        name, stage, days = self.new_target
        share = min(max(self.threshold, 0.0), 1.0)
        return variant(
            scenario,
            {f"targets.{name}": {"stage": stage, "within_days": days, "share": share}},
        )


def _stage_kpis(scenario: Scenario) -> list[str]:
    stages = [*scenario.hub.stages, *scenario.external]
    return [f"{stage}.{key}" for stage in stages for key in STAGE_KEYS]


def allowed_metrics(scenario: Scenario, stage: str) -> list[str]:
    """Every METRIC the scenario allows, for error messages and `--help`."""
    return [
        *_stage_kpis(scenario),
        *(f"target.{name}.share_within" for name in scenario.targets),
        *scenario.targets,
        *STAGE_KEYS,
        *SPOKEN,
        f"{stage}_within_<N>_days",
        "<stage>_within_<N>_days",
    ]


def _resolve(metric: str, scenario: Scenario, stage: str) -> tuple[str, tuple | None]:
    targets = [f"target.{name}.share_within" for name in scenario.targets]
    if metric in _stage_kpis(scenario) or metric in targets:
        return metric, None
    if metric in scenario.targets:
        return f"target.{metric}.share_within", None
    key = SPOKEN.get(metric, metric)
    if key in STAGE_KEYS:
        return f"{stage}.{key}", None
    within = _WITHIN.match(metric)
    if within:
        where = within["stage"] or stage
        if where not in scenario.hub.stages and where not in scenario.external:
            known = ", ".join([*scenario.hub.stages, *scenario.external])
            raise TargetError(f"{metric!r}: no stage {where!r} in the scenario; stages: {known}")
        days = float(within["days"].replace("_", "."))
        name = metric if within["stage"] else f"{stage}_{metric}"
        return f"target.{name}.share_within", (name, where, days)
    period, kpi = split_period(metric)
    if period != WHOLE_PERIOD:
        raise TargetError(
            f"{metric!r}: a target does not name its period; write {kpi!r} and give the "
            f"period with --period {period} (period={period!r} in Python)"
        )
    allowed = ", ".join(allowed_metrics(scenario, stage))
    raise TargetError(f"{metric!r} is not a KPI of this scenario; allowed: {allowed}")


def parse_target(text: str, scenario: Scenario, stage: str) -> TargetExpr:
    """Read a target expression against `scenario`, whose stage `stage` is searched.

    Raises
    ------
    TargetError
        With what was found and what is allowed: not ``METRIC >= NUMBER`` or ``METRIC <=
        NUMBER``, an unknown metric (every allowed one is listed), a number outside the KPI's
        possible values, or a direction that more capacity cannot bring about.
    """
    found = _EXPRESSION.match(text)
    if not found:
        raise TargetError(
            f"{text!r} is not a target: write METRIC >= NUMBER or METRIC <= NUMBER, e.g. "
            f"'{stage}_within_14_days >= 0.9' or 'p90_wait_days <= 14'"
        )
    op = {"=>": ">=", "=<": "<="}.get(found["op"], found["op"])
    if op not in (">=", "<="):
        raise TargetError(f"{text!r}: the comparison must be >= or <=, found {found['op']!r}")
    threshold = float(found["number"]) / (100 if found["percent"] else 1)
    column, new_target = _resolve(found["metric"], scenario, stage)
    spec = kpi_spec(column).kpi
    if not spec.low <= threshold <= spec.high:
        raise TargetError(
            f"{text!r}: {column} is in {spec.unit} and lies between {spec.low:g} and "
            f"{spec.high:g}; found {threshold:g}"
        )
    wrong_way = (spec.higher_is_better is True and op == "<=") or (
        spec.higher_is_better is False and op == ">="
    )
    if wrong_way:
        better = "higher" if spec.higher_is_better else "lower"
        raise TargetError(
            f"{text!r}: {better} {column} is better, so more capacity never makes it "
            f"{'at most' if op == '<=' else 'at least'} a value; "
            f"write {found['metric']} {'>=' if spec.higher_is_better else '<='} NUMBER"
        )
    return TargetExpr(text.strip(), column, op, threshold, new_target)

"""Run a scenario and compare it with its calibration targets: `check(scenario, targets)`.

Each replication computes every target's measure in the worker (`target_values`), so only a
small dict per replication crosses to the caller; the table gives each target's mean across
replications with a Student-t 95% confidence interval, its accepted range and whether the
mean is inside it.
"""

from __future__ import annotations

from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.special import stdtrit

from sim.calibration.measures import measure
from sim.calibration.targets import KpiMeasure, Targets, load_targets
from sim.execution import Executor
from sim.metrics import CONFIDENCE, replication_kpis
from sim.runner import replicate, run
from sim.scenario import Scenario

CHECK_COLUMNS = [
    "target",
    "definition",
    "value",
    "ci_low",
    "ci_high",
    "accept_low",
    "accept_high",
    "inside",
    "replications",
    "observed",
    "source",
]


def target_values(
    scenario: Scenario, seed: int, replication: int, *, targets: Targets
) -> dict[str, float]:
    """Every target's measure in one replication of `scenario` (target id -> value)."""
    result = run(scenario, seed, replication)
    needs_kpis = any(isinstance(t.measure, KpiMeasure) for t in targets.targets.values())
    kpis = replication_kpis(result) if needs_kpis else None
    return {name: measure(result, t.measure, kpis) for name, t in targets.targets.items()}


def check(
    scenario: Scenario,
    targets: Targets | str | Path,
    replications: int | None = None,
    seed: int | None = None,
    executor: Executor | None = None,
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Run `scenario` and compare each target's measure with its accepted range.

    Parameters
    ----------
    scenario, targets
        The scenario and its targets: a `Targets`, or a targets file (loaded and checked
        against the scenario by `sim.calibration.targets.load_targets`).
    replications, seed
        Default to the scenario's.
    executor
        Where to compute (default: serially in this process).

    Returns
    -------
    table : DataFrame
        One row per target (`CHECK_COLUMNS`): its definition, the model's mean with a 95%
        confidence interval (empty with one replication), the accepted range, whether the
        mean is inside it, the replications, the observed figure and its source.
    values : DataFrame
        One row per replication, one column per target.
    """
    if not isinstance(targets, Targets):
        targets = load_targets(targets, scenario)
    function = partial(target_values, targets=targets)
    finished = dict(replicate(function, scenario, replications, seed, executor))
    values = pd.DataFrame([finished[r] for r in sorted(finished)])
    values.insert(0, "replication", sorted(finished))
    rows = []
    for name, target in targets.targets.items():
        column = values[name].to_numpy(float)
        column = column[np.isfinite(column)]
        n = column.size
        mean = float(column.mean()) if n else float("nan")
        half = float("nan")
        if n > 1:
            sd = float(column.std(ddof=1))
            half = float(stdtrit(n - 1, 0.5 + CONFIDENCE / 2) * sd / np.sqrt(n))
        low, high = target.accept
        rows.append(
            {
                "target": name,
                "definition": target.definition,
                "value": mean,
                "ci_low": mean - half,
                "ci_high": mean + half,
                "accept_low": low,
                "accept_high": high,
                "inside": bool(low <= mean <= high),
                "replications": n,
                "observed": target.observed,
                "source": target.source,
            }
        )
    return pd.DataFrame(rows, columns=CHECK_COLUMNS), values


def format_table(table: pd.DataFrame) -> str:
    """The check table for a terminal: one block per target, then a count inside."""

    def number(value: float) -> str:
        return "n/a" if not np.isfinite(value) else f"{value:,.3g}"

    lines = []
    for row in table.itertuples():
        ci = (
            f" (95% CI {number(row.ci_low)} to {number(row.ci_high)})"
            if np.isfinite(row.ci_low)
            else ""
        )
        verdict = "inside" if row.inside else "OUTSIDE"
        lines.append(
            f"{row.target}: {row.definition}\n"
            f"    model {number(row.value)}{ci}; accepted {number(row.accept_low)} to "
            f"{number(row.accept_high)}: {verdict}   (observed: {row.observed})"
        )
    inside = int(table["inside"].sum())
    lines.append(f"{inside} of {len(table)} targets inside their accepted range")
    return "\n".join(lines)

"""Paired comparison of scenarios: each KPI's difference from a base, with its 95% CI.

Every arm runs the same replications 0..n-1 from the same root seed (common random numbers:
the streams are keyed by what each draw is about, see `sim.streams`), so replication r of
two arms differs by the change, not by luck, and the difference of each pair has a far
smaller spread than either arm. The CI is the Student-t interval of the mean of the paired
differences. With ``crn=False`` each arm gets its own root seed: the same paired interval is
then still valid (the pairs are independent), but wider, which shows what common random
numbers buy. A scenario compared with itself gives differences of exactly 0.

References
----------
Law, "Simulation Modeling and Analysis" (5th ed., 2015), section 10.2: the paired-t
confidence interval, and section 11.2 on common random numbers.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from operator import itemgetter

import numpy as np
import pandas as pd
from scipy.special import stdtrit

from sim.execution import Executor, SerialExecutor
from sim.kpis import kpi_spec
from sim.scenario import Scenario

CONFIDENCE = 0.95
COLUMNS = [
    "variant",
    "kpi",
    "unit",
    "base_mean",
    "variant_mean",
    "diff",
    "diff_ci_low",
    "diff_ci_high",
    "rel_diff",
]
"""The columns of `Comparison.table` (comparison.csv): one row per variant and KPI."""


@dataclass(frozen=True)
class Comparison:
    """The result of `compare`.

    Attributes
    ----------
    names
        The arms' names, base first (used in the table, the legend and the files).
    seeds
        Each arm's root seed (all the same with common random numbers).
    crn
        Whether the arms shared their random numbers.
    kpis
        One row per arm and replication: ``scenario``, ``replication`` and every KPI.
    waiting
        People waiting per day and stage: ``scenario``, ``date``, ``replication``,
        ``stage``, ``waiting`` (the fan charts' series).
    table
        One row per variant and KPI (`COLUMNS`): means, the paired difference from the
        base with its 95% CI, and the difference as a share of the base mean.
    """

    names: list[str]
    seeds: list[int]
    crn: bool
    kpis: pd.DataFrame
    waiting: pd.DataFrame
    table: pd.DataFrame


def independent_seed(seed: int, arm: int) -> int:
    """The root seed of arm `arm` without common random numbers: the base (arm 0) keeps
    `seed`; every other arm gets its own, derived from (seed, arm) by `SeedSequence`."""
    if arm == 0:
        return seed
    word = np.random.SeedSequence([seed, arm]).generate_state(1, np.uint64)[0]
    return int(word >> np.uint64(1))  # below 2**63, as the scenario schema allows


def arm_replication(
    scenarios: tuple[Scenario, ...], seeds: tuple[int, ...], item: tuple[int, int]
) -> tuple[dict[str, float], pd.DataFrame]:
    """One replication of one arm: its KPIs and its people-waiting series (what an
    executor's worker computes; records never leave the worker)."""
    from sim.chart_data import replication_series
    from sim.metrics import replication_kpis
    from sim.runner import run

    arm, replication = item
    result = run(scenarios[arm], seeds[arm], replication)
    return replication_kpis(result), replication_series(result)["waiting"]


def unique_names(names: Sequence[str]) -> list[str]:
    """`names` with repeats numbered ("Baseline", "Baseline (2)"): a legend must tell arms
    apart even when two files share a name (a scenario compared with itself)."""
    seen: dict[str, int] = {}
    out = []
    for name in names:
        seen[name] = seen.get(name, 0) + 1
        out.append(name if seen[name] == 1 else f"{name} ({seen[name]})")
    return out


def compare(
    base: Scenario,
    variants: Sequence[Scenario],
    *,
    replications: int | None = None,
    seed: int | None = None,
    crn: bool = True,
    executor: Executor | None = None,
    names: Sequence[str] | None = None,
) -> Comparison:
    """Run `base` and every variant and compare each KPI with the base.

    Parameters
    ----------
    base, variants
        The scenarios (files, or `sim.variant(base, {...})`).
    replications, seed
        Default to the base scenario's; every arm runs the same number.
    crn
        Common random numbers (default): every arm uses `seed`. False gives each variant its
        own seed (`independent_seed`).
    executor
        Where to compute (default: serially here); all arms' replications share it.
    names
        The arms' names, base first (default: the scenarios' names, repeats numbered).

    Returns
    -------
    Comparison
    """
    if not variants:
        raise ValueError("compare needs at least one variant besides the base")
    scenarios = (base, *variants)
    count = base.simulation.replications if replications is None else replications
    if count < 1:
        raise ValueError(f"replications must be at least 1, found {count}")
    root = base.simulation.seed if seed is None else seed
    seeds = tuple(root if crn else independent_seed(root, arm) for arm in range(len(scenarios)))
    labels = unique_names(names if names is not None else [s.name for s in scenarios])
    if len(labels) != len(scenarios):
        raise ValueError(f"{len(labels)} names for {len(scenarios)} scenarios")
    executor = SerialExecutor() if executor is None else executor
    items = [(arm, r) for arm in range(len(scenarios)) for r in range(count)]
    finished = sorted(
        executor.map(partial(arm_replication, scenarios, seeds), items), key=itemgetter(0)
    )
    rows, waits = [], []
    for index, (kpis, waiting) in finished:
        arm, replication = items[index]
        rows.append({"scenario": labels[arm], "replication": replication, **kpis})
        waits.append(waiting.assign(scenario=labels[arm], replication=replication))
    kpis = pd.DataFrame(rows)
    waiting = pd.concat(waits, ignore_index=True)[
        ["scenario", "date", "replication", "stage", "waiting"]
    ]
    table = paired_differences(kpis, labels[0], labels[1:])
    return Comparison(labels, list(seeds), crn, kpis, waiting, table)


def _pair_row(name: str, base: np.ndarray, other: np.ndarray, confidence: float) -> dict:
    both = np.isfinite(base) & np.isfinite(other)
    base, other = base[both], other[both]
    n = int(both.sum())
    differences = other - base
    diff = float(differences.mean()) if n else math.nan
    base_mean = float(base.mean()) if n else math.nan
    low = high = math.nan
    if n > 1:
        half = float(stdtrit(n - 1, 0.5 + confidence / 2)) * differences.std(ddof=1) / math.sqrt(n)
        low, high = diff - half, diff + half
    if diff == 0:
        relative = 0.0  # also for a base mean of 0: no change is no change
    elif base_mean:
        relative = diff / abs(base_mean)
    else:
        relative = math.nan
    return {
        "kpi": name,
        "unit": kpi_spec(name).kpi.unit,
        "base_mean": base_mean,
        "variant_mean": float(other.mean()) if n else math.nan,
        "diff": diff,
        "diff_ci_low": low,
        "diff_ci_high": high,
        "rel_diff": relative,
    }


def paired_differences(
    kpis: pd.DataFrame, base: str, variants: Sequence[str], confidence: float = CONFIDENCE
) -> pd.DataFrame:
    """Each variant's KPIs against the base's, paired by replication.

    Parameters
    ----------
    kpis
        One row per arm and replication: ``scenario``, ``replication`` and KPI columns.
    base, variants
        Arm names in ``kpis["scenario"]``.

    Returns
    -------
    DataFrame
        `COLUMNS`: for each variant and each KPI both arms have, the means over the
        replications where both are defined, the mean paired difference (variant - base)
        with its Student-t interval (NaN from fewer than two pairs), and the difference as
        a share of the base mean.
    """
    arms = {
        name: frame.set_index("replication").sort_index()
        for name, frame in kpis.groupby("scenario")
    }
    reference = arms[base]
    rows = []
    for variant in variants:
        other = arms[variant]
        shared = reference.index.intersection(other.index)
        for name in reference.columns:
            if name == "scenario" or name not in other.columns:
                continue
            row = _pair_row(
                name,
                reference.loc[shared, name].to_numpy(float),
                other.loc[shared, name].to_numpy(float),
                confidence,
            )
            rows.append({"variant": variant, **row})
    return pd.DataFrame(rows, columns=COLUMNS)

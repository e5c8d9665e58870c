"""The planner's comparison and capacity charts: each `plot_x(data, *, ax=None) -> Axes`,
no files, no `show()` (the caller saves).

`plot_forest`: each KPI's difference from the base as a share of the base, with its 95% CI.
`plot_fans`: a daily series of several scenarios overlaid, one colour each, named in the
legend. `plot_capacity_curve`: the target's KPI against capacity with CIs, the target line
and the chosen capacity.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import PercentFormatter

COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple", "tab:brown")


def _axes(ax: Axes | None, height: float = 4.5) -> Axes:
    # A bare Figure, not pyplot: no global state, no GUI backend, safe in worker processes.
    return ax if ax is not None else Figure(figsize=(9, height)).add_subplot()


def _readable(kpi: str) -> str:
    return kpi.removeprefix("target.").replace("_", " ").replace(".", ": ")


def plot_forest(table: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Each KPI's difference from the base, as a share of the base mean, with its 95% CI
    (rows of comparison.csv: variant, kpi, base_mean, diff, diff_ci_low, diff_ci_high).

    KPIs whose base mean is 0 have no relative difference and are left out; one marker
    colour per variant."""
    rows = table[table["base_mean"].abs() > 0]
    kpis = list(dict.fromkeys(rows["kpi"]))
    variants = list(dict.fromkeys(rows["variant"]))
    ax = _axes(ax, height=max(3.0, 0.32 * len(kpis) * max(1, len(variants)) + 1.5))
    offsets = np.linspace(-0.25, 0.25, len(variants)) if len(variants) > 1 else [0.0]
    position = {kpi: i for i, kpi in enumerate(kpis)}
    for colour, offset, variant in zip(COLOURS * 10, offsets, variants, strict=False):
        mine = rows[rows["variant"] == variant]
        base = mine["base_mean"].abs().to_numpy()
        centre = mine["diff"].to_numpy() / base
        low = mine["diff_ci_low"].to_numpy() / base
        high = mine["diff_ci_high"].to_numpy() / base
        y = np.array([position[k] for k in mine["kpi"]]) + offset
        ax.errorbar(
            centre,
            y,
            xerr=[np.nan_to_num(centre - low), np.nan_to_num(high - centre)],
            fmt="o",
            color=colour,
            capsize=3,
            label=variant,
        )
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_yticks(range(len(kpis)), [_readable(k) for k in kpis])
    ax.invert_yaxis()
    ax.xaxis.set_major_formatter(PercentFormatter(1.0))
    ax.set_xlabel("difference from the base, as a share of the base (95% CI)")
    ax.set_title("Differences from the base scenario")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.12), ncol=3, frameon=False)
    return ax


def plot_fans(
    frames: Mapping[str, pd.DataFrame], *, x: str, y: str, ax: Axes | None = None
) -> Axes:
    """Median of `y` over `x` across replications with its 90% band, one colour per
    scenario (the keys of `frames`, shown in the legend)."""
    ax = _axes(ax)
    for colour, (name, frame) in zip(COLOURS * 10, frames.items(), strict=False):
        grouped = frame.groupby(x)[y]
        low, high = grouped.quantile(0.05), grouped.quantile(0.95)
        ax.fill_between(
            low.index, low.to_numpy(), high.to_numpy(), color=colour, alpha=0.15, linewidth=0
        )
        median = grouped.median()
        ax.plot(
            median.index,
            median.to_numpy(),
            color=colour,
            linewidth=1.6,
            label=name,
        )
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=1, frameon=False)
    return ax


def plot_waiting_compared(waiting: pd.DataFrame, *, stage: str, ax: Axes | None = None) -> Axes:
    """People waiting for `stage` each day in every scenario compared (columns scenario,
    date, replication, stage, waiting)."""
    rows = waiting[waiting["stage"] == stage]
    frames = {name: rows[rows["scenario"] == name] for name in dict.fromkeys(rows["scenario"])}
    ax = plot_fans(frames, x="date", y="waiting", ax=ax)
    ax.set_title(f"Waiting for {stage.replace('_', ' ')} (median; 90% of runs shaded)")
    ax.set_ylabel("people waiting")
    return ax


def plot_capacity_curve(
    points: pd.DataFrame,
    *,
    threshold: float,
    answer: float | None,
    kpi: str,
    unit: str,
    stage: str,
    period: str | None = None,
    ax: Axes | None = None,
) -> Axes:
    """The target's KPI against capacity (columns level, mean, ci_low, ci_high, model),
    with the target as a dashed line and the chosen capacity marked; `period` (e.g.
    ``"funded (2021-02-01 to 2023-03-31)"``), when the target is read on one, is named in
    the title."""
    ax = _axes(ax)
    points = points.sort_values("level")
    for model, marker, fill in (
        ("full model", "o", None),
        ("queue core on recorded referrals", "s", "none"),
    ):
        mine = points[points["model"] == model]
        if mine.empty:
            continue
        ax.errorbar(
            mine["level"],
            mine["mean"],
            yerr=[
                np.nan_to_num(mine["mean"] - mine["ci_low"]),
                np.nan_to_num(mine["ci_high"] - mine["mean"]),
            ],
            fmt=marker,
            mfc=fill,
            color="tab:blue",
            capsize=3,
            label=f"{model} (mean, 95% CI)",
        )
    ax.axhline(threshold, color="tab:red", linestyle="--", linewidth=1.2, label="target")
    if answer is not None:
        ax.axvline(answer, color="tab:green", linewidth=1.4, label=f"chosen: {answer:g} {unit}")
    ax.set_xlabel(f"{stage.replace('_', ' ')} capacity ({unit})")
    ax.set_ylabel(_readable(kpi))
    title = f"Capacity needed on {stage.replace('_', ' ')}"
    ax.set_title(title if period is None else f"{title}, period {period}")
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.14), ncol=2, frameon=False)
    return ax

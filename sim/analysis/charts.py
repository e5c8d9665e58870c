"""Charts of a sensitivity analysis: `plot_x(data, *, ax=None) -> Axes`, no I/O.

`analysis_charts` chooses the charts that suit the experiment's design and returns figures
by file name; the caller saves them (`sim.analysis.commands` into `analysis/charts/`).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

MAX_AGAINST = 36
"""Most parameters drawn in one KPI-against-each-parameter chart."""

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from sim.analysis.experiment import Experiment
    from sim.analysis.indices import Analysis


def _axes(ax: Axes | None) -> Axes:
    if ax is not None:
        return ax
    from matplotlib.figure import Figure

    return Figure(figsize=(7, 4.5)).subplots()


def _errors(rows: pd.DataFrame) -> np.ndarray:
    """Asymmetric error bars from conf_low/conf_high (0 where there is no interval)."""
    low = (rows["value"] - rows["conf_low"]).clip(lower=0).fillna(0)
    high = (rows["conf_high"] - rows["value"]).clip(lower=0).fillna(0)
    return np.vstack([low.to_numpy(), high.to_numpy()])


def plot_morris(indices: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Morris mu* against sigma, one labelled point per parameter, with mu*'s CI.

    `indices` holds one KPI's rows of `Analysis.indices`."""
    ax = _axes(ax)
    wide = indices.pivot(index="parameter", columns="index", values="value")
    star = indices[indices["index"] == "mu_star"].set_index("parameter").loc[wide.index]
    ax.errorbar(wide["mu_star"], wide["sigma"], xerr=_errors(star), fmt="o", capsize=3, color="C0")
    for name, row in wide.iterrows():
        ax.annotate(name, (row["mu_star"], row["sigma"]), textcoords="offset points", xytext=(4, 4))
    top = max(wide["mu_star"].max(), wide["sigma"].max(), 0) * 1.1 or 1
    ax.plot([0, top], [0, top], ":", color="grey", label="sigma = mu*")
    ax.set_xlabel("mu* (mean absolute elementary effect)")
    ax.set_ylabel("sigma (spread of the effects)")
    ax.set_xlim(left=0)
    ax.set_ylim(bottom=0)
    ax.legend(loc="upper left")
    return ax


def plot_sobol(indices: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """First-order (S1) and total (ST) indices as bars per parameter, with their CIs."""
    ax = _axes(ax)
    names = list(dict.fromkeys(indices.loc[indices["index"] == "S1", "parameter"]))
    x = np.arange(len(names))
    for offset, index in ((-0.2, "S1"), (0.2, "ST")):
        rows = indices[indices["index"] == index].set_index("parameter").loc[names].reset_index()
        ax.bar(x + offset, rows["value"], 0.4, yerr=_errors(rows), capsize=3, label=index)
    ax.set_xticks(x, names, rotation=30, ha="right")
    ax.axhline(0, color="black", linewidth=0.8)
    ax.set_ylabel("share of variance")
    ax.legend()
    return ax


def plot_tornado(indices: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Change in the KPI at each parameter's lowest and highest level (one at a time),
    the widest swing on top."""
    ax = _axes(ax)
    wide = indices.pivot(index="parameter", columns="index", values="value")
    wide = wide.assign(swing=(wide["effect_high"] - wide["effect_low"]).abs())
    wide = wide.sort_values("swing")
    y = np.arange(len(wide))
    ax.barh(y, wide["effect_low"], color="C0", label="at lowest level")
    ax.barh(y, wide["effect_high"], color="C1", label="at highest level")
    ax.set_yticks(y, wide.index)
    ax.axvline(0, color="black", linewidth=0.8)
    ax.set_xlabel("change from the middle point")
    ax.legend(loc="lower right")
    return ax


def plot_kpi_against(
    means: pd.DataFrame, parameter: str, kpi: str, *, ax: Axes | None = None
) -> Axes:
    """A KPI's mean over replications at every design point against one parameter, with
    the replication sd as error bars."""
    ax = _axes(ax)
    spread = means[f"{kpi}.sd"].fillna(0)
    ax.errorbar(means[parameter], means[f"{kpi}.mean"], yerr=spread, fmt=".", alpha=0.6)
    ax.set_xlabel(parameter)
    ax.set_ylabel(kpi)
    return ax


def plot_heat_map(means: pd.DataFrame, x: str, y: str, kpi: str, *, ax: Axes | None = None) -> Axes:
    """A KPI's mean over a two-parameter grid, each cell labelled with its value."""
    ax = _axes(ax)
    grid = means.pivot_table(index=y, columns=x, values=f"{kpi}.mean", aggfunc="mean")
    image = ax.imshow(grid.to_numpy(), origin="lower", aspect="auto", cmap="viridis")
    ax.set_xticks(range(grid.shape[1]), [f"{v:g}" for v in grid.columns])
    ax.set_yticks(range(grid.shape[0]), [f"{v:g}" for v in grid.index])
    for (row, column), value in np.ndenumerate(grid.to_numpy()):
        ax.text(column, row, f"{value:.3g}", ha="center", va="center", color="white", fontsize=8)
    ax.set_xlabel(x)
    ax.set_ylabel(y)
    ax.figure.colorbar(image, ax=ax, label=kpi)
    return ax


def plot_convergence(convergence: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Indices against sample size, one line per parameter and index (one KPI's rows)."""
    ax = _axes(ax)
    for (parameter, index), rows in convergence.groupby(["parameter", "index"], sort=False):
        ax.plot(rows["samples"], rows["value"], marker="o", label=f"{index} {parameter}")
    ax.set_xscale("log", base=2)
    ax.set_xlabel("samples (Sobol base N, or Morris trajectories)")
    ax.set_ylabel("index")
    ax.legend(fontsize=7, ncols=2)
    return ax


def _figure_of(ax: Axes, title: str) -> Figure:
    ax.set_title(title, fontsize=10)
    return ax.figure


def analysis_charts(experiment: Experiment, analysis: Analysis) -> dict[str, Figure]:
    """The charts that suit the design, by file name (without `.png`)."""
    from matplotlib.figure import Figure

    method = experiment.design.method
    names = list(experiment.parameters)
    figures: dict[str, Figure] = {}
    for kpi in analysis.indices["kpi"].unique():
        rows = analysis.indices[analysis.indices["kpi"] == kpi]
        if method == "morris":
            figures[f"morris_{kpi}"] = _figure_of(plot_morris(rows), f"Morris screening: {kpi}")
        elif method in ("sobol", "fast"):
            figures[f"{method}_{kpi}"] = _figure_of(plot_sobol(rows), f"{method} indices: {kpi}")
        elif method == "oat":
            figures[f"tornado_{kpi}"] = _figure_of(plot_tornado(rows), f"One at a time: {kpi}")
        converging = analysis.convergence[analysis.convergence["kpi"] == kpi]
        if not converging.empty:
            ax = plot_convergence(converging)
            figures[f"convergence_{kpi}"] = _figure_of(ax, f"Convergence: {kpi}")
        if method == "grid" and len(names) == 2:
            ax = plot_heat_map(analysis.means, names[0], names[1], kpi)
            figures[f"heat_map_{kpi}"] = _figure_of(ax, kpi)
        if len(names) <= MAX_AGAINST:
            columns = min(3, len(names))
            figure = Figure(figsize=(4 * columns, 3.2 * math.ceil(len(names) / columns)))
            axes = figure.subplots(math.ceil(len(names) / columns), columns, squeeze=False)
            for ax, name in zip(axes.flat, names, strict=False):
                plot_kpi_against(analysis.means, name, kpi, ax=ax)
            for ax in axes.flat[len(names) :]:
                ax.set_visible(False)
            figure.suptitle(f"{kpi} against each parameter", fontsize=10)
            figure.tight_layout()
            figures[f"against_{kpi}"] = figure
    return figures

"""Charts for planners: each `plot_x(data, *, ax=None) -> Axes`, no files, no `show()`.

Inputs are tidy frames with one row per (time, replication, ...); the caller saves figures.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

BANDS = ((0.05, 0.95, 0.18, "90% of runs"), (0.25, 0.75, 0.35, "50% of runs"))


def _axes(ax: Axes | None) -> Axes:
    # A bare Figure, not pyplot: no global state, no GUI backend, safe in worker processes.
    return ax if ax is not None else Figure(figsize=(9, 4.5)).add_subplot()


def _legend_below(ax: Axes) -> None:
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=4, frameon=False)


def plot_fan(
    frame: pd.DataFrame, *, x: str, y: str, ax: Axes | None = None, label: str = "median"
) -> Axes:
    """Median of `y` across replications over `x`, with 50% and 90% bands."""
    ax = _axes(ax)
    grouped = frame.groupby(x)[y]
    for low, high, alpha, band in BANDS:
        ax.fill_between(
            grouped.quantile(low).index,
            grouped.quantile(low).to_numpy(),
            grouped.quantile(high).to_numpy(),
            alpha=alpha,
            color="tab:blue",
            linewidth=0,
            label=band,
        )
    median = grouped.median()
    ax.plot(median.index, median.to_numpy(), color="tab:blue", linewidth=1.6, label=label)
    return ax


def plot_waiting_list(waiting: pd.DataFrame, *, stage: str, ax: Axes | None = None) -> Axes:
    """People waiting for `stage` each day (columns date, replication, stage, waiting)."""
    ax = plot_fan(waiting[waiting["stage"] == stage], x="date", y="waiting", ax=ax)
    ax.set_title(f"Waiting for {stage.replace('_', ' ')}")
    ax.set_ylabel("people waiting")
    ax.set_ylim(bottom=0)
    _legend_below(ax)
    return ax


def plot_referrals_vs_capacity(
    weekly: pd.DataFrame, capacity: pd.DataFrame, *, ax: Axes | None = None
) -> Axes:
    """Weekly referrals (columns week, replication, referrals) against weekly capacity of
    the first stage (columns week, capacity)."""
    ax = plot_fan(weekly, x="week", y="referrals", ax=ax, label="referrals (median)")
    ax.step(
        capacity["week"],
        capacity["capacity"],
        where="post",
        color="tab:red",
        linewidth=1.4,
        label="capacity",
    )
    ax.set_title("Weekly referrals and capacity")
    ax.set_ylabel("per week")
    ax.set_ylim(bottom=0)
    _legend_below(ax)
    return ax


def plot_share_within_target(
    shares: pd.DataFrame, *, target_share: float, title: str, ax: Axes | None = None
) -> Axes:
    """Share of referrals reaching the target stage in time, by month of referral (columns
    month, replication, share), with the target as a dashed line."""
    ax = plot_fan(shares, x="month", y="share", ax=ax, label="share in time (median)")
    ax.axhline(target_share, color="tab:red", linestyle="--", linewidth=1.2, label="target")
    ax.set_ylim(0, 1.02)
    ax.set_title(title)
    ax.set_ylabel("share of referrals")
    _legend_below(ax)
    return ax


def plot_uptake_by_group(uptake: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Uptake per 1,000 in need per year by group, with 95% CIs (columns group_type, group,
    mean, ci_low, ci_high)."""
    ax = _axes(ax)
    labels = [f"{row.group_type}: {row.group}" for row in uptake.itertuples()]
    positions = range(len(uptake))
    ax.barh(positions, uptake["mean"], color="tab:blue", alpha=0.7)
    ax.errorbar(
        uptake["mean"],
        positions,
        xerr=[uptake["mean"] - uptake["ci_low"], uptake["ci_high"] - uptake["mean"]],
        fmt="none",
        color="black",
        capsize=3,
    )
    ax.set_yticks(list(positions), labels)
    ax.invert_yaxis()
    ax.set_xlim(left=0)
    known = uptake["ci_low"].notna().any()  # one replication gives no interval
    ax.set_xlabel(
        "referrals per 1,000 in need per year"
        + (" (95% CI)" if known else " (one replication: no CI)")
    )
    ax.set_title("Uptake by group")
    return ax

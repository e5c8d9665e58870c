"""Charts for planners: each `plot_x(data, *, ax=None) -> Axes`, no files, no `show()`.

Inputs are tidy frames with one row per (time, replication, ...); the caller saves figures.
"""

from __future__ import annotations

import io

import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.labels import group_label, title, words

BANDS = ((0.05, 0.95, 0.18, "90% of runs"), (0.25, 0.75, 0.35, "50% of runs"))
PNG_DPI = 120
"""Resolution of every chart file: a 9 x 4.5 inch chart is 1080 pixels wide, sharp on a slide."""


def figure_png(figure: Figure) -> bytes:
    """`figure` as the PNG every chart file is: `PNG_DPI`, cropped to what is drawn (the
    legend below the axes included)."""
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=PNG_DPI, bbox_inches="tight")
    return buffer.getvalue()


def _axes(ax: Axes | None) -> Axes:
    # A bare Figure, not pyplot: no global state, no GUI backend, safe in worker processes.
    return ax if ax is not None else Figure(figsize=(9, 4.5)).add_subplot()


def _legend_below(ax: Axes) -> None:
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.1), ncol=4, frameon=False)


def add_caption(ax: Axes, caption: str) -> Axes:
    """Write `caption` (the scenario's name and the run date) at the top right of the chart,
    so a chart copied into slides still says what it shows; the title moves to the left."""
    ax.set_title(ax.get_title(), loc="left")
    ax.set_title("", loc="center")
    ax.set_title(caption, loc="right", fontsize=8, color="dimgray")
    return ax


def plot_fan(
    frame: pd.DataFrame,
    *,
    x: str,
    y: str,
    ax: Axes | None = None,
    label: str = "median",
    color: str = "tab:blue",
    bands: tuple = BANDS,
) -> Axes:
    """Median of `y` across replications over `x`, with bands (default 50% and 90% of runs)."""
    ax = _axes(ax)
    grouped = frame.groupby(x)[y]
    for low, high, alpha, band in bands:
        ax.fill_between(
            grouped.quantile(low).index,
            grouped.quantile(low).to_numpy(),
            grouped.quantile(high).to_numpy(),
            alpha=alpha,
            color=color,
            linewidth=0,
            label=band,
        )
    median = grouped.median()
    ax.plot(median.index, median.to_numpy(), color=color, linewidth=1.6, label=label)
    return ax


def plot_waiting_list(waiting: pd.DataFrame, *, stage: str, ax: Axes | None = None) -> Axes:
    """People waiting for `stage` each day (columns date, replication, stage, waiting)."""
    ax = plot_fan(waiting[waiting["stage"] == stage], x="date", y="waiting", ax=ax)
    ax.set_title(f"People waiting for {words(stage)}")
    ax.set_ylabel("people waiting")
    ax.set_ylim(bottom=0)
    _legend_below(ax)
    return ax


def plot_weeks_waited(weeks: pd.DataFrame, *, stage: str, ax: Axes | None = None) -> Axes:
    """How long the people waiting for `stage` have waited so far, in weeks, at the end of
    each week: the median and the 90th percentile (columns week, replication, stage,
    median_weeks, p90_weeks), each the median across runs with a band of 90% of runs."""
    rows = weeks[weeks["stage"] == stage]
    ax = _axes(ax)
    for column, color, label in (
        ("p90_weeks", "tab:red", "90th percentile"),
        ("median_weeks", "tab:blue", "median"),
    ):
        band = ((0.05, 0.95, 0.18, f"{label}: 90% of runs"),)
        plot_fan(rows, x="week", y=column, ax=ax, label=label, color=color, bands=band)
    ax.set_title(f"Weeks waited so far by people waiting for {words(stage)}")
    ax.set_ylabel("weeks waited")
    ax.set_ylim(bottom=0)
    _legend_below(ax)
    return ax


def _plot_levels(frame: pd.DataFrame, *, column: str, unit: str, ax: Axes | None) -> Axes:
    """One named step line per stage of `frame` (columns stage, date, `column`: one row per
    change and one at the end), each level written on it with `unit`."""
    ax = _axes(ax)
    for index, (stage, rows) in enumerate(frame.groupby("stage", sort=False)):
        color = f"C{index}"
        ax.step(
            rows["date"], rows[column], where="post", color=color, linewidth=1.8, label=title(stage)
        )
        for when, level in zip(rows["date"].iloc[:-1], rows[column].iloc[:-1], strict=True):
            ax.annotate(
                f"{level:,g} {unit}",
                (when, level),
                xytext=(4, 3),
                textcoords="offset points",
                color=color,
                fontsize=8,
            )
    ax.set_ylim(bottom=0, top=max(frame[column].max() * 1.15, 1))
    _legend_below(ax)
    return ax


def plot_staffing(staffing: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Staff of every hub stage over time in WTE (columns stage, date, wte: one row per
    change and one at the end), each line named and each level written on it."""
    ax = _plot_levels(staffing, column="wte", unit="WTE", ax=ax)
    ax.set_title("Staff on each hub stage")
    ax.set_ylabel("whole-time equivalents (WTE)")
    return ax


def plot_external_places(places: pd.DataFrame, *, ax: Axes | None = None) -> Axes:
    """Caseload places of every external service over time (columns stage, date, places),
    waiting-list initiatives included, each line named and each level written on it."""
    ax = _plot_levels(places, column="places", unit="places", ax=ax)
    ax.set_title("Places at each external service")
    ax.set_ylabel("caseload places")
    return ax


def plot_referrals_vs_capacity(
    weekly: pd.DataFrame, capacity: pd.DataFrame, *, stage: str = "", ax: Axes | None = None
) -> Axes:
    """Weekly referrals (columns week, replication, referrals) against the weekly capacity
    of the first stage, `stage` (columns week, capacity, wte), its WTE written on it."""
    ax = plot_fan(weekly, x="week", y="referrals", ax=ax, label="referrals (median)")
    ax.step(
        capacity["week"],
        capacity["capacity"],
        where="post",
        color="tab:red",
        linewidth=1.4,
        label=f"{words(stage)} capacity (people a week)" if stage else "capacity",
    )
    if "wte" in capacity:
        steps = capacity.iloc[:-1]
        for when, level, wte in zip(steps["week"], steps["capacity"], steps["wte"], strict=True):
            ax.annotate(
                f"{wte:g} WTE",
                (when, level),
                xytext=(4, 3),
                textcoords="offset points",
                color="tab:red",
                fontsize=8,
            )
    ax.set_title("Weekly referrals and capacity")
    ax.set_ylabel("per week")
    highest = capacity["capacity"].max()
    top = ax.get_ylim()[1] if pd.isna(highest) else max(ax.get_ylim()[1], 1.12 * highest)
    ax.set_ylim(bottom=0, top=top)  # room for the WTE labels above the line
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


def plot_uptake_by_group(
    uptake: pd.DataFrame, *, all_staff: float | None = None, ax: Axes | None = None
) -> Axes:
    """Uptake per 1,000 in need per year by group, with 95% CIs (columns group_type, group,
    mean, ci_low, ci_high), and the uptake of all staff as a dashed reference line."""
    ax = _axes(ax)
    labels = [group_label(row.group_type, row.group) for row in uptake.itertuples()]
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
    if all_staff is not None:
        ax.axvline(
            all_staff,
            color="tab:red",
            linestyle="--",
            linewidth=1.2,
            label=f"all staff: {all_staff:,.0f}",
        )
        ax.legend(loc="lower right", frameon=False)
    ax.set_xlim(left=0)
    known = uptake["ci_low"].notna().any()  # one replication gives no interval
    ax.set_xlabel(
        "referrals per 1,000 in need per year"
        + (" (95% CI)" if known else " (one replication: no CI)")
    )
    ax.set_title("Uptake by group")
    return ax

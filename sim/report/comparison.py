"""The report of a comparison's folder (`hubsim compare`): which scenarios were compared, each
measure's difference from the base with the 95% CI of the paired difference, whether the
difference is clear and whether it is better or worse, the charts and the provenance,
rendered with `templates/comparison.html.j2`.

A difference is *clear* when its 95% interval excludes 0. It is *better* or *worse* by the
measure's declared direction (`higher_is_better` in `sim.kpis`); a measure with no direction
of its own (demand, utilisation) is only said to be clearly higher or lower. Differences of
shares are in percentage points; the relative difference is the difference over the base.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.kpis import DAYS, SHARE, kpi_spec
from sim.labels import kpi_label, words
from sim.periods import period_windows, split_period
from sim.planning.folders import COMPARISON_FILE
from sim.report.headline import format_value, headline_kpis
from sim.report.kinds import read_manifest, stored_scenarios
from sim.report.page import ReportError, embedded_charts, provenance, render
from sim.scenario import Scenario
from sim.scenario.model import WHOLE_PERIOD
from sim.scenario.sources import SKIPPED, dotted, leaves

BETTER, WORSE = "better", "worse"

CHART_ORDER = ("forest", "waiting_")
CHART_NOTES = {
    "forest": "Each measure's difference from the base as a share of the base's value, with "
    "its 95% confidence interval (one colour per variant). An interval that crosses the line "
    "at 0 is not a clear difference.",
    "waiting_": "People on the waiting list each day in every scenario compared, one colour "
    "each (the median of the runs, with 90% of runs shaded).",
}


@dataclass(frozen=True)
class Verdict:
    """Whether a difference is clear, and better or worse: `css` is "better", "worse" or ""."""

    css: str
    words: str


def verdict(kpi: str, diff: float, low: float, high: float) -> Verdict:
    """The verdict on one difference (see the module docstring)."""
    if not math.isfinite(diff):
        return Verdict("", "–")
    if not (math.isfinite(low) and math.isfinite(high)):
        return Verdict("", "no difference" if diff == 0 else "one run each: no interval")
    if not (low > 0 or high < 0):
        return Verdict("", "no difference" if low == high == 0 else "no clear difference")
    direction = "higher" if diff > 0 else "lower"
    better = kpi_spec(kpi).kpi.higher_is_better
    if better is None:
        return Verdict("", f"clearly {direction}")
    good = (diff > 0) == better
    return Verdict(BETTER if good else WORSE, f"{BETTER if good else WORSE} ({direction})")


def _signed(value: float, digits: int = 3) -> str:
    """`value` with its sign and `digits` significant figures, never in e-notation."""
    if value == 0:
        return "0"
    if abs(value) >= 100:
        return f"{value:+,.0f}"
    return np.format_float_positional(
        value, precision=digits, fractional=False, trim="-", sign=True
    )


def format_difference(kpi: str, value: float, *, unit: bool = True) -> str:
    """A difference with its sign: shares in percentage points ("points" after it unless
    `unit` is False) and days to one decimal (a smaller one to two significant figures, so
    that it never reads as 0), others to three significant figures."""
    if not math.isfinite(value):
        return "–"
    measured_in = kpi_spec(kpi).kpi.unit
    if measured_in not in (SHARE, DAYS):
        return _signed(value)
    shown = 100 * value if measured_in == SHARE else value
    text = f"{shown:+,.1f}" if abs(shown) >= 0.1 else _signed(shown, digits=2)
    return f"{text} points" if measured_in == SHARE and unit else text


def format_relative(value: float) -> str:
    """The relative difference, e.g. "-12.5%" ("–" where the base is 0)."""
    return f"{value:+.1%}" if math.isfinite(value) else "–"


@dataclass(frozen=True)
class DifferenceRow:
    """One measure of one variant against the base, as the page shows it."""

    kpi: str
    label: str
    unit: str
    description: str
    base: str
    variant: str
    difference: str
    interval: str
    relative: str
    verdict: Verdict


def difference_row(row: Mapping[str, Any]) -> DifferenceRow:
    """A row of comparison.csv for people."""
    kpi = str(row["kpi"])
    _, column = split_period(kpi)
    low, high = float(row["diff_ci_low"]), float(row["diff_ci_high"])
    interval = ""
    if math.isfinite(low) and math.isfinite(high):
        interval = f"{format_difference(kpi, low, unit=False)} to {format_difference(kpi, high)}"
    return DifferenceRow(
        kpi=kpi,
        label=kpi_label(column),
        unit=str(row["unit"]),
        description=kpi_spec(kpi).description,
        base=format_value(kpi, float(row["base_mean"])),
        variant=format_value(kpi, float(row["variant_mean"])),
        difference=format_difference(kpi, float(row["diff"])),
        interval=interval,
        relative=format_relative(float(row["rel_diff"])),
        verdict=verdict(kpi, float(row["diff"]), low, high),
    )


NOT_CHANGES = ("simulation.seed", "simulation.replications")
"""Values a comparison does not take from the variants: every arm runs the base's seed and
replications (or those given on the command line)."""


def scenario_changes(base: Scenario, other: Scenario) -> list[dict[str, str]]:
    """Every parameter whose value differs between two scenarios: `parameter`, `base` and
    `variant` (as text; "–" where one of them has no such value); `NOT_CHANGES` left out."""

    def values(scenario: Scenario) -> dict[str, str]:
        pairs = leaves(scenario.model_dump(mode="json"))
        named = {dotted(key): str(value) for key, value in pairs if key[0] not in SKIPPED}
        return {name: value for name, value in named.items() if name not in NOT_CHANGES}

    first, second = values(base), values(other)
    names = list(dict.fromkeys([*first, *second]))
    return [
        {"parameter": name, "base": first.get(name, "–"), "variant": second.get(name, "–")}
        for name in names
        if first.get(name) != second.get(name)
    ]


def _periods(base: Scenario, table: pd.DataFrame) -> list[dict[str, str]]:
    """The periods comparison.csv has, besides the whole run, in the scenario's order; none
    when the only one is the calendar year the whole run is in (it would repeat the run)."""
    present = {split_period(kpi)[0] for kpi in table["kpi"]}
    windows = [w for w in period_windows(base) if w.name in present]
    if len(windows) == 1 and windows[0].kind == "year":
        return []
    return [
        {"name": w.name, "label": words(w.name), "dates": f"{w.first_date} to {w.last_date}"}
        for w in windows
    ]


def _variant_section(
    base: Scenario, other: Scenario, rows: pd.DataFrame, periods: Sequence[dict[str, str]]
) -> dict[str, Any]:
    """One variant against the base: the headline, every other measure, the headline by
    period, and what the variant changes."""
    split = [split_period(kpi) for kpi in rows["kpi"]]
    rows = rows.assign(period=[p for p, _ in split], column=[c for _, c in split])
    whole = rows[rows["period"] == WHOLE_PERIOD].set_index("kpi", drop=False)
    headline = headline_kpis(base, whole)
    by_period = {(r.period, r.column): r for r in rows.itertuples() if r.period != WHOLE_PERIOD}
    return {
        "headline": [difference_row(whole.loc[kpi]) for kpi in headline],
        "others": [difference_row(r) for _, r in whole.iterrows() if r["kpi"] not in headline],
        "by_period": [
            {
                "kpi": kpi,
                "label": kpi_label(kpi),
                "cells": {
                    period["name"]: difference_row(by_period[(period["name"], kpi)]._asdict())
                    for period in periods
                    if (period["name"], kpi) in by_period
                },
            }
            for kpi in headline
        ],
        "changes": scenario_changes(base, other),
    }


def _draw(folder: Path, table: pd.DataFrame) -> dict[str, Figure]:
    """The forest plot and the overlaid waiting lists, for a folder that kept no charts."""
    from sim.planning.charts import plot_forest, plot_waiting_compared

    figures = {"forest": plot_forest(table).figure}
    waiting = pd.read_parquet(folder / "waiting.parquet")
    for stage in waiting["stage"].unique():
        figures[f"waiting_{stage}"] = plot_waiting_compared(waiting, stage=stage).figure
    return figures


def comparison_context(folder: str | Path) -> dict[str, Any]:
    """Everything `templates/comparison.html.j2` shows, from a comparison's folder alone."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    scenarios = stored_scenarios(folder, manifest)
    try:
        table = pd.read_csv(folder / COMPARISON_FILE)
    except (OSError, ValueError) as error:
        raise ReportError(f"{folder / COMPARISON_FILE}: cannot be read: {error}") from None
    names = manifest.get("names") or [s.name for s in scenarios]
    files = manifest.get("files") or []
    seeds = manifest.get("seeds") or []
    digests = manifest.get("scenario_digests") or []
    arms = [
        {
            "role": "base" if index == 0 else "variant",
            "name": name,
            "file": files[index] if index < len(files) else "not recorded",
            "digest": digests[index] if index < len(digests) else "",
            "seed": seeds[index] if index < len(seeds) else "",
            "description": scenarios[index].description if index < len(scenarios) else "",
        }
        for index, name in enumerate(names)
    ]
    base = scenarios[0]
    periods = _periods(base, table)
    variants = []
    for index, name in enumerate(names[1:], start=1):
        rows = table[table["variant"] == name]
        if rows.empty:
            raise ReportError(f"{folder / COMPARISON_FILE}: no rows for the variant {name!r}")
        section = _variant_section(base, scenarios[index], rows, periods)
        variants.append({"name": name, **section})
    sim = base.simulation
    started = manifest.get("started")
    return {
        "base": base,
        "arms": arms,
        "variants": variants,
        "periods": periods,
        "crn": bool(manifest.get("common_random_numbers", True)),
        "replications": manifest.get("replications"),
        "seed": seeds[0] if seeds else base.simulation.seed,
        "run_date": datetime.fromisoformat(started).strftime("%d %B %Y") if started else "",
        "measured": f"{sim.start_date} to {sim.end_date}"
        + (f", the first {sim.warmup_days} days a warm-up left out" if sim.warmup_days else ""),
        "overrides": manifest.get("overrides") or [],
        "charts": embedded_charts(
            folder, lambda: _draw(folder, table), order=CHART_ORDER, notes=CHART_NOTES
        ),
        "better": BETTER,
        "worse": WORSE,
        "provenance": provenance(manifest),
    }


def render_comparison(folder: str | Path) -> str:
    """The report page of a comparison's folder, as HTML text."""
    return render("comparison.html.j2", comparison_context(folder))

"""The report's headline: the KPIs a commissioning meeting asks about first, each with its
95% confidence interval, and a red/amber/green status against the scenario's targets.

Status of a target in a period, from the confidence interval of the share seen in time:
green when the whole interval is at or above the target share (met, with 95%
confidence), red when the whole interval is below it (missed), amber when the interval
straddles it (the runs cannot tell). With one replication there is no interval: the mean
alone decides between green and red, and the report says so.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

from sim.kpis import DAYS, SHARE, kpi_spec
from sim.labels import kpi_label
from sim.scenario import Scenario
from sim.scenario.model import WHOLE_PERIOD

GREEN, AMBER, RED = "green", "amber", "red"
STATUS_WORDS = {GREEN: "met", AMBER: "uncertain", RED: "not met"}


@dataclass(frozen=True)
class Status:
    """A target's red/amber/green status and the words that go with it."""

    colour: str
    words: str


def rag(mean: float, low: float, high: float, target: float) -> Status | None:
    """Red/amber/green of a share against its target share (see the module docstring);
    None when the share is unknown (no referral reached the stage)."""
    if not math.isfinite(mean):
        return None
    if not (math.isfinite(low) and math.isfinite(high)):
        colour = GREEN if mean >= target else RED
        return Status(colour, f"{STATUS_WORDS[colour]} (one run: no interval)")
    colour = GREEN if low >= target else RED if high < target else AMBER
    return Status(colour, STATUS_WORDS[colour])


def headline_kpis(scenario: Scenario, summary: pd.DataFrame) -> list[str]:
    """The KPI columns shown first, in order, among those the summary holds: referrals,
    each target's share in time, each hub stage's median and 90th percentile wait and
    dropout, people discharged or transferred at a closure, and with agents need, unmet
    need and uptake."""
    wanted = ["referrals_per_month"]
    wanted += [f"target.{name}.share_within" for name in scenario.targets]
    for stage in scenario.hub.stages:
        wanted += [f"{stage}.{key}" for key in ("wait_median_days", "wait_p90_days")]
        wanted.append(f"{stage}.dropout_share")
    wanted += ["discharged_at_closure", "transferred_at_closure"]
    wanted += [
        "agents.prevalence_mean",
        "agents.unmet_need_mean",
        "agents.unmet_need_share",
        "agents.annual_uptake_share",
    ]
    present = set(summary["kpi"])
    return [kpi for kpi in wanted if kpi in present]


def format_value(kpi: str, value: float) -> str:
    """A KPI value as people read it: shares in %, days to one decimal, counts whole."""
    if not math.isfinite(value):
        return "–"
    unit = kpi_spec(kpi).kpi.unit
    if unit == SHARE:
        return f"{value:.1%}"
    if unit == DAYS:
        return f"{value:,.1f}"
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:,.3g}"


@dataclass(frozen=True)
class Cell:
    """One KPI in one period: its mean, interval and, for a target, its status."""

    value: str
    interval: str
    status: Status | None


@dataclass(frozen=True)
class Row:
    """One headline KPI across the periods."""

    kpi: str
    label: str
    unit: str
    description: str
    target: str
    cells: dict[str, Cell]


def headline_rows(scenario: Scenario, summary: pd.DataFrame) -> list[Row]:
    """The headline KPIs (`headline_kpis`) with a cell per period of the summary."""
    periods = list(dict.fromkeys(summary["period"]))
    indexed = summary.set_index(["period", "kpi"])
    targets = {f"target.{name}.share_within": t.share for name, t in scenario.targets.items()}
    rows = []
    for kpi in headline_kpis(scenario, summary[summary["period"] == WHOLE_PERIOD]):
        spec = kpi_spec(kpi)
        cells = {}
        for period in periods:
            if (period, kpi) not in indexed.index:
                continue
            found = indexed.loc[(period, kpi)]
            mean, low, high = (float(found[c]) for c in ("mean", "ci_low", "ci_high"))
            known = math.isfinite(low) and math.isfinite(high)
            interval = f"{format_value(kpi, low)} to {format_value(kpi, high)}" if known else ""
            status = rag(mean, low, high, targets[kpi]) if kpi in targets else None
            cells[period] = Cell(format_value(kpi, mean), interval, status)
        rows.append(
            Row(
                kpi=kpi,
                label=kpi_label(kpi),
                unit=spec.kpi.unit,
                description=spec.description,
                target=f"{targets[kpi]:.0%}" if kpi in targets else "",
                cells=cells,
            )
        )
    return rows

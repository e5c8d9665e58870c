"""What the planner's charts show: small per-replication series, and every chart's input
built from a results folder alone.

A replication's series (`replication_series`) are computed where it ran, from its records,
and stored with its other tables; `chart_inputs` reads only the stored series, the KPIs and
the scenario, so the charts of any results folder can be redrawn (by the writer, by
`sim.results.load(DIR).charts()`, by the report) whichever tables the scenario kept. The
series are kept whatever `outputs` says: they are small (a few hundred rows a replication)
where the records they summarise are not.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from sim.charts import (
    add_caption,
    figure_png,
    plot_external_places,
    plot_referrals_vs_capacity,
    plot_share_within_target,
    plot_staffing,
    plot_uptake_by_group,
    plot_waiting_list,
    plot_weeks_waited,
)
from sim.labels import title as title_words
from sim.labels import words
from sim.metrics import confidence_summary, waits_since_referral
from sim.pathway import external_places
from sim.queue import Source
from sim.scenario import Scenario
from sim.scenario.staffing import hub_staffing

if TYPE_CHECKING:
    from sim.results import Results
    from sim.runner import Run

UPTAKE_PREFIX = "uptake_per_1000_in_need_year."
EQUITY_GROUPS = ("sector", "minority_ethnic", "racism_affected", "sex", "staff_group")


def replication_series(run: Run) -> dict[str, pd.DataFrame]:
    """The series the charts need from one replication, by table name.

    Returns
    -------
    dict
        `waiting`: day, date, stage, waiting (people waiting at the end of each measured
        day, all priority classes). `weekly_referrals`: week (its first date), referrals
        (hub referrals to the first stage, whole weeks of the measured window, zero weeks
        included). `monthly_targets`: target, month, referrals (hub referrals in the
        measured window that joined the target stage's queue, by month of referral),
        within (how many of them started it within the target's days). `waiting_weeks`:
        week (the date at the end of each whole measured week), stage, waiting (people
        waiting then), median_weeks and p90_weeks (how long they had waited so far).
    """
    return {
        "waiting": _waiting(run),
        "weekly_referrals": _weekly_referrals(run),
        "monthly_targets": _monthly_targets(run),
        "waiting_weeks": _weeks_waited(run),
    }


def _weeks_waited(run: Run) -> pd.DataFrame:
    """Weeks waited so far by everyone waiting at each stage at the end of each whole
    measured week: the waiting-list view of waits (as in referral-to-treatment statistics),
    which shows a growing list's waits while they grow, not only once people are seen."""
    records, scenario = run.queue.records, run.scenario
    first_week, last_week = _whole_weeks(scenario)
    snapshots = 7.0 * np.arange(first_week + 1, last_week + 1)  # the end of each week
    start = pd.Timestamp(scenario.simulation.start_date)
    left = np.where(np.isnan(records.visit_start), records.visit_end, records.visit_start)
    left = np.where(np.isnan(left), np.inf, left)  # still waiting at the end of the run
    frames = []
    for stage in (*scenario.hub.stages, *scenario.external):
        at_stage = records.visit_stage == run.queue.network.index(stage)
        arrive, until = records.visit_arrive[at_stage], left[at_stage]
        rows = []
        for t in snapshots:
            waited = (t - arrive[(arrive <= t) & (until > t)]) / 7.0
            median, p90 = np.quantile(waited, [0.5, 0.9]) if waited.size else (np.nan, np.nan)
            rows.append((waited.size, median, p90))
        stats = np.array(rows, float).reshape(-1, 3)
        frames.append(
            pd.DataFrame(
                {
                    "week": start + pd.to_timedelta(snapshots, unit="D"),
                    "stage": stage,
                    "waiting": stats[:, 0].astype(np.int64),
                    "median_weeks": stats[:, 1],
                    "p90_weeks": stats[:, 2],
                }
            )
        )
    return pd.concat(frames, ignore_index=True)


def _waiting(run: Run) -> pd.DataFrame:
    daily = run.queue.daily  # the measured days
    start = pd.Timestamp(run.scenario.simulation.start_date)
    waiting = daily.groupby(["day", "stage"], observed=True, as_index=False)["waiting"].sum()
    waiting.insert(1, "date", start + pd.to_timedelta(waiting["day"], unit="D"))
    return waiting


def _whole_weeks(scenario: Scenario) -> tuple[int, int]:
    """First and last (exclusive) week number of the whole weeks in the measured window: a
    part-week at either end would look like a dip."""
    sim = scenario.simulation
    return -(-sim.warmup_days // 7), sim.horizon_days // 7


def _weekly_referrals(run: Run) -> pd.DataFrame:
    records, scenario = run.queue.records, run.scenario
    first = next(iter(scenario.hub.stages))
    referrals = (
        (records.visit_stage == run.queue.network.index(first))
        & (records.client_source[records.visit_client] == Source.REFERRAL)
        & (records.visit_arrive >= scenario.simulation.warmup_days)
    )
    first_week, last_week = _whole_weeks(scenario)
    weeks = (records.visit_arrive[referrals] // 7).astype(np.int64)
    weeks = weeks[(weeks >= first_week) & (weeks < last_week)]
    counts = np.bincount(weeks - first_week, minlength=max(last_week - first_week, 0))
    start = pd.Timestamp(scenario.simulation.start_date)
    return pd.DataFrame(
        {
            "week": start + pd.to_timedelta(7 * np.arange(first_week, last_week), unit="D"),
            "referrals": counts.astype(np.int64),
        }
    )


_EMPTY_TARGETS = pd.DataFrame(
    {
        "target": pd.Series(dtype="str"),
        "month": pd.Series(dtype="datetime64[ns]"),
        "referrals": pd.Series(dtype="int64"),
        "within": pd.Series(dtype="int64"),
    }
)
"""The columns and types of `monthly_targets`, also when a scenario has no target (every
part of a table must have the same schema to read as one table)."""


def _monthly_targets(run: Run) -> pd.DataFrame:
    sim = run.scenario.simulation
    start = pd.Timestamp(sim.start_date)
    frames = [_EMPTY_TARGETS]
    for name, target in run.scenario.targets.items():
        # Keyed by referral (the queue's own client index), not agent: an agent referred
        # twice is two referrals.
        referred, waited, _ = waits_since_referral(run.queue, target.stage)
        keep = referred >= sim.warmup_days
        dates = start + pd.to_timedelta(referred[keep], unit="D")
        codes, months = pd.factorize(dates.to_period("M"), sort=True)
        within = waited[keep] <= target.within_days
        frames.append(
            pd.DataFrame(
                {
                    "target": name,
                    "month": months.to_timestamp(),
                    "referrals": np.bincount(codes, minlength=len(months)),
                    "within": np.bincount(codes, within, minlength=len(months)),
                }
            )
        )
    return pd.concat(frames, ignore_index=True).astype(_EMPTY_TARGETS.dtypes.to_dict())


@dataclass(frozen=True)
class ChartInput:
    """One chart: its `plot_*` function, the arguments it is drawn from, and its caption
    (the scenario's name and the run date, written on the chart)."""

    plot: Callable[..., Axes]
    arguments: dict[str, Any]
    caption: str = ""

    def draw(self) -> Figure:
        """A new figure of this chart."""
        ax = self.plot(**self.arguments)
        if self.caption:
            add_caption(ax, self.caption)
        return ax.figure


def chart_png(chart: ChartInput) -> bytes:
    """`chart` drawn and rendered as its PNG file's content: what an executor's worker does
    for `write_results`, so that charts are drawn on every core and only bytes come back."""
    return figure_png(chart.draw())


def caption(results: Results) -> str:
    """What every chart of a results folder says it is: scenario name and run date."""
    return f"{results.scenario.name} · run {results.started:%d %b %Y}"


def chart_inputs(results: Results) -> dict[str, ChartInput]:
    """Every chart of a results folder and its input, by chart (file) name, from the stored
    series, KPIs and scenario only."""
    scenario = results.scenario
    inputs: dict[str, tuple[Callable[..., Axes], dict[str, Any]]] = {}
    stages = (*scenario.hub.stages, *scenario.external)
    waiting = results.table("waiting", columns=["date", "replication", "stage", "waiting"])
    for stage in stages:
        inputs[f"waiting_{stage}"] = (plot_waiting_list, {"waiting": waiting, "stage": stage})
    if "waiting_weeks" in results.tables:  # folders written before it had no such series
        weeks = results.table("waiting_weeks")
        for stage in stages:
            inputs[f"weeks_waited_{stage}"] = (plot_weeks_waited, {"weeks": weeks, "stage": stage})
    inputs["staffing"] = (plot_staffing, {"staffing": hub_wte(scenario)})
    if scenario.external:
        inputs["external_places"] = (plot_external_places, {"places": places(scenario)})
    weekly = results.table("weekly_referrals", columns=["week", "replication", "referrals"])
    inputs["referrals_vs_capacity"] = (
        plot_referrals_vs_capacity,
        {
            "weekly": weekly,
            "capacity": weekly_capacity(scenario),
            "stage": next(iter(scenario.hub.stages)),
        },
    )
    monthly = results.table("monthly_targets")
    for name, target in scenario.targets.items():
        rows = monthly[monthly["target"] == name]
        shares = pd.DataFrame(
            {
                "month": rows["month"],
                "replication": rows["replication"],
                "share": rows["within"] / rows["referrals"],
            }
        ).reset_index(drop=True)
        title = (
            f"{title_words(name)}: reached {words(target.stage)} within {target.within_days:g} days"
        )
        inputs[f"target_{name}"] = (
            plot_share_within_target,
            {"shares": shares, "target_share": target.share, "title": title},
        )
    if any(column.startswith(UPTAKE_PREFIX) for column in results.kpis.columns):
        all_staff = f"{UPTAKE_PREFIX}all.all"
        reference = results.kpis[all_staff].mean() if all_staff in results.kpis else None
        inputs["uptake_by_group"] = (
            plot_uptake_by_group,
            {"uptake": uptake_by_group(results.kpis), "all_staff": reference},
        )
    text = caption(results)
    return {name: ChartInput(plot, arguments, text) for name, (plot, arguments) in inputs.items()}


def hub_wte(scenario: Scenario) -> pd.DataFrame:
    """Staff of every hub stage over the whole horizon in WTE: columns stage, date, wte, one
    row per change (0 before a stage opens) and one on the last day."""
    sim = scenario.simulation
    start = pd.Timestamp(sim.start_date)
    rows = []
    for stage in scenario.hub.stages:
        steps = [(0, 0.0), *((day, wte) for day, wte, _ in hub_staffing(scenario, stage))]
        levels = dict(steps)  # a step on day 0 replaces the closed start
        levels[sim.horizon_days] = steps[-1][1] if steps else 0.0
        rows += [
            (stage, start + timedelta(days=day), wte)
            for day, wte in sorted(levels.items())
            if day <= sim.horizon_days
        ]
    return pd.DataFrame(rows, columns=["stage", "date", "wte"])


def places(scenario: Scenario) -> pd.DataFrame:
    """Places of every external service over the whole horizon (waiting-list initiatives
    included): columns stage, date, places, one row per change and one on the last day."""
    sim = scenario.simulation
    start = pd.Timestamp(sim.start_date)
    rows = []
    for service in scenario.external:
        times, counts = external_places(scenario, service)
        levels = {int(t): n for t, n in zip(times, counts, strict=True) if t <= sim.horizon_days}
        levels[sim.horizon_days] = levels[max(levels)]
        rows += [(service, start + timedelta(days=d), n) for d, n in sorted(levels.items())]
    return pd.DataFrame(rows, columns=["stage", "date", "places"])


def weekly_capacity(scenario: Scenario) -> pd.DataFrame:
    """Weekly capacity of the first hub stage (people a week at its mean service time) over
    the whole weeks of the measured window: columns week, capacity, wte, one row per
    change."""
    sim = scenario.simulation
    start = pd.Timestamp(sim.start_date)
    first = next(iter(scenario.hub.stages))
    stage = scenario.hub.stages[first]
    # Staffed servers on average (a part-time server counts its share of the week), closed
    # (0) before the stage opens.
    staffing = [(0, 0.0, 0.0), *hub_staffing(scenario, first)]
    window = [(t, w, n) for t, w, n in staffing if t < sim.horizon_days]
    first_week, last_week = _whole_weeks(scenario)
    first_day = 7 * first_week
    at_start = [(w, n) for t, w, n in window if t <= first_day][-1]
    steps = [(first_day, *at_start), *((t, w, n) for t, w, n in window if t > first_day)]
    steps.append((7 * last_week, *steps[-1][1:]))  # carry the last level to the end
    return pd.DataFrame(
        {
            "week": [start + timedelta(days=t) for t, _, _ in steps],
            # a zero service time is unlimited capacity: no line to draw
            "capacity": [
                7 * n / stage.service.mean if stage.service.mean > 0 else np.nan
                for _, _, n in steps
            ],
            "wte": [w for _, w, _ in steps],
        }
    )


def uptake_by_group(kpis: pd.DataFrame) -> pd.DataFrame:
    """Uptake per 1,000 in need per year by group: mean and 95% CI across replications."""
    columns = [c for c in kpis.columns if c.startswith(UPTAKE_PREFIX)]
    summary = confidence_summary(kpis[columns])
    parts = summary["kpi"].str.removeprefix(UPTAKE_PREFIX).str.split(".", n=1, expand=True)
    summary["group_type"], summary["group"] = parts[0], parts[1]
    summary = summary[summary["group_type"].isin(EQUITY_GROUPS)]
    order = {group: i for i, group in enumerate(EQUITY_GROUPS)}
    return summary.sort_values("group_type", key=lambda g: g.map(order), kind="stable")

"""Runs -> a results folder: tidy tables, KPIs with confidence intervals, charts, manifest."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd

from sim.charts import (
    plot_referrals_vs_capacity,
    plot_share_within_target,
    plot_uptake_by_group,
    plot_waiting_list,
)
from sim.metrics import confidence_summary, replication_kpis, waits_since_referral
from sim.pathway import hub_servers
from sim.provenance import environment
from sim.queue import Source
from sim.runner import Run
from sim.store import ResultsFolder


def tables(runs: list[Run]) -> dict[str, pd.DataFrame]:
    """The tidy tables of a set of replications, each row tagged with its replication."""
    start = runs[0].scenario.simulation.start_date

    def tagged(frame: pd.DataFrame, run: Run) -> pd.DataFrame:
        return frame.assign(replication=run.replication)

    out = {
        "daily_pathway": pd.concat([tagged(run.queue.records.daily(), run) for run in runs]),
        "visits": pd.concat([tagged(run.queue.visits, run) for run in runs]),
        "kpis": pd.DataFrame(
            [{"replication": run.replication, **replication_kpis(run)} for run in runs]
        ),
    }
    out["daily_pathway"]["date"] = pd.Timestamp(start) + pd.to_timedelta(
        out["daily_pathway"]["day"], unit="D"
    )
    if runs[0].agents_daily is not None:
        out["daily_agents"] = pd.concat([tagged(run.agents_daily, run) for run in runs])
        out["groups"] = pd.concat([tagged(run.agents_groups, run) for run in runs])
    return {name: frame.reset_index(drop=True) for name, frame in out.items()}


def charts(runs: list[Run], data: dict[str, pd.DataFrame]) -> dict[str, object]:
    """The planner's charts as matplotlib figures, by file name."""
    scenario = runs[0].scenario
    sim = scenario.simulation
    start = pd.Timestamp(sim.start_date)
    daily = data["daily_pathway"]
    daily = daily[daily["day"] >= sim.warmup_days]
    figures = {}
    waiting = daily.groupby(["date", "replication", "stage"], observed=True, as_index=False)[
        "waiting"
    ].sum()
    for stage in (*scenario.hub.stages, *scenario.external):
        ax = plot_waiting_list(waiting, stage=stage)
        figures[f"waiting_{stage}"] = ax.figure

    visits = data["visits"]
    first = next(iter(scenario.hub.stages))
    referrals = visits[
        (visits["stage"] == first)
        & (visits["source"] == Source.REFERRAL.name.lower())
        & (visits["arrive"] >= sim.warmup_days)
    ]
    # Whole weeks of the measured window only: a part-week at the end would look like a dip.
    first_week = -(-sim.warmup_days // 7)
    last_week = sim.horizon_days // 7  # exclusive
    weeks = (referrals["arrive"] // 7).astype(int)
    whole = (weeks >= first_week) & (weeks < last_week)
    weekly = (
        referrals[whole]
        .assign(week=start + pd.to_timedelta(weeks[whole] * 7, unit="D"))
        .groupby(["week", "replication"], as_index=False)
        .size()
        .rename(columns={"size": "referrals"})
    )
    stage = scenario.hub.stages[first]
    times, servers = hub_servers(scenario, first)
    window = [(t, n) for t, n in zip(times, servers, strict=True) if t < sim.horizon_days]
    first_day = 7 * first_week
    level_at_start = [n for t, n in window if t <= first_day][-1]
    steps = [(first_day, level_at_start), *((t, n) for t, n in window if t > first_day)]
    steps.append((7 * last_week, steps[-1][1]))  # carry the last level to the end
    capacity = pd.DataFrame(
        {
            "week": [start + timedelta(days=t) for t, _ in steps],
            "capacity": [7 * n / stage.service.mean for _, n in steps],
        }
    )
    figures["referrals_vs_capacity"] = plot_referrals_vs_capacity(weekly, capacity).figure

    for name, target in scenario.targets.items():
        shares = _monthly_share_within(runs, target.stage, target.within_days)
        ax = plot_share_within_target(
            shares,
            target_share=target.share,
            title=f"{name.replace('_', ' ')}: reached {target.stage} "
            f"within {target.within_days:g} days",
        )
        figures[f"target_{name}"] = ax.figure
    if "groups" in data:
        figures["uptake_by_group"] = plot_uptake_by_group(_uptake_by_group(data["kpis"])).figure
    return figures


UPTAKE_PREFIX = "uptake_per_1000_in_need_year."
EQUITY_GROUPS = ("sector", "minority_ethnic", "racism_affected", "sex", "staff_group")


def _uptake_by_group(kpis: pd.DataFrame) -> pd.DataFrame:
    """Uptake per 1,000 in need per year by group: mean and 95% CI across replications."""
    columns = [c for c in kpis.columns if c.startswith(UPTAKE_PREFIX)]
    summary = confidence_summary(kpis[columns])
    parts = summary["kpi"].str.removeprefix(UPTAKE_PREFIX).str.split(".", n=1, expand=True)
    summary["group_type"], summary["group"] = parts[0], parts[1]
    summary = summary[summary["group_type"].isin(EQUITY_GROUPS)]
    order = {group: i for i, group in enumerate(EQUITY_GROUPS)}
    return summary.sort_values("group_type", key=lambda g: g.map(order), kind="stable")


def _monthly_share_within(runs: list[Run], stage: str, days: float) -> pd.DataFrame:
    """Share of each month's hub referrals that started `stage` within `days` of referral."""
    rows = []
    for run in runs:
        # Keyed by referral (the queue's own client index), not agent: an agent referred
        # twice is two referrals.
        arrival, waited, _ = waits_since_referral(run.queue, stage)
        keep = arrival >= run.scenario.simulation.warmup_days
        month = pd.Timestamp(run.scenario.simulation.start_date) + pd.to_timedelta(
            arrival[keep], unit="D"
        )
        frame = pd.DataFrame(
            {"month": month.to_period("M").to_timestamp(), "ok": waited[keep] <= days}
        )
        shares = frame.groupby("month", as_index=False)["ok"].mean()
        rows.append(shares.rename(columns={"ok": "share"}).assign(replication=run.replication))
    return pd.concat(rows, ignore_index=True)


def write_results(runs: list[Run], path: Path, *, started: datetime, argv: list[str]) -> Path:
    """Write every table, the KPI summary, the charts and the manifest; return the folder."""
    scenario = runs[0].scenario
    folder = ResultsFolder(path).open()
    data = tables(runs)
    outputs = scenario.outputs
    skipped = {"visits"} if not outputs.client_records else set()
    if not outputs.daily_series:
        skipped |= {"daily_pathway", "daily_agents"}
    for name, frame in data.items():
        if name == "kpis":
            folder.csv(name, frame)
        elif name not in skipped:
            folder.table(name, frame)
    summary = confidence_summary(data["kpis"])
    folder.csv("summary", summary)
    if outputs.charts:
        for name, figure in charts(runs, data).items():
            folder.figure(name, figure)
    manifest = {
        "scenario": scenario.model_dump(mode="json"),
        "seed": runs[0].seed,
        "replications": len(runs),
        "command": argv,
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now().isoformat(timespec="seconds"),
        "run_seconds": [round(run.seconds, 3) for run in runs],
        **environment(),
    }
    return folder.finish(manifest)

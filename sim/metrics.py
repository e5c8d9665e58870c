"""Run records -> KPIs, and KPIs across replications -> means with 95% confidence intervals."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.special import stdtrit  # Student-t quantile, without scipy.stats' import cost

from sim.kpis import kpi_spec
from sim.queue import QueueResult, Source, VisitOutcome

if TYPE_CHECKING:
    from sim.runner import Run

CONFIDENCE = 0.95


SUMMARY_COLUMNS = ["kpi", "mean", "sd", "ci_low", "ci_high", "replications", "unit", "description"]


def confidence_summary(kpis: pd.DataFrame, confidence: float = CONFIDENCE) -> pd.DataFrame:
    """Mean and Student-t confidence interval of each KPI across replications.

    Parameters
    ----------
    kpis
        One row per replication, one column per KPI (other non-numeric columns ignored).
        Every KPI column must be declared in `sim.kpis.KPIS`.

    Returns
    -------
    DataFrame
        One row per KPI: kpi, mean, sd, ci_low, ci_high, replications, unit, description.
        The interval is clipped to the KPI's declared range (a few replications of a short
        wait would otherwise give a negative lower limit). With one replication the
        spread is unknown: sd and the interval are NaN (empty in CSV), not a zero width.

    Raises
    ------
    KeyError
        If a KPI column is not declared (`sim.kpis.kpi_spec`).
    """
    rows = []
    for name in kpis.select_dtypes("number").columns:
        if name == "replication":
            continue
        spec = kpi_spec(name)
        values = kpis[name].to_numpy(dtype=float)
        values = values[np.isfinite(values)]
        n = len(values)
        mean = float(values.mean()) if n else float("nan")
        sd = half = float("nan")  # unknown from fewer than two replications
        if n > 1:
            sd = float(values.std(ddof=1))
            half = float(stdtrit(n - 1, 0.5 + confidence / 2) * sd / np.sqrt(n))
        low, high = spec.kpi.low, spec.kpi.high
        rows.append(
            {
                "kpi": name,
                "mean": mean,
                "sd": sd,
                "ci_low": float(np.clip(mean - half, low, high)),  # NaN stays NaN
                "ci_high": float(np.clip(mean + half, low, high)),
                "replications": n,
                "unit": spec.kpi.unit,
                "description": spec.description,
            }
        )
    return pd.DataFrame(rows, columns=SUMMARY_COLUMNS)


DAYS_PER_MONTH = 365.25 / 12


def waits_since_referral(
    queue: QueueResult, stage: str
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """For every visit to `stage` by a hub referral: the referral time, the time from
    referral to starting `stage` (inf if never started) and whether it is still waiting."""
    records = queue.records
    visits = (records.visit_stage == queue.network.index(stage)) & (
        records.client_source[records.visit_client] == Source.REFERRAL
    )
    referred = records.client_arrival[records.visit_client[visits]]
    start = records.visit_start[visits]
    waited = np.where(np.isnan(start), np.inf, start - referred)
    waiting = np.isnan(start) & (records.visit_outcome[visits] == VisitOutcome.WAITING)
    return referred, waited, waiting


def referral_share_within(queue: QueueResult, stage: str, days: float) -> float:
    """Share of hub referrals (in the measured window) that started `stage` within `days`
    of their referral, among those who joined its queue. Those who left unserved count as
    late; those still waiting at the end for less than `days` are left out (unknown)."""
    referred, waited, waiting = waits_since_referral(queue, stage)
    in_window = (referred >= queue.warmup) & (referred < queue.end)
    unknown = waiting & (queue.end - referred < days)
    counted = in_window & ~unknown
    return float(np.mean(waited[counted] <= days)) if counted.any() else float("nan")


def _referral_visits(queue: QueueResult, stage: str) -> np.ndarray:
    """Mask of visits to `stage` by hub referrals that arrived in the measured window."""
    records = queue.records
    return (
        (records.visit_stage == queue.network.index(stage))
        & (records.client_source[records.visit_client] == Source.REFERRAL)
        & (records.visit_arrive >= queue.warmup)
        & (records.visit_arrive < queue.end)
    )


def _referral_waits(queue: QueueResult, stage: str) -> np.ndarray:
    """Waits at `stage` of hub referrals that started service there (measured window)."""
    records = queue.records
    visits = _referral_visits(queue, stage) & ~np.isnan(records.visit_start)
    return records.visit_start[visits] - records.visit_arrive[visits]


def _referral_dropout_share(queue: QueueResult, stage: str) -> float:
    """Share of hub referrals whose wait at `stage` is over that dropped out while waiting."""
    outcome = queue.records.visit_outcome[_referral_visits(queue, stage)]
    over = outcome != VisitOutcome.WAITING
    return float(np.mean(outcome[over] == VisitOutcome.RENEGED)) if over.any() else float("nan")


def replication_kpis(run: Run) -> dict[str, float]:
    """Scalar KPIs of one run (statistics over the measured window, after the warm-up)."""
    queue, scenario = run.queue, run.scenario
    records = queue.records
    referred = (
        (records.client_source == Source.REFERRAL)
        & (records.client_arrival >= queue.warmup)
        & (records.client_arrival < queue.end)
    )
    months = (queue.end - queue.warmup) / DAYS_PER_MONTH
    kpis = {"referrals_per_month": float(referred.sum() / months)}
    daily = queue.daily
    for stage in (*scenario.hub.stages, *scenario.external):
        waits = _referral_waits(queue, stage)
        kpis[f"{stage}.wait_mean_days"] = float(waits.mean()) if waits.size else float("nan")
        for label, q in (("median", 0.5), ("p90", 0.9)):
            value = float(np.quantile(waits, q)) if waits.size else float("nan")
            kpis[f"{stage}.wait_{label}_days"] = value
        kpis[f"{stage}.dropout_share"] = _referral_dropout_share(queue, stage)
        rows = daily[daily["stage"] == stage]
        servers = rows.groupby("day")["servers"].first()
        busy = rows.groupby("day")["mean_in_service"].sum()
        open_days = servers > 0
        kpis[f"{stage}.utilisation"] = (
            float(busy[open_days].sum() / servers[open_days].sum()) if open_days.any() else 0.0
        )
    kpis["rerouted_per_month"] = rerouted_per_month(queue)
    for name, target in scenario.targets.items():
        kpis[f"target.{name}.share_within"] = referral_share_within(
            queue, target.stage, target.within_days
        )
    if run.agents_daily is not None:
        kpis |= agent_kpis(run)
    return kpis


def agent_kpis(run: Run) -> dict[str, float]:
    """KPIs of the keyworker agents over the measured window: need, uptake, absence, equity."""
    sim = run.scenario.simulation
    daily = run.agents_daily[run.agents_daily["day"] >= sim.warmup_days]
    size = run.scenario.workforce.size
    years = len(daily) / 365.25
    kpis = {
        "agents.prevalence_mean": float(daily["prevalence"].mean()),
        "agents.aware_share_mean": float(daily["aware_share"].mean()),
        "agents.annual_uptake_share": float(daily["referrals"].sum() / years / size),
        "agents.absence_days_per_worker_year": float(daily["absence_days"].sum() / years / size),
    }
    for source in ("self", "manager", "outreach"):
        per_month = daily[f"referrals_{source}"].sum() / (len(daily) / DAYS_PER_MONTH)
        kpis[f"agents.referrals_{source}_per_month"] = float(per_month)
    kpis |= referral_outcome_kpis(daily)
    for row in run.agents_groups.itertuples():
        key = f"uptake_per_1000_in_need_year.{row.group_type}.{row.group}"
        kpis[key] = float(row.uptake_per_1000_in_need_year)
    return kpis


def rerouted_per_month(queue: QueueResult) -> float:
    """Hub referrals rerouted to in-house therapy by the adaptive rule, per month (visits
    that ended in the measured window)."""
    records = queue.records
    rerouted = (
        records.visit_adaptive.astype(bool)
        & (records.client_source[records.visit_client] == Source.REFERRAL)
        & (records.visit_end >= queue.warmup)
        & (records.visit_end < queue.end)
    )
    return float(rerouted.sum() / ((queue.end - queue.warmup) / DAYS_PER_MONTH))


_REFERRAL_OUTCOMES = (
    "never_engaged",
    "dropped_out",
    "recovered_waiting",
    "went_elsewhere",
    "escalated_crisis",
)
"""Outcomes counted per referral: the agent daily frame's columns of these names."""


def referral_outcome_kpis(daily: pd.DataFrame) -> dict[str, float]:
    """What became of referrals (per referral) and of finished treatment (needs met), from
    the agent model's daily outcome counts over the measured window."""
    referrals = float(daily["referrals"].sum())
    months = len(daily) / DAYS_PER_MONTH
    kpis = {"agents.referrals_per_month": referrals / months if months else float("nan")}
    for key in _REFERRAL_OUTCOMES:
        share = daily[key].sum() / referrals if referrals else float("nan")
        kpis[f"agents.{key}_share"] = float(share)
    finished = float(daily["finished_therapy"].sum() + daily["finished_external"].sum())
    for key, column in (("fully", "relieved"), ("partly", "partly_relieved")):
        share = daily[column].sum() / finished if finished else float("nan")
        kpis[f"agents.needs_met_{key}_share"] = float(share)
    return kpis

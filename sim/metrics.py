"""Run records -> KPIs, and KPIs across replications -> means with 95% confidence intervals."""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
from scipy.special import stdtrit  # Student-t quantile, without scipy.stats' import cost

from sim.kpis import kpi_spec
from sim.periods import PERIOD_PREFIX, Window, period_windows, whole_window
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


def referral_share_within(
    queue: QueueResult, stage: str, days: float, window: tuple[float, float] | None = None
) -> float:
    """Share of hub referrals referred in `window` (default: the measured window) that
    started `stage` within `days` of their referral, among those who joined its queue. Those
    who left unserved count as late; those still waiting at the end of the run for less
    than `days` are left out (unknown)."""
    start, end = (queue.warmup, queue.end) if window is None else window
    referred, waited, waiting = waits_since_referral(queue, stage)
    in_window = (referred >= start) & (referred < end)
    unknown = waiting & (queue.end - referred < days)
    counted = in_window & ~unknown
    return float(np.mean(waited[counted] <= days)) if counted.any() else float("nan")


def _referral_visits(queue: QueueResult, stage: str, window: tuple[float, float]) -> np.ndarray:
    """Mask of visits to `stage` by hub referrals that joined it within `window`."""
    records = queue.records
    return (
        (records.visit_stage == queue.network.index(stage))
        & (records.client_source[records.visit_client] == Source.REFERRAL)
        & (records.visit_arrive >= window[0])
        & (records.visit_arrive < window[1])
    )


def _referral_waits(queue: QueueResult, stage: str, window: tuple[float, float]) -> np.ndarray:
    """Waits at `stage` of hub referrals that joined it in `window` and started service."""
    records = queue.records
    visits = _referral_visits(queue, stage, window) & ~np.isnan(records.visit_start)
    return records.visit_start[visits] - records.visit_arrive[visits]


def _referral_dropout_share(queue: QueueResult, stage: str, window: tuple[float, float]) -> float:
    """Share of hub referrals whose wait at `stage` is over that dropped out while waiting."""
    outcome = queue.records.visit_outcome[_referral_visits(queue, stage, window)]
    over = outcome != VisitOutcome.WAITING
    return float(np.mean(outcome[over] == VisitOutcome.RENEGED)) if over.any() else float("nan")


def replication_kpis(run: Run) -> dict[str, float]:
    """Scalar KPIs of one run: statistics over the measured window (after the warm-up)
    under their plain names, then the same statistics for every calendar year and named
    period (`sim.periods.period_windows`) as `period.<period>.<kpi>`. Uptake by group is
    computed for the whole window only."""
    kpis = window_kpis(run, whole_window(run.scenario))
    if run.agents_groups is not None:
        for row in run.agents_groups.itertuples():
            key = f"uptake_per_1000_in_need_year.{row.group_type}.{row.group}"
            kpis[key] = float(row.uptake_per_1000_in_need_year)
    for window in period_windows(run.scenario):
        for key, value in window_kpis(run, window).items():
            kpis[f"{PERIOD_PREFIX}{window.name}.{key}"] = value
    return kpis


def window_kpis(run: Run, window: Window) -> dict[str, float]:
    """The KPIs of one run over one window of days (every KPI but uptake by group)."""
    queue, scenario = run.queue, run.scenario
    span = (float(window.start), float(window.end))
    records = queue.records
    referred = (
        (records.client_source == Source.REFERRAL)
        & (records.client_arrival >= span[0])
        & (records.client_arrival < span[1])
    )
    kpis = {"referrals_per_month": float(referred.sum() / (window.days / DAYS_PER_MONTH))}
    daily = queue.daily  # the measured days, computed once per run
    daily = daily[(daily["day"] >= window.start) & (daily["day"] < window.end)]
    closures = daily.groupby("stage", observed=False)[["discharged", "transferred"]].sum()
    hub_stages = list(scenario.hub.stages)
    kpis["discharged_at_closure"] = float(closures.loc[hub_stages, "discharged"].sum())
    kpis["transferred_at_closure"] = float(closures.loc[hub_stages, "transferred"].sum())
    for stage in (*scenario.hub.stages, *scenario.external):
        waits = _referral_waits(queue, stage, span)
        kpis[f"{stage}.wait_mean_days"] = float(waits.mean()) if waits.size else float("nan")
        for label, q in (("median", 0.5), ("p90", 0.9)):
            value = float(np.quantile(waits, q)) if waits.size else float("nan")
            kpis[f"{stage}.wait_{label}_days"] = value
        kpis[f"{stage}.dropout_share"] = _referral_dropout_share(queue, stage, span)
        rows = daily[daily["stage"] == stage]
        servers = rows.groupby("day")["servers"].first()
        busy = rows.groupby("day")["mean_in_service"].sum()
        open_days = servers > 0
        kpis[f"{stage}.utilisation"] = (
            float(busy[open_days].sum() / servers[open_days].sum()) if open_days.any() else 0.0
        )
        kpis[f"{stage}.discharged_at_closure"] = float(closures.loc[stage, "discharged"])
        kpis[f"{stage}.transferred_at_closure"] = float(closures.loc[stage, "transferred"])
    kpis["rerouted_per_month"] = rerouted_per_month(queue, span)
    for name, target in scenario.targets.items():
        kpis[f"target.{name}.share_within"] = referral_share_within(
            queue, target.stage, target.within_days, span
        )
    if run.agents_daily is not None:
        kpis |= agent_kpis(run, window)
    return kpis


UNMET_STATES = ("state_in_need", "state_hub_waiting", "state_external_waiting")
"""Keyworkers in need and not served: in need outside the pathway (never referred, or not
yet), and those referred who are still waiting at the hub or at an external service."""


def agent_kpis(run: Run, window: Window) -> dict[str, float]:
    """KPIs of the keyworker agents over one window of days: need, unmet need, uptake,
    absence (uptake by group, whole window only, is in `replication_kpis`)."""
    agents = run.agents_daily
    daily = agents[(agents["day"] >= window.start) & (agents["day"] < window.end)]
    size = run.scenario.workforce.size
    years = len(daily) / 365.25
    unmet = daily[list(UNMET_STATES)].sum(axis=1)
    kpis = {
        "agents.prevalence_mean": float(daily["prevalence"].mean()),
        "agents.unmet_need_mean": float(unmet.mean()),
        "agents.unmet_need_share": float(unmet.sum() / daily["in_need"].sum())
        if daily["in_need"].sum() > 0
        else float("nan"),
        "agents.aware_share_mean": float(daily["aware_share"].mean()),
        "agents.annual_uptake_share": float(daily["referrals"].sum() / years / size),
        "agents.absence_days_per_worker_year": float(daily["absence_days"].sum() / years / size),
    }
    for source in ("self", "manager", "outreach"):
        per_month = daily[f"referrals_{source}"].sum() / (len(daily) / DAYS_PER_MONTH)
        kpis[f"agents.referrals_{source}_per_month"] = float(per_month)
    kpis |= referral_outcome_kpis(daily)
    return kpis


def rerouted_per_month(queue: QueueResult, window: tuple[float, float]) -> float:
    """Hub referrals rerouted to in-house therapy by the adaptive rule, per month (visits
    that ended in the window of days [start, end))."""
    records = queue.records
    start, end = window
    rerouted = (
        records.visit_adaptive.astype(bool)
        & (records.client_source[records.visit_client] == Source.REFERRAL)
        & (records.visit_end >= start)
        & (records.visit_end < end)
    )
    return float(rerouted.sum() / ((end - start) / DAYS_PER_MONTH))


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

"""Each calibration target's measure, computed from one replication (`measure(run, m)`).

The measures read the pathway's records (visits of hub referrals, with the time of each
one's referral) and, for referrals that never engaged (they never reach the queue core),
the agent model's daily counts. All use the measured window, after the warm-up.
"""

from __future__ import annotations

import numpy as np

from sim.calibration.targets import FollowUpShare, KpiMeasure, Measure, OpenCaseload, StageWait
from sim.metrics import replication_kpis
from sim.queue import Source, VisitOutcome
from sim.runner import Run

DAYS_PER_WEEK = 7.0
NEVER_ENGAGED = "never_engaged"
"""The agent daily frame's count of referrals that never made first contact."""


def measure(run: Run, m: Measure, kpis: dict[str, float] | None = None) -> float:
    """The value of measure `m` in `run` (NaN when nothing was there to measure).

    `kpis` are the run's KPIs, if already computed (`sim.metrics.replication_kpis`)."""
    if isinstance(m, KpiMeasure):
        kpis = replication_kpis(run) if kpis is None else kpis
        return float(kpis.get(m.column, np.nan)) * m.scale
    if isinstance(m, OpenCaseload):
        return open_caseload(run, m)
    if isinstance(m, FollowUpShare):
        return follow_up_share(run, m)
    return stage_wait(run, m)


def _stage_mask(run: Run, stages: tuple[str, ...]) -> np.ndarray:
    index = [run.queue.network.index(stage) for stage in stages]
    return np.isin(run.queue.records.visit_stage, index)


def open_caseload(run: Run, m: OpenCaseload) -> float:
    """Hub referrals waiting for or in service at `m.stages` at the start of `m.date`."""
    records = run.queue.records
    t = float(run.scenario.simulation.day(m.date))
    referral = records.client_source[records.visit_client] == Source.REFERRAL
    present = (records.visit_arrive <= t) & ~(records.visit_end <= t)  # NaN end: still there
    open_visits = referral & present & _stage_mask(run, m.stages)
    return float(np.unique(records.visit_client[open_visits]).size)


def follow_up_share(run: Run, m: FollowUpShare) -> float:
    """Share of hub referrals in `m.state` at `m.stages`, `m.days` after their referral.

    A referral counts when it fell in the measured window and its follow-up (taken at the
    end of the referral's day plus `m.days`) inside the run."""
    queue, records = run.queue, run.queue.records
    referred = records.client_arrival
    follow = np.floor(referred) + 1.0 + m.days
    counted = (
        (records.client_source == Source.REFERRAL)
        & (referred >= queue.warmup)
        & (follow <= queue.end)
    )
    client = records.visit_client
    at = follow[client]
    visits = counted[client] & _stage_mask(run, m.stages)
    started = records.visit_start <= at  # NaN (never started) compares False
    if m.state == "started":
        hit_visits = visits & started
    else:
        gone = records.visit_end <= at
        hit_visits = visits & (records.visit_arrive <= at) & ~started & ~gone
    hit = np.zeros(referred.size, bool)
    hit[client[hit_visits]] = True
    if m.among_started is not None:
        base = np.zeros(referred.size, bool)
        base[client[counted[client] & _stage_mask(run, (m.among_started,)) & started]] = True
        denominator = int(base.sum())
        hits = int((hit & base).sum())
    else:
        denominator = int(counted.sum()) + _never_engaged(run, m.days)
        hits = int((hit & counted).sum())
    return hits / denominator if denominator else float("nan")


def _never_engaged(run: Run, days: float) -> int:
    """Referrals in the window (by the same day rule) that never reached the pathway."""
    daily = run.agents_daily
    if daily is None or NEVER_ENGAGED not in daily:
        return 0
    day = daily["day"].to_numpy()
    keep = (day >= run.queue.warmup) & (day + 1.0 + days <= run.queue.end)
    return int(daily[NEVER_ENGAGED].to_numpy()[keep].sum())


def stage_wait(run: Run, m: StageWait) -> float:
    """Mean or median wait at `m.stage` (in `m.unit`) of those who started, or the share
    who started within `m.within_days` of joining (see `StageWait`)."""
    queue, records = run.queue, run.queue.records
    visits = (
        _stage_mask(run, (m.stage,))
        & (records.visit_arrive >= queue.warmup)
        & (records.visit_arrive < queue.end)
    )
    if m.clients == "hub":
        visits &= records.client_source[records.visit_client] == Source.REFERRAL
    arrive, start = records.visit_arrive[visits], records.visit_start[visits]
    if m.statistic == "share_within":
        waited = np.where(np.isnan(start), np.inf, start - arrive)
        still = records.visit_outcome[visits] == VisitOutcome.WAITING
        unknown = still & (queue.end - arrive < m.within_days)
        known = waited[~unknown]
        return float(np.mean(known <= m.within_days)) if known.size else float("nan")
    waits = (start - arrive)[~np.isnan(start)]
    if not waits.size:
        return float("nan")
    value = float(np.mean(waits) if m.statistic == "mean" else np.median(waits))
    return value / DAYS_PER_WEEK if m.unit == "weeks" else value

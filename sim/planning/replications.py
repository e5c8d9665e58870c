"""Warm-up and replications guidance: MSER-5, and how many replications a precision needs.

`mser5` finds where a series has settled (the warm-up to cut). `replications_needed` is the
replication algorithm of Hoad, Robinson and Davies (2010): replications are added one at a
time until the confidence interval's half-width, relative to the mean, is at most the
precision asked for, and stays so for a few more (the look-ahead), on every KPI watched.
`sequential` runs replications in rounds through an executor and stops as soon as the
algorithm is satisfied: what `hubsim run --auto-replications` uses.

References
----------
K. P. White (1997), "An effective truncation heuristic for bias reduction in simulation
output", Simulation 69(6): 323-334 (MSER); White, Cobb & Spratt (2000) for MSER-5 on batch
means of 5. K. Hoad, S. Robinson & R. Davies (2010), "Automated selection of the number of
replications for a discrete-event simulation", JORS 61(11): 1632-1644.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.special import stdtrit

BATCH = 5
"""MSER-5 batch size: observations averaged before truncation points are compared."""
MIN_REPLICATIONS = 3
"""Fewest replications before a half-width is trusted (Hoad, Robinson & Davies)."""
K_LIMIT = 5
"""The look-ahead of Hoad, Robinson & Davies: how many more replications must keep the
precision (scaled to kLimit% of the answer once it passes 100)."""


def mser5(series: Sequence[float] | np.ndarray) -> int:
    """The warm-up of a series by MSER-5: how many leading observations to cut.

    The series is averaged in batches of 5; the truncation d (in batches) minimises the
    marginal standard error ``sum((y_i - mean_d)**2) / (k - d)**2`` over the k - d batches
    left, with d at most half the batches (beyond that the rule is unreliable).

    Returns
    -------
    int
        Observations to cut (a multiple of 5); 0 for a series of fewer than 10 values.
    """
    values = np.asarray(series, dtype=float)
    values = values[np.isfinite(values)]
    batches = len(values) // BATCH
    if batches < 2:
        return 0
    means = values[: batches * BATCH].reshape(batches, BATCH).mean(axis=1)
    candidates = np.arange(batches // 2 + 1)
    remaining = batches - candidates
    # Sums from the end give every truncation's mean and spread in one pass.
    tail_sum = np.cumsum(means[::-1])[::-1][: len(candidates)]
    tail_squares = np.cumsum((means**2)[::-1])[::-1][: len(candidates)]
    spread = tail_squares - tail_sum**2 / remaining
    statistic = spread / remaining**2
    return int(np.argmin(statistic)) * BATCH


def relative_half_width(values: Sequence[float], confidence: float = 0.95) -> float:
    """Half-width of the Student-t confidence interval of the mean, over |mean|.

    inf with fewer than two finite values or a mean of 0 (unless every value is 0: then 0)."""
    x = np.asarray(values, dtype=float)
    x = x[np.isfinite(x)]
    if len(x) < 2:
        return math.inf
    mean, sd = float(x.mean()), float(x.std(ddof=1))
    if sd == 0:
        return 0.0
    if mean == 0:
        return math.inf
    half = float(stdtrit(len(x) - 1, 0.5 + confidence / 2)) * sd / math.sqrt(len(x))
    return half / abs(mean)


def _look_ahead(n: int) -> int:
    """How many further replications must keep the precision once n first reaches it."""
    return K_LIMIT if n < 100 else math.ceil(K_LIMIT * n / 100)


def replications_needed(
    values: Sequence[float], precision: float = 0.05, confidence: float = 0.95
) -> int | None:
    """The replication algorithm (Hoad, Robinson & Davies 2010) on one KPI's replications.

    Parameters
    ----------
    values
        The KPI of replications 0, 1, 2, ... in that order.
    precision
        Largest half-width of the confidence interval, as a share of the mean.

    Returns
    -------
    int or None
        The smallest n (at least `MIN_REPLICATIONS`) whose relative half-width is at most
        `precision` and stays so for the look-ahead's further replications (all of them
        among `values`); None if `values` do not show one yet.
    """
    widths = [relative_half_width(values[:n], confidence) for n in range(1, len(values) + 1)]
    for n in range(MIN_REPLICATIONS, len(values) + 1):
        if widths[n - 1] > precision:
            continue
        ahead = _look_ahead(n)
        if n + ahead > len(values):
            return None  # not enough replications yet to check the look-ahead
        if all(w <= precision for w in widths[n : n + ahead]):
            return n
    return None


@dataclass
class Guidance:
    """What the replication algorithm chose, filled in as `sequential` runs.

    Attributes
    ----------
    precision, confidence
        As asked for.
    kpis
        The KPIs watched.
    chosen
        Replications the algorithm chose (None if `max_replications` came first).
    run
        Replications run (the chosen ones plus the look-ahead, or the maximum).
    needed
        Each KPI's own answer (None where it was not reached).
    half_widths
        Each KPI's relative half-width over the chosen (or all) replications.
    """

    precision: float
    confidence: float
    kpis: list[str]
    chosen: int | None = None
    run: int = 0
    needed: dict[str, int | None] = field(default_factory=dict)
    half_widths: dict[str, float] = field(default_factory=dict)

    def describe(self) -> str:
        """One plain sentence for the terminal."""
        shown = ", ".join(f"{kpi} ±{width:.1%}" for kpi, width in self.half_widths.items())
        if self.chosen is None:
            return (
                f"auto-replications: {self.run} replications (the most allowed) did not reach "
                f"±{self.precision * 100:g}% at {self.confidence:.0%} confidence; reached: {shown}"
            )
        return (
            f"auto-replications: {self.chosen} replications give a {self.confidence:.0%} CI "
            f"within ±{self.precision * 100:g}% of the mean (Hoad, Robinson & Davies 2010; "
            f"{self.run} run to check it holds): {shown}"
        )


def sequential[R](
    results: Callable[[range], Iterator[tuple[int, R]]],
    kpis_of: Callable[[R], dict[str, float]],
    guidance: Guidance,
    *,
    first: int,
    step: int,
    max_replications: int,
) -> Iterator[tuple[int, R]]:
    """Run replications in rounds until the replication algorithm is satisfied.

    Parameters
    ----------
    results
        Computes replications (e.g. on an executor): `results(range(a, b))` yields
        `(replication, result)` for each, in any order.
    kpis_of
        The KPIs of one result.
    guidance
        Filled in as rounds finish; `guidance.kpis` are the KPIs watched.
    first, step
        Replications in the first round and in each later one (e.g. the workers' count).
    max_replications
        Stop here whatever the precision.

    Yields
    ------
    tuple of (int, result)
        Every replication's result as it arrives, for the caller to store.
    """
    if max_replications < 1:
        raise ValueError(f"max_replications must be at least 1, found {max_replications}")
    values: dict[int, dict[str, float]] = {}
    series: dict[str, list[float]] = {}
    done = 0
    size = max(first, MIN_REPLICATIONS + K_LIMIT)
    while done < max_replications:
        stop = min(done + size, max_replications)
        for replication, result in results(range(done, stop)):
            values[replication] = kpis_of(result)
            yield replication, result
        done = stop
        guidance.run = done
        series = {kpi: [values[r].get(kpi, math.nan) for r in range(done)] for kpi in guidance.kpis}
        # A KPI no replication measured (e.g. no waits at a closed stage) cannot be watched.
        series = {kpi: v for kpi, v in series.items() if np.isfinite(v).any()}
        guidance.needed = {
            kpi: replications_needed(v, guidance.precision, guidance.confidence)
            for kpi, v in series.items()
        }
        answers = list(guidance.needed.values())
        if all(n is not None for n in answers):
            guidance.chosen = max(answers) if answers else done
            # The look-ahead of the largest answer may need replications not run yet.
            if guidance.chosen + _look_ahead(guidance.chosen) <= done:
                break
            guidance.chosen = None
        size = max(1, step)
    upto = guidance.chosen or done
    guidance.half_widths = {
        kpi: relative_half_width(v[:upto], guidance.confidence) for kpi, v in series.items()
    }


def watched_kpis(scenario) -> list[str]:
    """The KPIs `hubsim run --auto-replications` watches: every target's share within its
    days and every hub stage's mean wait (referrals per month if there are neither)."""
    kpis = [f"target.{name}.share_within" for name in scenario.targets]
    kpis += [f"{stage}.wait_mean_days" for stage in scenario.hub.stages]
    return kpis or ["referrals_per_month"]


def auto_replications[R](
    function: Callable[[object, int, int], R],
    scenario,
    seed: int,
    executor,
    kpis_of: Callable[[R], dict[str, float]],
    *,
    precision: float,
    max_replications: int,
    confidence: float = 0.95,
) -> tuple[Iterator[tuple[int, R]], Guidance]:
    """Replications of `function(scenario, seed, replication)` on `executor` until the
    replication algorithm is satisfied on `watched_kpis(scenario)`: the stream of
    `(replication, result)` to store, and the `Guidance` it fills in as it goes."""
    from functools import partial

    guidance = Guidance(precision, confidence, watched_kpis(scenario))
    task = partial(function, scenario, seed)

    def results(replications: range) -> Iterator[tuple[int, R]]:
        for index, result in executor.map(task, replications):
            yield replications[index], result

    stream = sequential(
        results,
        kpis_of,
        guidance,
        first=MIN_REPLICATIONS + K_LIMIT,
        step=max(1, executor.workers),
        max_replications=max_replications,
    )
    return stream, guidance


def warmup_advice(waiting, warmup_days: int) -> list[str]:
    """MSER-5 on each stage's people waiting (the mean over replications, day by day of
    the measured window): one line per stage whose series has not settled at its start."""
    lines = []
    mean = waiting.groupby(["stage", "day"], observed=True)["waiting"].mean()
    for stage, series in mean.groupby(level="stage", observed=True):
        values = series.to_numpy()
        cut = mser5(values)
        if cut and cut >= BATCH * (len(values) // BATCH // 2):
            lines.append(
                f"warm-up: people waiting for {stage} do not settle within the run (MSER-5 "
                "cuts the most it may): a longer warm-up will not help; is it overloaded, or "
                "is its demand or capacity changing over time?"
            )
        elif cut:
            lines.append(
                f"warm-up: people waiting for {stage} settle after about {cut} days of the "
                f"measured window (MSER-5); consider simulation.warmup_days: "
                f"{warmup_days + cut} (now {warmup_days})"
            )
    return lines

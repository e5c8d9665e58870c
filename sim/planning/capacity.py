"""The capacity a target needs: the smallest WTE (or external places) that meets it with a
stated confidence.

The question: "how many WTE on assessment so that 90% are assessed within 14 days?". The
answer is searched on a grid of `step` WTE (places for an external service):

1. **Bracket.** A pilot runs the scenario as it is; the stage's arrival rate in it gives a
   first guess by Erlang C (or Erlang A for a mean wait with patience), `sim.planning.erlang`.
   The search starts there, doubles its steps outwards until one candidate meets the target
   and the one below does not, then bisects.
2. **Common random numbers.** Every candidate runs the same replications 0..n-1 from the
   same seed, so two candidates differ by their capacity, not by luck: the KPI is all but
   monotone in capacity and the bisection is safe.
3. **Sequential replications.** A candidate meets the target when the probability that its
   mean KPI meets it (Student t on the replications) is at least `confidence`, and fails
   when at most 1 - confidence; in between it gets more replications, up to
   `max_replications` (then it counts as failing: the answer is never less than sure).
   Candidates far from the answer are settled by the first replications (ranking and
   selection, as in Kim & Nelson 2006, "Selecting the best system").
4. **Screening, then the full model.** With agents, waits feed back into help-seeking, so
   each candidate is screened fast with the queue core alone on the referrals the agents
   made in the pilot (same referrals, same keyed draws per client, see `sim.streams`); then
   the answer and its neighbour below are confirmed with the full agent model, moving up or
   down until the full model agrees. Without agents the queue core is the full model.

A candidate's capacity is its stage's staffing throughout the run: the stage's capacity
steps become one step at the candidate level from the stage's first date, and the stage's
own staffing changes (or an external service's waiting-list initiatives) are dropped; a
closure of the hub still closes it.

**A period.** With `period` (a calendar year or a name of `outputs.periods`, see
`sim.periods`) the target is read on that period's KPI, `period.<name>.<kpi>`, in both the
screening and the full model: the whole run is still simulated (the period's waits depend on
the queue it inherits), but only referrals and days inside the period count. The first guess
uses the stage's arrival rate inside the period, and without a formula the search starts
from the stage's staffing on the period's first day. The period is an option, not part of
the target expression, so one target reads the same whichever period it is asked for.
"""

from __future__ import annotations

import difflib
import math
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from typing import Literal

import numpy as np
from scipy.special import stdtr, stdtrit

from sim.execution import Executor, SerialExecutor
from sim.kpis import kpi_spec
from sim.periods import Window, period_key, period_windows
from sim.planning import erlang
from sim.planning.target_expr import TargetExpr, parse_target
from sim.scenario import Scenario, variant
from sim.scenario.interventions import ExternalInitiative, StaffingChange
from sim.scenario.model import WHOLE_PERIOD
from sim.scenario.pathway import AgentDemand
from sim.scenario.staffing import closure_day, hub_staffing

Model = Literal["queue core on recorded referrals", "full model"]
SCREEN: Model = "queue core on recorded referrals"
FULL: Model = "full model"
Decision = Literal["met", "not met", "uncertain"]

FIRST_REPLICATIONS = 5
"""Replications every candidate gets first (and added in rounds of this many)."""
MAX_REPLICATIONS = 40
"""Most replications for one candidate before an undecided one counts as failing."""
PILOT_REPLICATIONS = 5
"""Replications of the pilot with agents (the referrals every screening replays)."""


class CapacityError(ValueError):
    """A capacity question that does not fit the scenario (unknown stage or period, bad
    range)."""


def measured_period(
    scenario: Scenario, period: str | None, *, stage: str | None = None
) -> Window | None:
    """The window of days a target in `period` is read on: None for the whole measured
    window (`period` None or `all`), else the calendar year or named period of that name
    (`sim.periods.period_windows`, clipped to the measured days; the scenario refuses a
    named period with none).

    Raises
    ------
    CapacityError
        If the scenario has no such period (the message lists those it has), or, given a
        hub `stage`, if the hub is closed throughout the period: no staffing would serve
        anyone in it (a candidate keeps the closure, see `with_capacity`).
    """
    if period is None or period == WHOLE_PERIOD:
        return None
    windows = {window.name: window for window in period_windows(scenario)}
    if period in windows:
        window = windows[period]
        closed = closure_day(scenario)
        if stage in scenario.hub.stages and closed is not None and closed <= window.start:
            raise CapacityError(
                f"the hub closes on {scenario.simulation.start_date + timedelta(days=closed)},"
                f" before period {period!r} starts ({window.first_date}): no staffing of "
                f"{stage} serves anyone in it"
            )
        return window
    close = difflib.get_close_matches(period, windows, n=1)
    hint = f"; did you mean {close[0]!r}?" if close else ""
    raise CapacityError(
        f"no period {period!r} in the scenario{hint}; periods: {', '.join(windows) or 'none'} "
        f"(calendar years and the names of outputs.periods), or {WHOLE_PERIOD} for the "
        "whole run"
    )


@dataclass(frozen=True)
class Candidate:
    """One capacity level tried, with one model.

    Attributes
    ----------
    level
        WTE (hub stage) or places (external service).
    model
        Screened with the queue core on recorded referrals, or run with the full model.
    values
        The target's KPI in replications 0..n-1.
    probability
        Probability that the mean KPI meets the target (Student t on `values`).
    decision
        met, not met, or uncertain (still undecided after `MAX_REPLICATIONS`).
    """

    level: float
    model: Model
    values: tuple[float, ...]
    probability: float
    decision: Decision

    @property
    def replications(self) -> int:
        """Replications run."""
        return len(self.values)

    def interval(self, confidence: float = 0.95) -> tuple[float, float, float]:
        """Mean and two-sided Student-t interval of the KPI (NaN bounds from one value)."""
        x = np.asarray(self.values, float)
        x = x[np.isfinite(x)]
        if len(x) == 0:
            return math.nan, math.nan, math.nan
        mean = float(x.mean())
        if len(x) < 2:
            return mean, math.nan, math.nan
        half = float(stdtrit(len(x) - 1, 0.5 + confidence / 2)) * x.std(ddof=1) / math.sqrt(len(x))
        return mean, mean - half, mean + half

    def as_dict(self) -> dict:
        """For capacity.json."""
        mean, low, high = self.interval()
        return {
            "level": self.level,
            "model": self.model,
            "replications": self.replications,
            "mean": mean,
            "ci_low": low,
            "ci_high": high,
            "probability_target_met": self.probability,
            "decision": self.decision,
        }


@dataclass(frozen=True)
class CapacityAnswer:
    """The answer of `capacity`.

    Attributes
    ----------
    stage, target, confidence
        The question.
    unit
        "WTE" for a hub stage, "places" for an external service.
    answer
        The smallest level that meets the target with `confidence` (by the full model), or
        None if none in the range does.
    candidates
        Every level tried, in the order tried (screenings and full-model runs).
    first_guess
        The Erlang C / A level the bracket started from (None if the KPI has no formula).
    seconds
        Wall time of the search.
    """

    stage: str
    target: TargetExpr
    confidence: float
    unit: str
    answer: float | None
    candidates: list[Candidate]
    first_guess: float | None
    seconds: float
    step: float = field(default=0.5)
    pilot_replications: int = 0
    """Replications of the pilot (the scenario as it is), counted in `replications_total`."""
    window: Window | None = None
    """The period the target is read on (None: the whole measured window)."""

    @property
    def period(self) -> str | None:
        """The period's name (None: the whole measured window)."""
        return None if self.window is None else self.window.name

    @property
    def period_label(self) -> str | None:
        """The period in words, e.g. `funded (2021-02-01 to 2023-03-31)` (its measured
        days); None for the whole window."""
        if self.window is None:
            return None
        window = self.window
        return f"{window.name} ({window.first_date} to {window.last_date})"

    def _in_period(self) -> str:
        return "" if self.window is None else f" in {self.period_label}"

    @property
    def answer_wte(self) -> float | None:
        """The answer (WTE, or places for an external service)."""
        return self.answer

    @property
    def final(self) -> dict[float, Candidate]:
        """Each level's most trusted evaluation: the full model's where it ran."""
        out: dict[float, Candidate] = {}
        for candidate in self.candidates:
            if candidate.model == FULL or candidate.level not in out:
                out[candidate.level] = candidate
        return dict(sorted(out.items()))

    @property
    def replications_total(self) -> int:
        """Replications run over the whole search (pilot and screenings included)."""
        return self.pilot_replications + sum(c.replications for c in self.candidates)

    def as_json(self) -> dict:
        """capacity.json: the question, the answer, and per candidate its probability of
        meeting the target and its replications."""
        final = self.final
        return {
            "stage": self.stage,
            "target": self.target.text,
            "kpi": self.target.kpi,
            "period": self.period,
            "confidence": self.confidence,
            "unit": self.unit,
            "step": self.step,
            "answer_wte": self.answer,
            "first_guess": self.first_guess,
            "probability_target_met": {f"{k:g}": c.probability for k, c in final.items()},
            "replications": {f"{k:g}": c.replications for k, c in final.items()},
            "pilot_replications": self.pilot_replications,
            "replications_total": self.replications_total,
            "seconds": round(self.seconds, 2),
            "candidates": [candidate.as_dict() for candidate in self.candidates],
        }

    def describe(self) -> str:
        """The answer in a sentence, with its uncertainty."""
        if self.answer is None:
            return (
                f"{self.target.text}{self._in_period()}: not met with {self.confidence:.0%} "
                f"confidence at any {self.unit} tried on {self.stage} (up to "
                f"{max(self.final):g}); widen --range"
            )
        chosen = self.final[self.answer]
        spec = kpi_spec(self.target.kpi).kpi
        mean, low, high = chosen.interval()
        low, high = max(low, spec.low), min(high, spec.high)
        below = self.final.get(round(self.answer - self.step, 9))
        line = (
            f"{self.stage}: {self.answer:g} {self.unit} meet {self.target.text}"
            f"{self._in_period()} with "
            f"{chosen.probability:.1%} confidence ({self.target.kpi} = {mean:.3g}, 95% CI "
            f"{low:.3g} to {high:.3g}, {chosen.replications} replications, {chosen.model})"
        )
        if below is not None:
            line += f"; {below.level:g} {self.unit}: {below.probability:.1%}"
        return line


def probability_met(values: np.ndarray, target: TargetExpr) -> float:
    """Probability that the mean KPI meets the target: the Student-t distribution of the
    mean of `values` (NaN values left out) at the threshold. 0 or 1 when the values do not
    vary; 0 with no value."""
    x = np.asarray(values, float)
    x = x[np.isfinite(x)]
    if len(x) == 0:
        return 0.0
    mean = float(x.mean())
    margin = mean - target.threshold if target.op == ">=" else target.threshold - mean
    sd = float(x.std(ddof=1)) if len(x) > 1 else 0.0
    if sd == 0:
        return 1.0 if margin >= 0 else 0.0
    return float(stdtr(len(x) - 1, margin / (sd / math.sqrt(len(x)))))


def _decide(probability: float, confidence: float) -> Decision:
    if probability >= confidence:
        return "met"
    if probability <= 1 - confidence:
        return "not met"
    return "uncertain"


def with_capacity(scenario: Scenario, stage: str, level: float) -> Scenario:
    """`scenario` with `stage` staffed at `level` throughout (see the module's note)."""
    kept = [
        change.model_dump(mode="json")
        for change in scenario.interventions
        if not (isinstance(change, StaffingChange) and change.stage == stage)
        and not (isinstance(change, ExternalInitiative) and change.service == stage)
    ]
    if stage in scenario.hub.stages:
        first = scenario.hub.stages[stage].capacity[0].from_date.isoformat()
        steps = [{"from_date": first, "wte": float(level)}]
        path = f"hub.stages.{stage}.capacity"
    else:
        first = scenario.external[stage].capacity[0].from_date.isoformat()
        steps = [{"from_date": first, "places": int(level)}]
        path = f"external.{stage}.capacity"
    return variant(scenario, {path: steps, "interventions": kept})


# What the executor's workers compute: module-level functions of one item.


def full_value(scenario: Scenario, seed: int, kpi: str, replication: int) -> float:
    """The KPI of one replication of the full model."""
    from sim.runner import run_kpis

    return run_kpis(scenario, seed, replication).get(kpi, math.nan)


@dataclass(frozen=True)
class Pilot:
    """One pilot replication: the stage's arrivals per day (in the period searched, or the
    measured window) and the agents' referrals (over the whole run)."""

    arrival_rate: float
    times: np.ndarray
    clients: np.ndarray
    classes: np.ndarray


def pilot_replication(
    scenario: Scenario, seed: int, stage: str, replication: int, *, window: Window | None = None
) -> Pilot:
    """Run the scenario as it is and keep what the search needs from it: the stage's
    arrival rate in `window` (default: the measured window) and every referral."""
    from sim.queue import Source
    from sim.runner import run

    queue = run(scenario, seed, replication).queue
    start, end = (queue.warmup, queue.end) if window is None else (window.start, window.end)
    records = queue.records
    at_stage = (
        (records.visit_stage == queue.network.index(stage))
        & (records.visit_arrive >= start)
        & (records.visit_arrive < end)
    )
    referral = records.client_source == Source.REFERRAL
    return Pilot(
        arrival_rate=float(at_stage.sum() / (end - start)),
        times=records.client_arrival[referral].copy(),
        clients=records.client_id[referral].copy(),
        classes=records.client_class[referral].copy(),
    )


def replayed_value(scenario: Scenario, seed: int, kpi: str, item: tuple[int, Pilot]) -> float:
    """The KPI of the queue core alone fed the referrals of one pilot replication.

    The pathway draws each referral's service, patience and routing from the client's
    keyed stream (`sim.pathway.HubPathway`), so a referral gets the draws it had in the
    pilot, and in the full model at any capacity."""
    from sim.metrics import replication_kpis
    from sim.pathway import HubPathway
    from sim.queue import QueueResult
    from sim.runner import Run

    replication, pilot = item
    sim = scenario.simulation
    order = np.argsort(pilot.times, kind="stable")  # episodes numbered in time order
    pathway = HubPathway(scenario, seed, replication)
    pathway.advance(
        float(sim.horizon_days), pilot.times[order], pilot.clients[order], pilot.classes[order]
    )
    queue = QueueResult(
        pathway.network, pathway.records(), float(sim.warmup_days), float(sim.horizon_days)
    )
    result = Run(scenario, seed, replication, queue, None, None, 0.0)
    return replication_kpis(result).get(kpi, math.nan)


class _Search:
    """The state of one search: the grid, the evaluations so far, the executor."""

    def __init__(self, scenario, stage, target, confidence, grid, seed, executor, max_reps):
        self.scenario = target.applied(scenario)
        self.stage, self.target, self.confidence = stage, target, confidence
        self.kpi = target.kpi  # the key both phases read: with a period, the period's KPI
        self.grid, self.seed, self.executor = grid, seed, executor
        self.max_replications = max_reps
        self.candidates: list[Candidate] = []
        self.pilots: list[Pilot] = []
        self._decided: dict[tuple[Model, int], Candidate] = {}

    def _values(self, function: Callable, items: list) -> list[float]:
        finished = sorted(self.executor.map(function, items), key=lambda pair: pair[0])
        return [value for _, value in finished]

    def evaluate(self, index: int, model: Model) -> Candidate:
        """The candidate at grid `index` by `model`, with sequential replications."""
        known = self._decided.get((model, index))
        if known is not None:
            return known
        level = float(self.grid[index])
        scenario = with_capacity(self.scenario, self.stage, level)
        values: list[float] = []
        while True:
            if model == SCREEN:
                # Screening replays the pilot's replications only: its answer is checked by
                # the full model anyway.
                items = list(enumerate(self.pilots))
                function = partial(replayed_value, scenario, self.seed, self.kpi)
            else:
                start = len(values)
                stop = min(start + FIRST_REPLICATIONS, self.max_replications)
                items = list(range(start, stop))
                function = partial(full_value, scenario, self.seed, self.kpi)
            values += self._values(function, items)
            probability = probability_met(np.asarray(values), self.target)
            decision = _decide(probability, self.confidence)
            if decision != "uncertain" or model == SCREEN or len(values) >= self.max_replications:
                break
        candidate = Candidate(level, model, tuple(values), probability, decision)
        self.candidates.append(candidate)
        self._decided[(model, index)] = candidate
        return candidate

    def met(self, index: int, model: Model) -> bool:
        return self.evaluate(index, model).decision == "met"

    def smallest_met(self, start: int, model: Model) -> int | None:
        """The smallest grid index that meets the target, searching out from `start`:
        doubling steps to a bracket, then bisection (the KPI is monotone in capacity)."""
        last = len(self.grid) - 1
        if self.met(start, model):
            high, jump = start, 1
            low = start - jump
            while low >= 0 and self.met(low, model):
                high, jump = low, 2 * jump
                low = high - jump
            low = max(low, -1)  # -1: below the grid, taken as failing
        else:
            low, jump = start, 1
            high = start + jump
            while high <= last and not self.met(high, model):
                low, jump = high, 2 * jump
                high = low + jump
            if high > last:
                if low == last or not self.met(last, model):
                    return None
                high = last
        while high - low > 1:
            middle = (low + high) // 2
            low, high = (low, middle) if self.met(middle, model) else (middle, high)
        return high

    def confirmed(self, index: int) -> int | None:
        """Walk from a screening answer until the full model meets the target at an index
        and not at the one below."""
        last = len(self.grid) - 1
        while index <= last and not self.met(index, FULL):
            index += 1
        if index > last:
            return None
        while index > 0 and self.met(index - 1, FULL):
            index -= 1
        return index


@dataclass(frozen=True)
class Grid:
    """The levels searched: `low`, `low + step`, ... up to `high` (not stored: the grid of
    places can have millions of levels, of which the search visits a handful)."""

    low: float
    step: float
    count: int

    def __len__(self) -> int:
        return self.count

    def __getitem__(self, index: int) -> float:
        if not 0 <= index < self.count:
            raise IndexError(index)
        return round(self.low + self.step * index, 9)

    def nearest(self, level: float) -> int:
        """The index of the lowest level at or above `level` (the last if none is)."""
        index = math.ceil((level - self.low) / self.step - 1e-9)
        return min(max(index, 0), self.count - 1)


def _grid(
    scenario: Scenario, stage: str, step: float, levels: tuple[float, float] | None
) -> tuple[Grid, str]:
    external = stage in scenario.external
    unit = "places" if external else "WTE"
    if external:
        step = max(1, round(step))
    # A hub stage needs one whole server at least (less is refused: see the scenario's
    # _no_stage_below_one_server), so the grid starts at the first step that gives one.
    one_server = 1.0 if external else 1.0 / scenario.hub.stages[stage].servers_per_wte
    lowest = step * math.ceil(one_server / step - 1e-9)
    low, high = levels if levels is not None else (lowest, 10_000_000 if external else 10_000)
    if external:
        low, high = max(1, math.ceil(low)), math.floor(high)
    if not 0 < low <= high:
        raise CapacityError(f"the range must satisfy 0 < LOW <= HIGH, found {low:g}..{high:g}")
    if low < one_server - 1e-9:
        raise CapacityError(
            f"LOW {low:g} {unit} is less than one server of {stage} ({one_server:g} {unit}); "
            f"start the range at {one_server:g} or more"
        )
    if not external and high > 10_000:
        raise CapacityError(f"a hub stage has at most 10,000 WTE, found {high:g}")
    return Grid(float(low), float(step), math.floor((high - low) / step + 1e-9) + 1), unit


def _first_guess(search: _Search) -> float | None:
    """The Erlang C / A level for the target at the pilot's arrival rate (in the period
    searched), if the target's KPI is about the stage searched and has a formula."""
    target, scenario, stage = search.target, search.scenario, search.stage
    rate = float(np.mean([pilot.arrival_rate for pilot in search.pilots]))
    if stage in scenario.hub.stages:
        spec = scenario.hub.stages[stage]
        per_level = spec.servers_per_wte
    else:
        spec, per_level = scenario.external[stage], 1.0
    patience = spec.patience.mean if spec.patience is not None else None
    kpi = target.kpi
    if kpi.startswith("target."):
        name = kpi.split(".")[1]
        goal = scenario.targets[name]
        if goal.stage != stage:
            return None
        what, days = "share_within", goal.within_days
    elif kpi.startswith(f"{stage}.wait_"):
        what, days = kpi.removeprefix(f"{stage}.").removesuffix("_days"), 0.0
    else:
        return None
    servers = erlang.servers_needed(
        what, target.threshold, rate, spec.service.mean, days=days, mean_patience=patience
    )
    return None if servers is None else servers / per_level


def _level_in_force(scenario: Scenario, stage: str, window: Window | None) -> float:
    """The stage's capacity as the scenario staffs it on the period's first day (without a
    period: its first capacity step), where a search with no formula starts."""
    if stage in scenario.external:
        steps = scenario.external[stage].capacity
        if window is None:
            return float(steps[0].places)
        day = scenario.simulation.day
        placed = [step.places for step in steps if day(step.from_date) <= window.start]
        return float(placed[-1]) if placed else 1.0
    if window is None:
        return float(scenario.hub.stages[stage].capacity[0].wte)
    staffed = [wte for start, wte, _ in hub_staffing(scenario, stage) if start <= window.start]
    return staffed[-1] if staffed else 0.0


def capacity(
    scenario: Scenario,
    *,
    stage: str,
    target: str | TargetExpr,
    confidence: float = 0.95,
    wte_range: tuple[float, float] | None = None,
    step: float = 0.5,
    executor: Executor | None = None,
    seed: int | None = None,
    max_replications: int = MAX_REPLICATIONS,
    period: str | None = None,
) -> CapacityAnswer:
    """The smallest capacity of `stage` that meets `target` with `confidence`.

    Parameters
    ----------
    scenario
        The scenario whose stage is searched (its other stages stay as they are).
    stage
        A hub stage (searched in WTE) or an external service (in places).
    target
        E.g. ``"assessment_within_14_days >= 0.9"`` or ``"p90_wait_days <= 14"``
        (`sim.planning.target_expr`), or a parsed `TargetExpr`.
    confidence
        Probability, on the replications, that the mean KPI meets the target.
    wte_range
        (low, high) levels to search between (default: from `step` up to the schema's
        limit); the search starts from the Erlang guess and only visits what it needs.
    step
        Grid step in WTE (for places: rounded to a whole number, at least 1).
    executor
        Where replications run (default: serially here).
    seed
        Root seed (default: the scenario's); every candidate uses it (common random numbers).
    max_replications
        Most replications for one candidate.
    period
        Read the target on this period only: a calendar year (``"2022"``) or a name of
        the scenario's ``outputs.periods`` (``"funded"``); None or ``"all"``: the whole
        measured window.

    Raises
    ------
    CapacityError, TargetError
        The stage, period, range, step, confidence or target does not fit the scenario.
    """
    started = time.perf_counter()
    if stage not in scenario.hub.stages and stage not in scenario.external:
        known = ", ".join([*scenario.hub.stages, *scenario.external])
        raise CapacityError(f"no stage {stage!r} in the scenario; stages: {known}")
    if not 0.5 <= confidence < 1:
        raise CapacityError(f"confidence must be at least 0.5 and below 1, found {confidence:g}")
    if not step > 0:
        raise CapacityError(f"step must be above 0, found {step:g}")
    window = measured_period(scenario, period, stage=stage)
    parsed = target if isinstance(target, TargetExpr) else parse_target(target, scenario, stage)
    grid, unit = _grid(scenario, stage, step, wte_range)
    seed = scenario.simulation.seed if seed is None else seed
    executor = SerialExecutor() if executor is None else executor
    search = _Search(
        scenario, stage, parsed, confidence, grid, seed, executor, max(1, max_replications)
    )
    if window is not None:
        search.kpi = period_key(window.name, parsed.kpi)
    agents = isinstance(scenario.demand, AgentDemand)
    pilots = PILOT_REPLICATIONS if agents else 1
    search.pilots = search._values(
        partial(pilot_replication, search.scenario, seed, stage, window=window),
        list(range(pilots)),
    )
    # Any start is valid: the search doubles its steps from it until it brackets the answer.
    guess = _first_guess(search)
    if guess is None:  # no formula for this KPI: start from the staffing in force
        start = grid.nearest(_level_in_force(scenario, stage, window))
    else:
        start = grid.nearest(guess)
    if agents:
        screened = search.smallest_met(start, SCREEN)
        answer = None if screened is None else search.confirmed(screened)
    else:
        answer = search.smallest_met(start, FULL)
    return CapacityAnswer(
        stage=stage,
        target=parsed,
        confidence=confidence,
        unit=unit,
        answer=None if answer is None else float(grid[answer]),
        candidates=search.candidates,
        first_guess=guess,
        seconds=time.perf_counter() - started,
        step=grid.step,
        pilot_replications=pilots,
        window=window,
    )


def curve(answer: CapacityAnswer) -> Iterator[dict]:
    """The capacity curve's points: per level tried (its most trusted evaluation), the
    KPI's mean and 95% CI (clipped to the KPI's declared range), the model and the
    decision."""
    spec = kpi_spec(answer.target.kpi).kpi
    for level, candidate in answer.final.items():
        mean, low, high = candidate.interval()
        low, high = (float(np.clip(bound, spec.low, spec.high)) for bound in (low, high))
        yield {
            "level": level,
            "mean": mean,
            "ci_low": low,
            "ci_high": high,
            "model": candidate.model,
            "decision": candidate.decision,
        }

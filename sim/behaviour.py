"""The keyworkers' day over arrays: compiled kernels that loop over the per-worker rules.

`step_workers` is the workers' day (distress, absence, awareness, state, help-seeking) for
a range of workers; the fast path `run_day` runs it over all workers, and `Keyworker.step`
(`sim.agents`) over its own index, with the same generator, so both paths give identical
trajectories.
`outreach_visit` and `apply_outcomes` are the team and pathway processes the model runs
around the agents' day. Kernels are pure functions over arrays grouped in a few named tuples;
they write into preallocated outputs.

Random numbers: each worker draws exactly one uniform and one standard normal per day (from
the "agents" stream), whatever happens, so two scenarios run from the same seed see the same
numbers worker by worker (common random numbers). The uniform drives the day's Bernoulli
decisions through `sim.rules.recycle`; the normal is the distress noise.
"""

from __future__ import annotations

import math
from typing import NamedTuple

import numpy as np
from numba import njit, uint64

from sim.kernel_cache import use_kernel_cache
from sim.outcomes import Outcome
from sim.rules import (
    DISENGAGED,
    EXTERNAL_TREATMENT,
    EXTERNAL_WAITING,
    HUB_WAITING,
    IN_NEED,
    IN_THERAPY,
    MANAGER,
    OUTREACH,
    RECOVERED,
    SELF,
    SIGNPOSTED,
    WELL,
    absence_probability,
    awareness_change_probability,
    distress_step,
    distress_target,
    forget_probability,
    in_pathway,
    logistic,
    manager_referral_probability,
    may_refer,
    outside_state,
    recycle,
    relieve,
    self_referral_log_odds,
)
from sim.scenario import Scenario
from sim.workforce import RACISM_AFFECTED, Population

use_kernel_cache()  # before the kernels are defined (see sim/kernel_cache.py)

# Indices of `DayOutput.counters`.
C_REFERRALS, C_SELF, C_MANAGER, C_OUTREACH, C_IN_NEED, C_AWARE, C_ABSENT = range(7)
N_COUNTERS = 7
# Indices of the outcome tally of `apply_outcomes`: the `Outcome` codes, then finished
# treatment with needs fully met (relief), then partly met.
T_RELIEVED = len(Outcome)
T_PARTLY = len(Outcome) + 1
N_TALLY = len(Outcome) + 2

_ENTERED = int(Outcome.ENTERED_HUB)
_STARTED_THERAPY = int(Outcome.STARTED_THERAPY)
_FINISHED_THERAPY = int(Outcome.FINISHED_THERAPY)
_REFERRED_ON = int(Outcome.REFERRED_ON)
_FINISHED_EXTERNAL = int(Outcome.FINISHED_EXTERNAL)
_SIGNPOSTED = int(Outcome.SIGNPOSTED)
_DROPPED_OUT = int(Outcome.DROPPED_OUT)
_DISCHARGED = int(Outcome.DISCHARGED_AT_CLOSURE)
_STARTED_EXTERNAL = int(Outcome.STARTED_EXTERNAL)
_NEVER_ENGAGED = int(Outcome.NEVER_ENGAGED)
_RECOVERED_WAITING = int(Outcome.RECOVERED_WAITING)
_WENT_ELSEWHERE = int(Outcome.WENT_ELSEWHERE)
_ESCALATED = int(Outcome.ESCALATED_CRISIS)


class BehaviourParams(NamedTuple):
    """The scenario's behaviour parameters as numba-friendly scalars (built once)."""

    need_threshold: float
    reversion: float
    noise_sd: float
    racism_shift: float
    waiting_shift_per_day: float
    treatment_relief: float
    needs_fully_met: float
    needs_partly_met: float
    partial_relief: float
    absence_in_need: float
    absence_well: float
    forget_probability: float
    log1m_word_of_mouth: float
    intercept: float
    distress_slope: float
    ln_or_unsupportive_manager: float
    ln_or_negative_culture: float
    ln_or_own_offer: float
    ln_or_stigma: float
    ln_or_role_belief: float
    ln_or_confidentiality: float
    ln_or_male: float
    ln_or_minority_ethnic: float
    ln_or_wait_per_week: float
    ln_or_positive_sum: float  # sum of the positive ln ORs above (0 when all ORs <= 1)
    manager_referral: float
    cooldown_days: int


def behaviour_params(scenario: Scenario) -> BehaviourParams:
    """Pack the scenario's distress, awareness and help-seeking sections (log odds ratios,
    per-day rates) for the kernels."""
    d, a, h = scenario.distress, scenario.awareness, scenario.help_seeking
    if d is None or a is None or h is None:
        raise ValueError("the scenario has no distress/awareness/help_seeking sections")
    wom = a.word_of_mouth_share
    ln_ors = [
        math.log(h.unsupportive_manager_odds_ratio),
        math.log(h.negative_culture_odds_ratio),
        math.log(h.own_offer_confusion_odds_ratio),
        math.log(h.stigma_odds_ratio),
        math.log(h.role_belief_odds_ratio),
        math.log(h.confidentiality_concern_odds_ratio),
        math.log(h.male_odds_ratio),
        math.log(h.minority_ethnic_odds_ratio),
    ]
    return BehaviourParams(
        need_threshold=d.need_threshold,
        reversion=d.reversion_per_day,
        noise_sd=d.daily_noise_sd,
        racism_shift=d.racism_shift,
        waiting_shift_per_day=d.waiting_shift_per_week / 7.0,
        treatment_relief=d.treatment_relief,
        needs_fully_met=scenario.outcomes.needs_met.fully,
        needs_partly_met=scenario.outcomes.needs_met.partly,
        partial_relief=scenario.outcomes.needs_met.partial_relief,
        absence_in_need=d.absence_probability_in_need,
        absence_well=d.absence_probability_well,
        forget_probability=float(forget_probability(a.half_life_days)),
        log1m_word_of_mouth=math.log1p(-wom) if wom < 1.0 else -math.inf,
        intercept=h.intercept,
        distress_slope=h.distress_log_odds_per_unit,
        ln_or_unsupportive_manager=ln_ors[0],
        ln_or_negative_culture=ln_ors[1],
        ln_or_own_offer=ln_ors[2],
        ln_or_stigma=ln_ors[3],
        ln_or_role_belief=ln_ors[4],
        ln_or_confidentiality=ln_ors[5],
        ln_or_male=ln_ors[6],
        ln_or_minority_ethnic=ln_ors[7],
        ln_or_wait_per_week=math.log(h.expected_wait_odds_ratio_per_week),
        ln_or_positive_sum=sum(max(x, 0.0) for x in ln_ors),
        manager_referral=h.manager_referral_probability,
        cooldown_days=math.ceil(h.disengaged_cooldown_days),
    )


class Workers(NamedTuple):
    """Static per-worker arrays."""

    sector: np.ndarray  # int8
    team: np.ndarray  # int32
    organisation: np.ndarray  # int32
    flags: np.ndarray  # uint8 trait bits (sim.workforce)


class AgentArrays(NamedTuple):
    """Per-worker state, changed by the day's rules and the pathway's outcomes."""

    distress: np.ndarray  # float64
    baseline: np.ndarray  # float64: personal baseline (drops after treatment that helped)
    state: np.ndarray  # int8 AgentState
    aware: np.ndarray  # uint8
    advocate: np.ndarray  # uint8: finished hub therapy that helped (word of mouth)
    referred_day: np.ndarray  # int32: day of the latest referral (waiting shift)
    cooldown_until: np.ndarray  # int32: first day the worker may be referred again
    days_in_need: np.ndarray  # int32: recorded person-days in need
    absence_days: np.ndarray  # int32: recorded sickness-absence days
    referrals: np.ndarray  # int32: recorded referrals


class GroupArrays(NamedTuple):
    """Team- and organisation-level arrays, and each team's members (CSR)."""

    team_supportive: np.ndarray  # uint8 [teams]
    team_advocates: np.ndarray  # int32 [teams]: members who are advocates
    team_start: np.ndarray  # int64 [teams + 1]
    team_members: np.ndarray  # int64 [workers]
    negative_culture: np.ndarray  # uint8 [organisations]
    own_offer: np.ndarray  # uint8 [organisations]


class Today(NamedTuple):
    """The day's context, the same for every worker."""

    day: int
    shift: float  # waves + workload (distress units)
    wait_weeks: float  # the hub's published expected wait
    ln_fit_odds_ratio: float  # racism-affected fit (cultural competency moves it)
    recording: bool  # after the warm-up: accumulate per-worker totals
    sector_open: np.ndarray  # uint8 [sectors]: hub open and sector eligible
    sector_campaign: np.ndarray  # float64 [sectors]: campaign reach today


class DayOutput(NamedTuple):
    """The day's referrals (first counters[C_REFERRALS] entries) and counters."""

    agent: np.ndarray  # int64 [workers]
    source: np.ndarray  # int8 [workers]: SELF, MANAGER, OUTREACH
    counters: np.ndarray  # int64 [N_COUNTERS]


def workers_from(population: Population) -> Workers:
    """The static per-worker arrays of a population."""
    return Workers(population.sector, population.team, population.organisation, population.flags)


def day_output(n: int) -> DayOutput:
    """Empty output buffers for `n` workers."""
    return DayOutput(np.zeros(n, np.int64), np.zeros(n, np.int8), np.zeros(N_COUNTERS, np.int64))


@njit(cache=True)
def _refer(i: int, source: int, A: AgentArrays, T: Today, out: DayOutput) -> None:
    """Record a referral of worker i and move them into the pathway."""
    k = out.counters[C_REFERRALS]
    out.agent[k] = i
    out.source[k] = source
    out.counters[C_REFERRALS] = k + 1
    out.counters[C_SELF + source] += 1
    A.state[i] = HUB_WAITING
    A.aware[i] = 1
    A.referred_day[i] = T.day
    if T.recording:
        A.referrals[i] += 1


BLOCK = 512
"""Workers per block of `step_workers`: the block's draws and flags stay in L1 cache."""


@njit(cache=True)
def step_workers(
    first: int,
    stop: int,
    W: Workers,
    A: AgentArrays,
    G: GroupArrays,
    P: BehaviourParams,
    T: Today,
    rng: np.random.Generator,
    out: DayOutput,
) -> None:
    """One day of workers `first` to `stop - 1`: the per-worker rule.

    The fast path calls it for all workers (`run_day`), `Keyworker.step` for its own index
    (`first = i, stop = i + 1`): the same compiled code, the same draws in the same order.
    (A separate per-worker function called in the loop would carry ~25 arrays per call,
    and numba's reference counting of them costs about 5x the day's work.)

    Each worker draws exactly one uniform and one standard normal from `rng`, in index
    order. For each worker, in this order: distress moves towards today's target; a
    sickness-absence day is drawn from the new need status (`_distress_and_absence`); a
    worker outside the pathway may learn of or forget the hub, takes its state for the day,
    and, if in need, eligible and past any cool-down, may be referred by themself (if aware,
    logistic rule) or by a supportive manager (`_awareness_and_help_seeking`).

    Workers go in blocks: first the block's draws, then each of the two halves of the rule
    over the block. No worker's day depends on another's, so this gives the same numbers
    as one worker at a time, and it is about 40% faster (`experiments/bench_agents.py`,
    kernel alone: 37 -> 53 M agent-days/s): without the generator's calls in the loops,
    and with half the arrays in each, the compiled loops keep their values in registers.
    """
    size = max(0, min(BLOCK, stop - first))
    u = np.empty(size)
    z = np.empty(size)
    need = np.empty(size, np.bool_)
    n_need = n_absent = n_aware = 0
    for start in range(first, stop, BLOCK):
        end = min(start + BLOCK, stop)
        for k in range(end - start):
            u[k] = rng.random()
            z[k] = rng.standard_normal()
        # Unsigned indices: numba adds a negative-index check to every signed one.
        block = (uint64(start), uint64(end))
        in_need, absent = _distress_and_absence(block, W, A, P, T, u, z, need)
        n_need += in_need
        n_absent += absent
        n_aware += _awareness_and_help_seeking(block, W, A, G, P, T, u, need, out)
    out.counters[C_IN_NEED] += n_need
    out.counters[C_AWARE] += n_aware
    out.counters[C_ABSENT] += n_absent


@njit(inline="always")
def _distress_and_absence(block, W, A, P, T, u, z, need):
    """Distress, need and sickness absence of a block of workers (first half of
    `step_workers`). Uses each worker's normal `z[k]`; leaves the need flag in `need[k]`
    and the uniform, recycled past the absence decision, in `u[k]`. Returns the block's
    counts of workers in need and absent."""
    start, end = block
    n_need = n_absent = 0
    for i in range(start, end):
        k = i - start
        flags = W.flags[i]
        state = A.state[i]
        waiting = state in (HUB_WAITING, EXTERNAL_WAITING)
        waited = T.day - A.referred_day[i] if waiting else 0
        target = distress_target(
            A.baseline[i],
            T.shift,
            (flags & RACISM_AFFECTED) != 0,
            P.racism_shift,
            waited,
            P.waiting_shift_per_day,
        )
        distress = distress_step(A.distress[i], target, P.reversion, P.noise_sd, z[k])
        A.distress[i] = distress
        in_need = distress > P.need_threshold
        need[k] = in_need

        p = absence_probability(in_need, P.absence_in_need, P.absence_well)
        absent = u[k] < p
        u[k] = recycle(u[k], p, absent)

        n_need += in_need
        n_absent += absent
        if T.recording:
            A.days_in_need[i] += in_need
            A.absence_days[i] += absent
    return n_need, n_absent


@njit(inline="always")
def _awareness_and_help_seeking(block, W, A, G, P, T, u, need, out):
    """Awareness, today's state and help-seeking of a block of workers (second half of
    `step_workers`), from the uniforms and need flags the first half left. Returns the
    block's count of aware workers."""
    # The largest the barrier and wait terms of the log-odds can add (for the bound).
    x_extra = (
        max(P.ln_or_wait_per_week * T.wait_weeks, 0.0)
        + max(T.ln_fit_odds_ratio, 0.0)
        + P.ln_or_positive_sum
    )
    start, end = block
    n_aware = 0
    for i in range(start, end):
        k = i - start
        state = A.state[i]
        aware = A.aware[i] != 0
        if not in_pathway(state):
            uk = u[k]
            team = uint64(W.team[i])
            sector = uint64(W.sector[i])
            p = awareness_change_probability(
                aware,
                A.advocate[i] != 0,
                T.sector_campaign[sector],
                G.team_advocates[team],
                P.log1m_word_of_mouth,
                P.forget_probability,
            )
            changed = uk < p
            uk = recycle(uk, p, changed)
            if changed:
                aware = not aware
            A.aware[i] = aware
            cooling = T.day < A.cooldown_until[i]
            A.state[i] = outside_state(state, need[k], cooling)
            # Help-seeking: the exact rule only for workers the cheap bound cannot rule out
            # (branch-free up to that rare case; see `may_refer`).
            supportive = G.team_supportive[team] != 0
            p_manager = manager_referral_probability(supportive, P.manager_referral)
            gap = A.distress[i] - P.need_threshold
            x_high = P.intercept + P.distress_slope * gap + x_extra
            possible = may_refer(uk, x_high, p_manager) if aware else uk < p_manager
            candidate = need[k] & (not cooling) & (T.sector_open[sector] != 0)
            if candidate & possible:
                p_self = 0.0
                if aware:
                    org = uint64(W.organisation[i])
                    x = self_referral_log_odds(
                        gap,
                        W.flags[i],
                        supportive,
                        G.negative_culture[org] != 0,
                        G.own_offer[org] != 0,
                        T.wait_weeks,
                        T.ln_fit_odds_ratio,
                        P,
                    )
                    p_self = logistic(x)
                source = -1
                if uk < p_self:
                    source = SELF
                elif uk < p_self + (1.0 - p_self) * p_manager:
                    source = MANAGER
                if source >= 0:
                    _refer(i, source, A, T, out)
                    aware = True
        n_aware += aware
    return n_aware


def run_day(
    W: Workers,
    A: AgentArrays,
    G: GroupArrays,
    P: BehaviourParams,
    T: Today,
    rng: np.random.Generator,
    out: DayOutput,
) -> None:
    """The fast path: every worker's day, in index order (`step_workers` over all)."""
    step_workers(0, W.sector.size, W, A, G, P, T, rng, out)


@njit(cache=True)
def count_states(state: np.ndarray, counts: np.ndarray) -> None:
    """Agents per state into `counts` (np.bincount would first copy the int8 states to
    int64). Four interleaved tallies keep consecutive increments independent."""
    tallies = np.zeros((4, counts.size), np.int64)
    n4 = state.size - state.size % 4
    for i in range(0, n4, 4):
        tallies[0, state[i]] += 1
        tallies[1, state[i + 1]] += 1
        tallies[2, state[i + 2]] += 1
        tallies[3, state[i + 3]] += 1
    for i in range(n4, state.size):
        tallies[0, state[i]] += 1
    # A plain loop, not tallies.sum(axis=0): numba's axis-sum costs ~2 s of cold compile.
    for c in range(counts.size):
        counts[c] = tallies[0, c] + tallies[1, c] + tallies[2, c] + tallies[3, c]


@njit(cache=True)
def outreach_visit(
    team: int,
    W: Workers,
    A: AgentArrays,
    G: GroupArrays,
    P: BehaviourParams,
    T: Today,
    reach: float,
    referral_share: float,
    rng: np.random.Generator,
    out: DayOutput,
) -> None:
    """A hub outreach visit to one team (DF §B 'Core components', S: proactive outreach and
    team-based capacity building).

    Each member outside the pathway who is unaware becomes aware with `reach`
    (`awareness.outreach_reach_share`); each member in need, eligible and past any cool-down
    is referred with `referral_share` (the outreach intervention's). One uniform per member,
    recycled, from the "outreach" stream.
    """
    for k in range(G.team_start[team], G.team_start[team + 1]):
        i = G.team_members[k]
        u = rng.random()
        if in_pathway(A.state[i]):
            continue
        if A.aware[i] == 0:
            learned = u < reach
            u = recycle(u, reach, learned)
            if learned:
                A.aware[i] = 1
        eligible = T.sector_open[W.sector[i]] != 0 and T.day >= A.cooldown_until[i]
        if eligible and A.distress[i] > P.need_threshold and u < referral_share:
            _refer(i, OUTREACH, A, T, out)


@njit(cache=True)
def apply_outcomes(
    agent: np.ndarray,
    code: np.ndarray,
    u: np.ndarray,
    W: Workers,
    A: AgentArrays,
    G: GroupArrays,
    P: BehaviourParams,
    day: int,
    tally: np.ndarray,
) -> None:
    """Update agents from the pathway's outcomes of one day, in time order.

    Entering, starting and being referred on move the state along the pathway. Finishing a
    treatment episode (in-house or external) meets needs fully with `needs_fully_met`
    (`u[k]`, keyed by the worker's episode, is read only for finished episodes), partly with
    `needs_partly_met` (a `partial_relief` share of the relief), else not: relief lowers
    distress and baseline (`sim.rules.relieve`) and, after in-house therapy, makes the worker
    an advocate of the hub to their team (word of mouth). Recovering while waiting sets
    today's distress below need (the baseline stays). Every exit (finished, signposted,
    never engaged, left a queue for any reason, discharged) starts the cool-down before the
    worker may be referred again. `tally` counts outcomes by code, needs fully met at
    T_RELIEVED and partly met at T_PARTLY.
    """
    for k in range(agent.size):
        i = agent[k]
        c = code[k]
        tally[c] += 1
        if c == _ENTERED:
            A.state[i] = HUB_WAITING
        elif c == _STARTED_THERAPY:
            A.state[i] = IN_THERAPY
        elif c == _REFERRED_ON:
            A.state[i] = EXTERNAL_WAITING
        elif c == _STARTED_EXTERNAL:
            A.state[i] = EXTERNAL_TREATMENT
        else:
            A.cooldown_until[i] = day + 1 + P.cooldown_days
            if c in (_FINISHED_THERAPY, _FINISHED_EXTERNAL):
                if u[k] < P.needs_fully_met:
                    tally[T_RELIEVED] += 1
                    A.distress[i], A.baseline[i] = relieve(
                        A.distress[i], A.baseline[i], P.need_threshold, P.treatment_relief
                    )
                    A.state[i] = RECOVERED
                    if c == _FINISHED_THERAPY and A.advocate[i] == 0:
                        A.advocate[i] = 1
                        G.team_advocates[W.team[i]] += 1
                else:
                    if u[k] < P.needs_fully_met + P.needs_partly_met:
                        tally[T_PARTLY] += 1
                        A.distress[i], A.baseline[i] = relieve(
                            A.distress[i],
                            A.baseline[i],
                            P.need_threshold,
                            P.treatment_relief * P.partial_relief,
                        )
                    A.state[i] = IN_NEED if A.distress[i] > P.need_threshold else WELL
            elif c in (_SIGNPOSTED, _WENT_ELSEWHERE):
                A.state[i] = SIGNPOSTED
            elif c == _RECOVERED_WAITING:
                # Natural recovery: today's distress falls below need, the baseline stays.
                A.distress[i] = min(A.distress[i], P.need_threshold - P.treatment_relief)
                A.state[i] = RECOVERED
            elif c in (_DROPPED_OUT, _DISCHARGED, _NEVER_ENGAGED, _ESCALATED):
                A.state[i] = DISENGAGED

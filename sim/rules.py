"""The keyworker's rules: small scalar functions, compiled with numba, shared by both paths.

The array kernels (`sim.behaviour`) loop over these for all workers; `Keyworker.step`
(`sim.agents`) calls the same per-worker function for one worker. Each rule cites its
evidence: a row of shared/domain-facts.md ("DF §<section> '<row>'", with its label S/D/A)
and the scenario field that carries its parameter.

Distress is a latent score in distress units; a worker above `distress.need_threshold` has
probable need (a positive screen on GHQ-12 or similar).
"""

from __future__ import annotations

import math
from enum import IntEnum

from numba import njit

from sim.kernel_cache import use_kernel_cache
from sim.workforce import (
    CONFIDENTIALITY_CONCERN,
    MALE,
    MINORITY_ETHNIC,
    RACISM_AFFECTED,
    ROLE_BELIEF,
    STIGMA,
)

use_kernel_cache()  # before the kernels are defined (see sim/kernel_cache.py)


class AgentState(IntEnum):
    """What a keyworker is doing today: exactly one state per worker per day.

    WELL, IN_NEED, RECOVERED, DISENGAGED and SIGNPOSTED are outside the hub pathway;
    HUB_WAITING to EXTERNAL_TREATMENT are inside it (a referral is in progress).
    """

    WELL = 0
    """Outside the pathway, distress at or below the need threshold."""
    IN_NEED = 1
    """Outside the pathway, distress above the threshold, not (yet) referred."""
    HUB_WAITING = 2
    """Referred to the hub: waiting for or in screening or assessment."""
    IN_THERAPY = 3
    """In an in-house therapy episode."""
    EXTERNAL_WAITING = 4
    """Referred on by the hub: waiting at an external service."""
    EXTERNAL_TREATMENT = 5
    """In treatment at an external service."""
    RECOVERED = 6
    """Finished a treatment episode that helped, and not in need since."""
    DISENGAGED = 7
    """Dropped out while waiting, or discharged at closure: cool-down before seeking again."""
    SIGNPOSTED = 8
    """Left the hub with advice and signposting (went elsewhere): same cool-down."""


# Plain integer codes for the compiled functions (numba freezes module globals).
WELL, IN_NEED, HUB_WAITING, IN_THERAPY = 0, 1, 2, 3
EXTERNAL_WAITING, EXTERNAL_TREATMENT, RECOVERED, DISENGAGED, SIGNPOSTED = 4, 5, 6, 7, 8
N_STATES = 9

# Referral sources.
SELF, MANAGER, OUTREACH = 0, 1, 2
SOURCE_NAMES = ("self", "manager", "outreach")


@njit(cache=True)
def in_pathway(state: int) -> bool:
    """True for the states inside the hub pathway (a referral in progress)."""
    return HUB_WAITING <= state <= EXTERNAL_TREATMENT


@njit(cache=True)
def wave_shift(day: float, start: float, peak: float, end: float, shift: float) -> float:
    """Distress shift of one wave on `day`: a linear ramp from `start` up to `shift` at `peak`,
    then down to the last day with an effect, `end` (scenario `distress.waves` and `wave`
    interventions; DF §3 'Wave effect on distress', D: ICU 51% -> 64% -> 46%).

    The first and last days carry one step of the ramp, so both have an effect.
    """
    if day < start or day > end:
        return 0.0
    if day <= peak:
        return shift * (day - start + 1.0) / (peak - start + 1.0)
    return shift * (end - day + 1.0) / (end - peak + 1.0)


@njit(cache=True)
def distress_target(
    baseline: float,
    context_shift: float,
    racism_affected: bool,
    racism_shift: float,
    waiting_days: float,
    waiting_shift_per_day: float,
) -> float:
    """The level today's distress reverts to.

    The personal baseline (DF §3 'Persistent-high subgroup', S: 31% persistently high,
    `distress.*_baseline_mean`), plus today's context (waves and workload, `distress.waves`,
    `distress.workload_shift`), plus `distress.racism_shift` for racism-affected
    minority-ethnic staff (direction S: DF §E 'Racism exposure'), plus a shift growing with
    the days waited since referral (`distress.waiting_shift_per_week`; direction S: DF §F
    'Patient-reported hidden waits').
    """
    target = baseline + context_shift + waiting_shift_per_day * waiting_days
    if racism_affected:
        target += racism_shift
    return target


@njit(cache=True)
def distress_step(distress: float, target: float, reversion: float, noise_sd: float, z: float):
    """Tomorrow's distress: close `reversion` of the gap to the target, plus noise.

    A discrete Ornstein-Uhlenbeck (AR(1)) step with a standard normal `z`
    (`distress.reversion_per_day`, `distress.daily_noise_sd`, both assumptions); its
    stationary spread around the target is noise_sd / sqrt(1 - (1 - reversion)^2).
    """
    return distress + reversion * (target - distress) + noise_sd * z


@njit(cache=True)
def relieve(distress: float, baseline: float, threshold: float, relief: float):
    """Distress and baseline after a treatment episode that helped.

    Recovery is read as in NHS Talking Therapies (DF §3 'IAPT recovery (completers)', S: 50%
    move below caseness): distress drops to `relief` below the need threshold (or by
    `relief`, if already below it), and the personal baseline drops by `relief` for good
    (`distress.treatment_relief`, an assumption). Returns (distress, baseline).
    """
    return min(distress, threshold) - relief, baseline - relief


@njit(cache=True)
def forget_probability(half_life_days: float) -> float:
    """Daily chance that an aware worker forgets the hub without reminders: exponential decay
    with half-life `awareness.half_life_days` (an assumption)."""
    return 1.0 - 2.0 ** (-1.0 / half_life_days)


@njit(cache=True)
def awareness_change_probability(
    aware: bool,
    advocate: bool,
    campaign_reach: float,
    advocates_in_team: int,
    log1m_word_of_mouth: float,
    p_forget: float,
) -> float:
    """Daily chance that a worker outside the pathway changes awareness of the hub.

    An aware worker forgets with `p_forget`, unless they had a good experience of the hub
    (an advocate remembers it). An unaware worker becomes aware through today's campaigns in
    their sector (`campaign_reach`, the intervention's `reach_share`) or by word of mouth from
    each teammate with a good experience (`awareness.word_of_mouth_share` each, independent):
    1 - (1 - campaign) (1 - wom)^advocates. Awareness and clarity of the offer as a condition
    of access: DF §B 'Help-seeking determinants' (S, qualitative); levels are assumptions
    (DF §3 'Awareness of hub', A).
    """
    if aware:
        return 0.0 if advocate else p_forget
    stay_unaware = 1.0 - campaign_reach
    if advocates_in_team > 0:
        stay_unaware *= math.exp(advocates_in_team * log1m_word_of_mouth)
    return 1.0 - stay_unaware


@njit(cache=True)
def self_referral_log_odds(
    distress_gap: float,
    flags: int,
    supportive_manager: bool,
    negative_culture: bool,
    own_offer: bool,
    wait_weeks: float,
    ln_fit_odds_ratio: float,
    params,
) -> float:
    """Daily log-odds that an aware, eligible worker with need refers themself.

    intercept + slope x (distress - threshold) + the log odds ratio of each barrier that
    applies + ln(OR per week) x the hub's expected wait in weeks (`help_seeking`):

    - unsupportive line manager (DF §3 'OR help-seeking: supportive manager', A: 1.5);
    - negative workplace culture (DF §3 'OR ... negative workplace culture', A: 0.7);
    - stigma and confidentiality concern (DF §3 'OR ... stigma / confidentiality concern',
      D: Clement 2015, d = -0.27, OR 0.61); role beliefs (direction S: DF §B);
    - racism-affected minority-ethnic staff who feel the hub is not for them (DF §3 'OR hub
      uptake: BAME & racism-affected', A: 0.7); `ln_fit_odds_ratio` is today's value, which
      cultural-competency training moves towards 0;
    - minority-ethnic staff in general (direction S: DF §E 'BAME under-representation in
      hubs', 'Ethnic inequality in IAPT'; the size is an assumption);
    - men (DF §3 'OR hub uptake: men', A: 0.7); confusion with the employer's own offer
      (direction S: DF §B); the published wait (an assumption).

    `params` is a `sim.behaviour.BehaviourParams` (its ln_* fields are log odds ratios).
    """
    x = params.intercept + params.distress_slope * distress_gap
    x += params.ln_or_wait_per_week * wait_weeks
    if not supportive_manager:
        x += params.ln_or_unsupportive_manager
    if negative_culture:
        x += params.ln_or_negative_culture
    if own_offer:
        x += params.ln_or_own_offer
    if flags & STIGMA:
        x += params.ln_or_stigma
    if flags & ROLE_BELIEF:
        x += params.ln_or_role_belief
    if flags & CONFIDENTIALITY_CONCERN:
        x += params.ln_or_confidentiality
    if flags & RACISM_AFFECTED:
        x += ln_fit_odds_ratio
    if flags & MALE:
        x += params.ln_or_male
    if flags & MINORITY_ETHNIC:
        x += params.ln_or_minority_ethnic
    return x


@njit(cache=True)
def logistic(x: float) -> float:
    """The probability with log-odds `x` (stable for large |x|)."""
    if x >= 0.0:
        return 1.0 / (1.0 + math.exp(-x))
    e = math.exp(x)
    return e / (1.0 + e)


@njit(cache=True)
def may_refer(u: float, x_high: float, p_manager: float) -> bool:
    """False when the uniform `u` rules out a self or manager referral today, cheaply.

    `x_high` bounds the self-referral log-odds from above. Since logistic(x) <= e^x and
    e^x <= (1 - x/8)^-8 for x <= 0 (because (1 + s/8)^8 <= e^s for s >= 0), the chance
    p_self + (1 - p_self) p_manager is at most (1 - x_high/8)^-8 + p_manager, so no referral
    is possible when (u - p_manager) (1 - x_high/8)^8 >= 1 (a small margin covers rounding;
    no division). The kernel evaluates the exact rule (an exponential) only when this
    returns True, which changes no decision and saves the work for almost everyone.
    """
    if x_high >= 0.0:
        return True
    a = 1.0 - 0.125 * x_high
    a *= a
    a *= a
    a *= a
    return (u - p_manager) * a < 1.0 + 1e-9


@njit(cache=True)
def manager_referral_probability(supportive_manager: bool, probability: float) -> float:
    """Daily chance that the line manager refers a team member in need: only a supportive
    manager does (`help_seeking.manager_referral_probability`, an assumption; supportive
    managers as enablers, S: DF §D 'Barriers (NHS staff, NHS CHECK)')."""
    return probability if supportive_manager else 0.0


@njit(cache=True)
def absence_probability(in_need: bool, p_in_need: float, p_well: float) -> float:
    """Daily chance of a sickness-absence day: higher with probable need
    (`distress.absence_probability_in_need` / `_well`, assumptions; direction S: DF §C
    'Work-related stress', 44% felt unwell from work stress, and DF §A 'National contacts,
    year 1', HSJ 2022 'rise in sick days')."""
    return p_in_need if in_need else p_well


@njit(cache=True)
def outside_state(state: int, in_need: bool, cooling_down: bool) -> int:
    """Today's state of a worker outside the pathway.

    DISENGAGED and SIGNPOSTED last until the cool-down ends
    (`help_seeking.disengaged_cooldown_days`); RECOVERED lasts while the worker stays out
    of need; otherwise the worker is WELL or IN_NEED by today's distress.
    """
    if cooling_down and state in (DISENGAGED, SIGNPOSTED):
        return state
    if state == RECOVERED and not in_need:
        return RECOVERED
    return IN_NEED if in_need else WELL


@njit(cache=True)
def recycle(u: float, p: float, fired: bool) -> float:
    """A fresh uniform from `u` after the decision `fired = u < p`.

    Given the decision, u / p (if it fired) or (u - p) / (1 - p) (if not) is again uniform on
    [0, 1) and independent of the decision, so one draw can drive a worker's several
    Bernoulli decisions of a day (the recycling principle, Devroye 1986, Non-Uniform Random
    Variate Generation). Each decision costs log2(1/p) bits of the draw's 53 at most; the
    day's decisions use well under 30.
    """
    if fired:
        return u / p
    return (u - p) / (1.0 - p)  # not fired, so p <= u < 1

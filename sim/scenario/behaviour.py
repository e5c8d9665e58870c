"""How keyworkers feel, what they know of the hub, and when they seek help."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, model_validator

from sim.scenario.base import AsTuple, Date, Section, Share

Probability = Annotated[float, Field(ge=0.0, le=1.0)]
OddsRatio = Annotated[float, Field(gt=0.0, le=100.0)]


class Wave(Section):
    """A dated surge of distress (a pandemic wave): rises to its peak, then falls back."""

    start_date: Date
    """First day the wave raises distress."""
    peak_date: Date
    """Day of the largest effect."""
    end_date: Date
    """Last day with any effect."""
    distress_shift: float
    """Shift of everyone's distress target at the peak (distress units); linear in between."""

    @model_validator(mode="after")
    def _dates_in_order(self) -> Wave:
        if not self.start_date <= self.peak_date <= self.end_date:
            raise ValueError(
                "dates must satisfy start_date <= peak_date <= end_date, found "
                f"{self.start_date} / {self.peak_date} / {self.end_date}"
            )
        return self


class Distress(Section):
    """Daily distress: mean-reverting to a personal baseline, pushed by stressors.

    Distress is a latent score; a worker above `need_threshold` has probable need (a
    positive screen on GHQ-12 or similar).
    """

    persistent_high_share: Share
    """Share of workers whose personal baseline is persistently high."""
    high_baseline_mean: float
    """Mean personal baseline of the persistently-high group."""
    low_baseline_mean: float
    """Mean personal baseline of everyone else."""
    baseline_sd: Annotated[float, Field(ge=0.0)]
    """Spread of personal baselines within each group."""
    reversion_per_day: Annotated[float, Field(gt=0.0, le=1.0)]
    """Share of the gap to the target closed each day (1 = no memory)."""
    daily_noise_sd: Annotated[float, Field(ge=0.0)]
    """Standard deviation of each day's random change."""
    need_threshold: float
    """Distress above which a worker has probable need."""
    waves: Annotated[tuple[Wave, ...], AsTuple] = ()
    """Dated waves of the scenario's epidemic."""
    workload_shift: float = 0.0
    """Constant shift from workload (staffing gaps, exposure fear, PPE)."""
    racism_shift: float = 0.0
    """Shift for minority-ethnic staff affected by racism."""
    waiting_shift_per_week: float = 0.0
    """Shift per week spent waiting for help after referral."""
    treatment_relief: float = 0.0
    """Downward shift of the personal baseline after finishing treatment that helped."""
    absence_probability_in_need: Probability = 0.0
    """Daily probability of a sickness-absence day for a worker with probable need."""
    absence_probability_well: Probability = 0.0
    """Daily probability of a sickness-absence day for a worker without need."""


class Awareness(Section):
    """Whether a worker knows the hub exists and how it differs from other support."""

    initial_share: Share
    """Share aware when the hub opens."""
    half_life_days: Annotated[float, Field(gt=0.0)]
    """Days until half of the aware forget without any reminder."""
    outreach_reach_share: Share = 0.0
    """Share of a visited team's unaware staff who become aware."""
    word_of_mouth_share: Share = 0.0
    """Daily chance that a teammate of a worker with a good hub experience becomes aware."""


class HelpSeeking(Section):
    """The logistic rule for a worker with need deciding, today, to refer themself.

    log-odds = intercept + distress_log_odds_per_unit x (distress - threshold)
             + ln(each odds ratio that applies to the worker)
             + ln(expected_wait_odds_ratio_per_week) x the hub's published wait in weeks.
    Only aware, eligible workers with need who are not already in the pathway decide.
    """

    intercept: Annotated[float, Field(ge=-30.0, le=5.0)]
    """Daily log-odds of self-referral for the reference worker at the need threshold:
    supportive manager, positive culture, no stigma, no role beliefs, no confidentiality
    concern, not racism-affected, female, no wait."""
    distress_log_odds_per_unit: Annotated[float, Field(ge=0.0, le=10.0)]
    """Increase in log-odds per distress unit above the need threshold."""
    unsupportive_manager_odds_ratio: OddsRatio
    """Odds ratio for a worker whose line manager is not supportive."""
    negative_culture_odds_ratio: OddsRatio
    """Odds ratio for a worker in an organisation with a negative culture."""
    stigma_odds_ratio: OddsRatio
    """Odds ratio for a worker holding stigmatising beliefs."""
    role_belief_odds_ratio: OddsRatio
    """Odds ratio for a worker who believes their role means they should cope."""
    confidentiality_concern_odds_ratio: OddsRatio
    """Odds ratio for a worker who fears the employer would find out."""
    racism_affected_fit_odds_ratio: OddsRatio
    """Odds ratio for a racism-affected minority-ethnic worker who does not feel the hub is
    for them (cultural-competency training moves it towards 1)."""
    minority_ethnic_odds_ratio: OddsRatio = 1.0
    """Odds ratio for minority-ethnic staff in general (hub not seen as for them, barriers
    seen in NHS Talking Therapies); racism-affected staff also get the fit odds ratio."""
    male_odds_ratio: OddsRatio
    """Odds ratio for men."""
    own_offer_confusion_odds_ratio: OddsRatio
    """Odds ratio for a worker whose organisation runs its own offer (confusion about how
    the hub differs)."""
    expected_wait_odds_ratio_per_week: OddsRatio
    """Odds ratio per week of the hub's current expected wait."""
    manager_referral_probability: Probability = 0.0
    """Daily probability that a supportive manager refers a team member in need."""
    disengaged_cooldown_days: Annotated[float, Field(ge=0.0)] = 90.0
    """Days a worker who dropped out waits before they may seek help again."""

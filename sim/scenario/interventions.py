"""Dated interventions: what a service lead or commissioner could change, and when."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from sim.scenario.base import AsTuple, Date, Name, Section, Share
from sim.scenario.behaviour import Wave


class Dated(Section):
    """An intervention active from `date` (to `end_date` if it has one)."""

    date: Date
    """First day the intervention acts."""


class Spell(Dated):
    """An intervention that acts every day from `date` to `end_date` inclusive."""

    end_date: Date
    """Last day the intervention acts."""

    @model_validator(mode="after")
    def _end_after_start(self) -> Spell:
        if self.end_date < self.date:
            raise ValueError(f"end_date {self.end_date} is before date {self.date}")
        return self


class Campaign(Spell):
    """A promotion campaign: each day, part of the unaware become aware of the hub."""

    type: Literal["campaign"]
    reach_share: Share
    """Share of the unaware reached each campaign day."""
    sectors: Annotated[tuple[Name, ...], AsTuple] = ()
    """Sectors targeted; empty = all."""


class ManagerTraining(Dated):
    """Line-manager training: some unsupportive managers become supportive."""

    type: Literal["manager_training"]
    converted_share: Share
    """Share of unsupportive managers who become supportive."""


class CulturalCompetency(Dated):
    """Cultural-competency training of hub staff.

    Racism-affected minority-ethnic staff come to feel the hub is for them.
    """

    type: Literal["cultural_competency"]
    fit_odds_ratio_after: Annotated[float, Field(gt=0.0, le=100.0)]
    """The racism-affected fit odds ratio from this date on (1 = no gap)."""


class Outreach(Spell):
    """Proactive outreach: hub staff visit teams, raising awareness and referring."""

    type: Literal["outreach"]
    team_visits_per_week: Annotated[float, Field(ge=0.0, le=10_000.0)]
    """Teams visited per week."""
    referral_share: Share = 0.0
    """Share of a visited team's staff in need who are referred at the visit."""


class StaffingChange(Dated):
    """A change of a hub stage's WTE from a date (until the stage's next capacity step):
    either the new level (`wte`) or a relative change (`add_wte`), never both, so that
    `wte: 2` cannot be read as "two more"."""

    type: Literal["staffing_change"]
    stage: Name
    """The hub stage."""
    wte: Annotated[float, Field(ge=0.0, le=10_000.0)] | None = None
    """The stage's WTE from this date (the level it is set to)."""
    add_wte: Annotated[float, Field(ge=-10_000.0, le=10_000.0)] | None = None
    """WTE added from this date to the level then in force (negative: a cut; the level does
    not go below 0)."""

    @model_validator(mode="after")
    def _level_or_change(self) -> StaffingChange:
        if (self.wte is None) == (self.add_wte is None):
            found = "both" if self.wte is not None else "neither"
            raise ValueError(
                f"give exactly one of wte (the new level) or add_wte (a change), found {found}"
            )
        return self


class ExternalInitiative(Spell):
    """A waiting-list initiative at an external service: extra places for a spell."""

    type: Literal["external_initiative"]
    service: Name
    """The external service."""
    extra_places: Annotated[int, Field(ge=0, le=10_000_000)]
    """Places added for the spell."""


class EligibilityExtension(Dated):
    """The hub opens to more sectors (e.g. non-health keyworkers)."""

    type: Literal["eligibility_extension"]
    sectors: Annotated[tuple[Name, ...], AsTuple, Field(min_length=1)]
    """Sectors eligible from this date."""


class Closure(Dated):
    """The hub closes (e.g. when funding ends): all its stages drop to zero WTE.

    Those waiting are handled by each stage's `on_closure`.
    """

    type: Literal["closure"]


class ExtraWave(Wave):
    """A what-if wave on top of the scenario's epidemic (see distress.waves)."""

    type: Literal["wave"]


Intervention = Annotated[
    Campaign
    | ManagerTraining
    | CulturalCompetency
    | Outreach
    | StaffingChange
    | ExternalInitiative
    | EligibilityExtension
    | Closure
    | ExtraWave,
    Field(discriminator="type"),
]
"""A dated intervention, chosen by its `type`."""

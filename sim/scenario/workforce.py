"""The keyworkers of one hub's catchment: who they are and where they work."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field, field_validator

from sim.scenario.base import Frozen, Name, Section, Share, Shares, sums_to_one


class Sector(Section):
    """One sector of the workforce (NHS, social care, other keyworkers)."""

    share: Share
    """Share of the catchment's workforce in this sector."""
    staff_group_shares: Shares
    """Staff groups within the sector and their shares (sum to 1)."""
    minority_ethnic_share: Share
    """Share of the sector's staff from Black, Asian and minority ethnic groups."""
    male_share: Share
    """Share of the sector's staff who are men."""
    organisations: Annotated[int, Field(ge=1)]
    """Number of employing organisations (trusts, care providers, services) in the sector."""
    distress_shift: float = 0.0
    """Shift of the sector's personal distress baselines (distress units; 0 = as NHS)."""
    eligible_from_start: bool = True
    """Whether the hub accepts this sector from the day it opens (else see the
    eligibility_extension intervention)."""


class Workforce(Section):
    """The catchment's keyworkers, their teams, managers and organisations."""

    size: Annotated[int, Field(ge=1, le=5_000_000)]
    """Number of keyworkers in the hub's catchment (one agent each)."""
    sectors: Annotated[dict[Name, Sector], Field(min_length=1), Frozen]
    """Sectors by name; their shares must sum to 1."""
    team_size_mean: Annotated[float, Field(ge=1.0)]
    """Mean number of staff per team (each team has one line manager)."""
    supportive_manager_share: Share
    """Share of teams whose line manager takes a positive interest in staff wellbeing."""
    negative_culture_share: Share
    """Share of organisations with a negative workplace culture (low psychological safety)."""
    own_support_offer_share: Share
    """Share of organisations running their own staff-support offer beside the hub."""
    stigma_share: Share
    """Share of staff holding stigmatising beliefs about mental-health help-seeking."""
    role_belief_share: Share
    """Share of staff who believe their role means they should cope ("carers don't need care")."""
    confidentiality_concern_share: Share
    """Share of staff who fear their employer would learn they sought help."""
    racism_affected_share: Share
    """Share of minority-ethnic staff currently affected by racism at work."""

    @field_validator("sectors")
    @classmethod
    def _sector_shares_sum_to_one(cls, sectors: dict[str, Sector]) -> dict[str, Sector]:
        sums_to_one({name: sector.share for name, sector in sectors.items()})
        return sectors

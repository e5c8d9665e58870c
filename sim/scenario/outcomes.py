"""What becomes of a referral beyond waiting and being seen: the scenario's `outcomes`."""

from __future__ import annotations

import math

from pydantic import Field, model_validator

from sim.scenario.base import SHARE_TOLERANCE, Section, Share


def _sum_to_one(values: dict[str, float]) -> None:
    total = math.fsum(values.values())
    if abs(total - 1.0) > SHARE_TOLERANCE:
        parts = " + ".join(f"{key} {value:g}" for key, value in values.items())
        raise ValueError(f"shares must sum to 1, found {parts} = {total:g}")


class LeavingReasons(Section):
    """Why a client who leaves a queue before being seen (their patience ran out) left,
    as shares of those leaving; drawn for each leaver, keyed by the worker's episode."""

    dropped_out: Share = 1.0
    """Stopped waiting and disengaged (still in need; a cool-down before another referral)."""
    recovered: Share = 0.0
    """Recovered while waiting: distress falls below need."""
    went_elsewhere: Share = 0.0
    """Went elsewhere (private therapy, employer support): leaves the hub's pathway."""
    crisis: Share = 0.0
    """Escalated to crisis services while waiting."""

    @model_validator(mode="after")
    def _shares(self) -> LeavingReasons:
        _sum_to_one(self.model_dump())
        return self


class NeedsMet(Section):
    """How a finished treatment episode (in-house or external) ends, as shares."""

    fully: Share = 0.5
    """Needs fully met: relief (distress and baseline fall, see `distress.treatment_relief`)."""
    partly: Share = 0.0
    """Needs partly met: `partial_relief` of that relief."""
    not_met: Share = 0.5
    """Needs not met: no relief."""
    partial_relief: Share = 0.5
    """Share of the full relief that a partly met need brings."""

    @model_validator(mode="after")
    def _shares(self) -> NeedsMet:
        _sum_to_one({"fully": self.fully, "partly": self.partly, "not_met": self.not_met})
        return self


class ReferralOutcomes(Section):
    """The outcomes of a referral that the queues alone do not give."""

    never_engage_share: Share = 0.0
    """Share of referrals never engaging: no first contact (they never reach screening)."""
    leaving: LeavingReasons = Field(default_factory=LeavingReasons)
    """Why those who leave a queue unseen leave."""
    needs_met: NeedsMet = Field(default_factory=NeedsMet)
    """How finished treatment ends."""

"""The hub pathway, the external services it refers on to, and where demand comes from."""

from __future__ import annotations

import itertools
from typing import Annotated, Literal

from pydantic import Field, model_validator

from sim.scenario.base import AsTuple, Date, Frozen, Name, Section, Share, Shares
from sim.scenario.distributions import Distribution

EXIT = "exit"
"""Routing destination meaning: leaves the pathway (advice and signposting, or done)."""


class WteStep(Section):
    """Staffing of a hub stage from a date on (until the next step)."""

    from_date: Date
    """First day of this staffing level."""
    wte: Annotated[float, Field(ge=0.0, le=10_000.0)]
    """Whole-time equivalents working on this stage; 0 closes the stage."""


class PlacesStep(Section):
    """Capacity of an external service from a date on (until the next step)."""

    from_date: Date
    """First day of this capacity."""
    places: Annotated[int, Field(ge=0, le=10_000_000)]
    """Clients the service can treat at once (caseload places); 0 closes it."""


class RateStep(Section):
    """A Poisson arrival rate from a date on (until the next step)."""

    from_date: Date
    """First day of this rate."""
    per_day: Annotated[float, Field(ge=0.0, le=1_000_000.0)]
    """Mean arrivals per day."""


class Discharge(Section):
    """At closure, everyone waiting leaves the pathway."""

    action: Literal["discharge"]


class Transfer(Section):
    """At closure, everyone waiting moves to another stage or service."""

    action: Literal["transfer"]
    to: Name
    """The hub stage or external service that takes them."""


OnClosure = Annotated[Discharge | Transfer, Field(discriminator="action")]


class Backlog(Section):
    """Clients already waiting when the simulation starts."""

    count: Annotated[int, Field(ge=0, le=10_000_000)]
    """Number waiting at the start."""
    age: Distribution
    """How long each has already waited at the start."""


def _steps_ascending(steps: tuple, what: str) -> None:
    dates = [step.from_date for step in steps]
    if any(later <= earlier for earlier, later in itertools.pairwise(dates)):
        found = ", ".join(d.isoformat() for d in dates)
        raise ValueError(f"{what} must have strictly increasing from_date, found {found}")


class HubStage(Section):
    """One stage of the hub pathway: screening, assessment, in-house therapy, ..."""

    capacity: Annotated[tuple[WteStep, ...], AsTuple, Field(min_length=1)]
    """Staffing over time in WTE; the first step's date is when the stage opens."""
    servers_per_wte: Annotated[float, Field(gt=0.0, le=1000.0)]
    """Clients one WTE serves at once (productivity): 1 for an assessment slot, a caseload
    size for therapy. Servers = WTE x servers_per_wte; a fraction is a part-time server
    (present for that fraction of every week, see `sim.pathway.hub_servers`)."""
    service: Distribution
    """Time a client occupies a server (for therapy, the whole episode)."""
    patience: Distribution | None = None
    """How long a client waits before dropping out; none = waits for ever."""
    routes: Annotated[dict[Name, Shares], Frozen] = Field(
        default_factory=lambda: {"all": {EXIT: 1.0}}
    )
    """Where clients go after this stage, by priority class (or `all` for every class):
    destination (hub stage, external service or `exit`) to share."""
    on_closure: OnClosure = Field(default_factory=lambda: Discharge(action="discharge"))
    """What happens to those waiting when the stage's WTE drops to zero."""
    treatment: bool = False
    """True for a treatment stage (in-house therapy): starting it is taking up treatment and
    finishing it may bring relief; other stages are triage (screening, assessment)."""

    @model_validator(mode="after")
    def _capacity_in_order(self) -> HubStage:
        _steps_ascending(self.capacity, "capacity")
        return self


class AdaptiveTherapy(Section):
    """Route to in-house therapy instead of an external service when its wait is long."""

    from_service: Name
    """The external service whose long wait triggers the rule."""
    to_stage: Name
    """The in-house stage that takes the client instead."""
    wait_threshold_days: Annotated[float, Field(gt=0.0)]
    """Expected wait at the external service above which the rule applies."""
    max_in_house_wait_days: Annotated[float, Field(ge=0.0)] = 0.0
    """The rule applies only while the in-house stage's expected wait is at most this (0: only
    when a place is free now). Expected wait: see docs/queue.md."""


class Hub(Section):
    """The staff mental-health and wellbeing hub."""

    priority_classes: Shares
    """Priority classes by risk, most urgent first, with their shares of referrals."""
    stages: Annotated[dict[Name, HubStage], Field(min_length=1), Frozen]
    """The pathway's stages; referrals enter the first."""
    adaptive_therapy: AdaptiveTherapy | None = None
    """Optional rule: in-house therapy when an external wait is long."""


class ExternalService(Section):
    """An external service (NHS Talking Therapies, secondary care).

    A stage with its own capacity, background demand from the general population and a
    starting backlog.
    """

    capacity: Annotated[tuple[PlacesStep, ...], AsTuple, Field(min_length=1)]
    """Caseload places over time."""
    service: Distribution
    """Length of a treatment episode."""
    patience: Distribution | None = None
    """How long a client waits before dropping out; none = waits for ever."""
    background_referrals: Annotated[tuple[RateStep, ...], AsTuple, Field(min_length=1)]
    """Referrals from everyone else (not via the hub), per day over time."""
    background_priority: Shares | None = None
    """Priority classes of the background referrals (hub class names to shares): the
    service's own population queues in the same clinical classes as hub clients, who keep
    the class their assessment gave them. None: all in the least urgent class."""
    initial_backlog: Backlog | None = None
    """Clients already waiting at the start (an explicit backlog, places empty)."""
    steady_start_days: Annotated[int, Field(ge=1, le=36_500)] | None = None
    """Start in steady state: the service's own demand is simulated for this many days
    before the start, and the places occupied then (with the remaining service times drawn
    there) and the queue (with its waiting ages) are the state at the start. Several times
    the longest of the mean service and the mean wait; instead of `initial_backlog`."""
    routes: Shares | None = None
    """Where its clients go after this step: another external service (e.g. treatment after
    a first appointment) or `exit`. None: everyone leaves."""
    treatment: bool = True
    """True if starting this step is starting treatment; false for an assessment step
    (e.g. NHS Talking Therapies' first appointment before the hidden wait)."""

    @model_validator(mode="after")
    def _steps_in_order(self) -> ExternalService:
        _steps_ascending(self.capacity, "capacity")
        _steps_ascending(self.background_referrals, "background_referrals")
        if self.initial_backlog is not None and self.steady_start_days is not None:
            raise ValueError("give initial_backlog or steady_start_days, not both")
        return self


class AgentDemand(Section):
    """Referrals come from the keyworker agents' decisions (the full model)."""

    mode: Literal["agents"]


class PoissonReferrals(Section):
    """Referrals arrive as a Poisson process (queue-only capacity studies, no agents).

    The scenario's description of the referrals; the runner turns it into the queue core's
    `sim.queue.PoissonDemand` (rates by day number)."""

    mode: Literal["poisson"]
    referrals: Annotated[tuple[RateStep, ...], AsTuple, Field(min_length=1)]
    """Hub referrals per day over time."""

    @model_validator(mode="after")
    def _steps_in_order(self) -> PoissonReferrals:
        _steps_ascending(self.referrals, "referrals")
        return self


class ReplayReferrals(Section):
    """Referrals replayed from a CSV file with columns `arrival_day` and `priority_class`
    (read into the queue core's `sim.queue.ReplayDemand`)."""

    mode: Literal["replay"]
    file: Annotated[str, Field(min_length=1)]
    """CSV path, relative to the scenario file."""


Demand = Annotated[AgentDemand | PoissonReferrals | ReplayReferrals, Field(discriminator="mode")]


class Target(Section):
    """A waiting-time standard: a share of referrals reach a stage within some days."""

    stage: Name
    """The hub stage whose start ends the wait (measured from referral)."""
    within_days: Annotated[float, Field(gt=0.0)]
    """The waiting-time limit."""
    share: Share
    """Share of referrals that should reach the stage within the limit."""

"""The whole scenario: one frozen, validated object that every run starts from."""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from typing import Annotated

from pydantic import AfterValidator, Field, ValidationInfo, model_validator

from sim.scenario.base import AsTuple, Date, Frozen, Name, Section
from sim.scenario.behaviour import Awareness, Distress, HelpSeeking
from sim.scenario.interventions import (
    Campaign,
    EligibilityExtension,
    ExternalInitiative,
    Intervention,
    StaffingChange,
)
from sim.scenario.outcomes import ReferralOutcomes
from sim.scenario.pathway import EXIT, AgentDemand, Demand, ExternalService, Hub, Target, Transfer
from sim.scenario.workforce import Workforce

ALL_CLASSES = "all"
"""Routing key meaning: the same routes for every priority class."""

DEFER_CROSS_CHECKS = "defer_cross_checks"
"""Validation-context flag: leave cross-section checks to the caller (the loader reports them
with file and line, together with every other error)."""


class Simulation(Section):
    """How long, how often, and from which seed."""

    start_date: Date
    """Calendar date of simulated day 0."""
    horizon_days: Annotated[int, Field(ge=1, le=36_500)]
    """Days simulated, warm-up included."""
    warmup_days: Annotated[int, Field(ge=0)] = 0
    """Days at the start left out of the statistics."""
    replications: Annotated[int, Field(ge=1, le=100_000)] = 1
    """Independent runs with per-replication seeds from one root seed."""
    seed: Annotated[int, Field(ge=0, lt=2**63)]
    """Root seed: the same seed gives identical numbers."""

    @property
    def end_date(self) -> date:
        """Last simulated calendar day."""
        return self.start_date + timedelta(days=self.horizon_days - 1)

    def day(self, when: date) -> int:
        """Simulation day number of a calendar date."""
        return (when - self.start_date).days


def _period_in_order(period: tuple[date, date]) -> tuple[date, date]:
    start, end = period
    if end < start:
        raise ValueError(f"a period's start must be on or before its end, found {start} to {end}")
    return period


Period = Annotated[tuple[Date, Date], AsTuple, AfterValidator(_period_in_order)]
"""A named span of calendar days, first and last day included: `[2021-02-01, 2023-03-31]`."""

WHOLE_PERIOD = "all"
"""The period name of the whole measured window (reserved: no named period may take it)."""


class Outputs(Section):
    """What a run writes into its results folder."""

    directory: str = "results"
    """Parent folder for results folders, relative to the working directory."""
    client_records: bool = True
    """Write the per-client pathway records (Parquet)."""
    daily_series: bool = True
    """Write the per-day series (Parquet)."""
    charts: bool = True
    """Draw the PNG charts."""
    report: bool = False
    """Write the HTML report (`report.html`) too, as `hubsim run --report` does."""
    periods: Annotated[dict[Name, Period], Frozen] = Field(default_factory=dict)
    """Named periods, each `[first_day, last_day]` inside the horizon (overlaps allowed),
    e.g. `funded: [2021-02-01, 2023-03-31]`: the KPIs are reported for each of them and for
    each calendar year, as well as for the whole measured window (`sim.periods`)."""


class Issue(Section):
    """A problem found across sections: where (key path) and what."""

    path: tuple[str | int, ...]
    message: str


class Scenario(Section):
    """A complete scenario: workforce, behaviour, pathway, interventions and outputs."""

    name: Annotated[str, Field(min_length=1, max_length=120)]
    """Short name shown in charts and reports."""
    description: str = ""
    """What the scenario represents and why it exists."""
    simulation: Simulation
    demand: Demand = Field(default_factory=lambda: AgentDemand(mode="agents"))
    """Where referrals come from: the agents (default), a Poisson process or a replay file."""
    workforce: Workforce | None = None
    """Required when demand comes from the agents."""
    distress: Distress | None = None
    """Required when demand comes from the agents."""
    awareness: Awareness | None = None
    """Required when demand comes from the agents."""
    help_seeking: HelpSeeking | None = None
    """Required when demand comes from the agents."""
    hub: Hub
    external: Annotated[dict[Name, ExternalService], Frozen] = Field(default_factory=dict)
    """External services the hub refers on to, by name."""
    outcomes: ReferralOutcomes = Field(default_factory=ReferralOutcomes)
    """What becomes of referrals beyond waiting and being seen (with agents)."""
    interventions: Annotated[tuple[Intervention, ...], AsTuple] = ()
    """Dated interventions, in any order."""
    targets: Annotated[dict[Name, Target], Frozen] = Field(default_factory=dict)
    """Waiting-time standards, by name."""
    outputs: Outputs = Field(default_factory=Outputs)

    def digest(self) -> str:
        """A fingerprint of the resolved scenario, for results stores and manifests.

        The sha256 (hex) of its content as canonical JSON: keys in the scenario's own order
        (stage and class order are part of a scenario), floats written exactly (shortest
        round-trip form), no spaces. The same content gives the same digest in any process
        or Python run; any changed value gives another. A replay file is named by its path,
        not its contents.
        """
        content = json.dumps(
            self.model_dump(mode="json"),
            ensure_ascii=False,
            allow_nan=False,
            separators=(",", ":"),
        )
        return hashlib.sha256(content.encode("utf-8")).hexdigest()

    @model_validator(mode="after")
    def _cross_checks(self, info: ValidationInfo) -> Scenario:
        if info.context and info.context.get(DEFER_CROSS_CHECKS):
            return self
        issues = self.cross_section_issues()
        if issues:
            raise ValueError(
                "; ".join(".".join(map(str, issue.path)) + ": " + issue.message for issue in issues)
            )
        return self

    def cross_section_issues(self) -> list[Issue]:
        """Problems that need more than one section to see: names, dates, required parts."""
        return [
            *self._required_for_agents(),
            *self._names_resolve(),
            *self._pathway_acyclic(),
            *self._dates_in_horizon(),
            *self._no_stage_below_one_server(),
        ]

    def _no_stage_below_one_server(self) -> list[Issue]:
        """Refuse staffing of more than 0 but less than 1 server at a hub stage.

        A fraction of a server is a part-time server, there for that share of each week
        (`sim.pathway.hub_servers`); with no full-time server beside it the stage has no
        server at all in the part-timer's days off, and a stage without servers is closed
        (everyone waiting discharged or transferred). Rather than close the stage every
        week, such staffing is refused, with what it would become."""
        from sim.scenario.interventions import StaffingChange
        from sim.scenario.staffing import WHOLE, hub_staffing

        def below_one(servers: float) -> bool:
            return WHOLE < servers < 1 - WHOLE

        def message(wte: float, servers: float, per_wte: float) -> str:
            return (
                f"{wte:g} WTE is {servers:g} of a server ({per_wte:g} per WTE): a part-time "
                "server with no full-time one beside it would leave the stage closed in its "
                f"days off every week; give at least {1 / per_wte:g} WTE (one server), or 0 "
                "to close the stage"
            )

        issues: list[Issue] = []
        day = self.simulation.day
        for name, stage in self.hub.stages.items():
            per_wte = stage.servers_per_wte
            for i, step in enumerate(stage.capacity):
                if below_one(step.wte * per_wte):
                    path = ("hub", "stages", name, "capacity", i, "wte")
                    issues.append(
                        Issue(path=path, message=message(step.wte, step.wte * per_wte, per_wte))
                    )
            levels = {when: (wte, servers) for when, wte, servers in hub_staffing(self, name)}
            for i, change in enumerate(self.interventions):
                if not (isinstance(change, StaffingChange) and change.stage == name):
                    continue
                wte, servers = levels.get(day(change.date), (0.0, 0.0))
                if below_one(servers):
                    key = "wte" if change.wte is not None else "add_wte"
                    issues.append(
                        Issue(
                            path=("interventions", i, key), message=message(wte, servers, per_wte)
                        )
                    )
        return issues

    def _required_for_agents(self) -> list[Issue]:
        if not isinstance(self.demand, AgentDemand):
            return []
        return [
            Issue(path=(section,), message="missing; required when demand.mode is 'agents'")
            for section in ("workforce", "distress", "awareness", "help_seeking")
            if getattr(self, section) is None
        ]

    def _names_resolve(self) -> list[Issue]:
        issues: list[Issue] = []
        stages, services = set(self.hub.stages), set(self.external)
        classes = list(self.hub.priority_classes)
        destinations = stages | services | {EXIT}

        def unknown(path: tuple, found: str, allowed: set[str] | list[str], what: str) -> None:
            listing = ", ".join(sorted(allowed)) or "(none defined)"
            issues.append(Issue(path=path, message=f"unknown {what} '{found}'; allowed: {listing}"))

        for name in sorted(stages & services):
            issues.append(
                Issue(
                    path=("external", name),
                    message=f"'{name}' names both a hub stage and an external service",
                )
            )
        for reserved in (EXIT, ALL_CLASSES):
            if reserved in destinations - {EXIT} or reserved in classes:
                issues.append(Issue(path=("hub",), message=f"'{reserved}' is a reserved name"))
        for stage_name, stage in self.hub.stages.items():
            base = ("hub", "stages", stage_name)
            if ALL_CLASSES in stage.routes and len(stage.routes) > 1:
                issues.append(
                    Issue(
                        path=(*base, "routes"),
                        message="give routes either for 'all' classes or per class, not both",
                    )
                )
            for klass, shares in stage.routes.items():
                if klass not in classes and klass != ALL_CLASSES:
                    unknown((*base, "routes", klass), klass, [*classes, ALL_CLASSES], "class")
                for destination in shares:
                    if destination == stage_name:
                        issues.append(
                            Issue(
                                path=(*base, "routes", klass, destination),
                                message=f"stage '{stage_name}' cannot route to itself",
                            )
                        )
                    elif destination not in destinations:
                        unknown(
                            (*base, "routes", klass, destination),
                            destination,
                            destinations - {stage_name},
                            "destination",
                        )
            missing = [k for k in classes if k not in stage.routes]
            if ALL_CLASSES not in stage.routes and missing and len(missing) < len(classes):
                issues.append(
                    Issue(
                        path=(*base, "routes"),
                        message=f"no routes for class(es) {', '.join(missing)}",
                    )
                )
            if isinstance(stage.on_closure, Transfer):
                target = stage.on_closure.to
                if target == stage_name or target not in stages | services:
                    unknown(
                        (*base, "on_closure", "to"),
                        target,
                        (stages | services) - {stage_name},
                        "stage or service",
                    )
        classes = list(self.hub.priority_classes)
        for name, service in self.external.items():
            base = ("external", name)
            for destination in service.routes or {}:
                if destination != EXIT and (destination == name or destination not in services):
                    allowed = [*sorted(services - {name}), EXIT]
                    unknown((*base, "routes", destination), destination, allowed, "service")
            for klass in service.background_priority or {}:
                if klass not in classes:
                    unknown((*base, "background_priority", klass), klass, classes, "class")
        rule = self.hub.adaptive_therapy
        if rule is not None:
            if rule.from_service not in services:
                unknown(
                    ("hub", "adaptive_therapy", "from_service"),
                    rule.from_service,
                    services,
                    "external service",
                )
            if rule.to_stage not in stages:
                unknown(("hub", "adaptive_therapy", "to_stage"), rule.to_stage, stages, "stage")
        for target_name, target in self.targets.items():
            if target.stage not in stages:
                unknown(("targets", target_name, "stage"), target.stage, stages, "stage")
        sectors = set(self.workforce.sectors) if self.workforce else set()
        for index, intervention in enumerate(self.interventions):
            base = ("interventions", index)
            if isinstance(intervention, StaffingChange) and intervention.stage not in stages:
                unknown((*base, "stage"), intervention.stage, stages, "stage")
            initiative = isinstance(intervention, ExternalInitiative)
            if initiative and intervention.service not in services:
                unknown((*base, "service"), intervention.service, services, "external service")
            if isinstance(intervention, Campaign | EligibilityExtension):
                for position, sector in enumerate(intervention.sectors):
                    if sector not in sectors:
                        unknown((*base, "sectors", position), sector, sectors, "sector")
        return issues

    def _pathway_acyclic(self) -> list[Issue]:
        """No client may come back to a stage: a revisit reuses the client's draws there, so
        a cycle would go round for ever (routes, closure transfers and the adaptive rule)."""
        stages = self.hub.stages
        edges: dict[str, set[str]] = {name: set() for name in stages}
        rule = self.hub.adaptive_therapy
        for name, stage in stages.items():
            for shares in stage.routes.values():
                edges[name] |= {d for d, share in shares.items() if share > 0 and d in stages}
            if isinstance(stage.on_closure, Transfer) and stage.on_closure.to in stages:
                edges[name].add(stage.on_closure.to)
            routes_to_rule = rule is not None and any(
                rule.from_service in shares for shares in stage.routes.values()
            )
            if routes_to_rule and rule.to_stage in stages:
                edges[name].add(rule.to_stage)
        done: set[str] = set()

        def cycle_from(name: str, path: list[str]) -> list[str] | None:
            for target in sorted(edges[name]):
                if target in path:
                    return [*path[path.index(target) :], target]
                if target not in done:
                    found = cycle_from(target, [*path, target])
                    if found:
                        return found
            done.add(name)
            return None

        for name in stages:
            cycle = cycle_from(name, [name]) if name not in done else None
            if cycle:
                return [
                    Issue(
                        path=("hub", "stages", cycle[-2], "routes"),  # the step back
                        message=f"the pathway forms a cycle ({' -> '.join(cycle)}); a client "
                        "may not come back to a stage (routes, on_closure transfers and the "
                        "adaptive rule count)",
                    )
                ]
        return []

    def _dates_in_horizon(self) -> list[Issue]:
        first, last = self.simulation.start_date, self.simulation.end_date
        issues: list[Issue] = []
        if self.simulation.warmup_days >= self.simulation.horizon_days:
            issues.append(
                Issue(
                    path=("simulation", "warmup_days"),
                    message=f"must be less than horizon_days ({self.simulation.horizon_days}), "
                    f"found {self.simulation.warmup_days}",
                )
            )
        # At most the horizon: a longer warm-up is reported above (and would overflow a date).
        warmup = min(self.simulation.warmup_days, self.simulation.horizon_days)
        measured_from = self.simulation.start_date + timedelta(days=warmup)
        for name, (_, period_end) in self.outputs.periods.items():
            path = ("outputs", "periods", name)
            if name == WHOLE_PERIOD:
                issues.append(
                    Issue(path=path, message=f"'{WHOLE_PERIOD}' is reserved for the whole run")
                )
            elif first <= period_end < measured_from:
                issues.append(
                    Issue(
                        path=(*path, 1),
                        message=f"the period ends on {period_end}, within the warm-up (before "
                        f"{measured_from}): it has no measured days",
                    )
                )
        for path, when in self._dates():
            if not first <= when <= last:
                issues.append(
                    Issue(
                        path=path,
                        message=f"date {when} is outside the simulated period {first} to {last}",
                    )
                )
        return issues

    def _dates(self) -> list[tuple[tuple, date]]:
        """Every calendar date in the scenario, with its key path."""
        found: list[tuple[tuple, date]] = []
        for name, stage in self.hub.stages.items():
            for i, step in enumerate(stage.capacity):
                found.append((("hub", "stages", name, "capacity", i, "from_date"), step.from_date))
        for name, service in self.external.items():
            for key in ("capacity", "background_referrals"):
                for i, step in enumerate(getattr(service, key)):
                    found.append((("external", name, key, i, "from_date"), step.from_date))
        for key in ("referrals",):
            for i, step in enumerate(getattr(self.demand, key, ())):
                found.append((("demand", key, i, "from_date"), step.from_date))
        waves = self.distress.waves if self.distress else ()
        for i, wave in enumerate(waves):
            for key in ("start_date", "peak_date", "end_date"):
                found.append((("distress", "waves", i, key), getattr(wave, key)))
        for i, intervention in enumerate(self.interventions):
            for key in ("date", "end_date", "start_date", "peak_date"):
                if hasattr(intervention, key):
                    found.append((("interventions", i, key), getattr(intervention, key)))
        for name, period in self.outputs.periods.items():
            for i, when in enumerate(period):
                found.append((("outputs", "periods", name, i), when))
        return found

"""The hub pathway of a scenario: its queueing network, and the `Pathway` the agents use.

`build_network` turns the scenario's hub stages, external services and pathway-side
interventions (staffing changes, closure, external waiting-list initiatives) into a queue-core
`Network`, with every date converted to a day number. `HubPathway` runs that network one day
at a time for the agent model and translates the queue core's events into agent `Outcomes`.
"""

from __future__ import annotations

import math

import numpy as np

from sim.outcomes import Outcome, Outcomes
from sim.queue import Adaptive, Background, Backlog, Dist, Event, Network, QueueCore, Stage
from sim.scenario import Scenario
from sim.scenario.distributions import Distribution, Empirical, Exponential, Fixed, Gamma
from sim.scenario.interventions import ExternalInitiative
from sim.scenario.model import ALL_CLASSES
from sim.scenario.pathway import EXIT, ExternalService, HubStage, Transfer
from sim.scenario.staffing import full_and_part_time, hub_staffing
from sim.streams import KeyedStream, stream


def queue_dist(dist: Distribution) -> Dist:
    """The queue core's form of a scenario distribution."""
    if isinstance(dist, Exponential):
        return Dist.exponential(dist.mean_days)
    if isinstance(dist, Gamma):
        return Dist.gamma(dist.shape, dist.mean_days)
    if isinstance(dist, Fixed):
        return Dist.fixed(dist.value_days)
    if isinstance(dist, Empirical):
        return Dist.empirical(dist.values_days, dist.weights)
    return Dist.lognormal(dist.mean_days, dist.sd_days)


def _schedule(levels: dict[int, int]) -> tuple[list[float], list[int]]:
    """(times, counts) from day -> level, starting at day 0 (closed until the first step)."""
    levels = {0: 0} | levels if 0 not in levels else levels
    days = sorted(levels)
    return [float(day) for day in days], [levels[day] for day in days]


def hub_servers(scenario: Scenario, name: str) -> tuple[list[float], list[int]]:
    """Servers of a hub stage over time (see `hub_staffing`), closed until the first step.

    A fractional number of servers is a part-time server: 2.5 servers are 2 full-time servers
    and one present for the first half of every week (weeks counted from the start date,
    days 0 to 3.5 of each), so the stage has 2.5 servers on average and no staffing is
    rounded away. A part-timer who leaves mid-service finishes that client first (as the
    engine does at every capacity change)."""
    horizon = scenario.simulation.horizon_days
    times, counts = [0.0], [0]
    staffing = hub_staffing(scenario, name)
    for j, (start, _, servers) in enumerate(staffing):
        end = staffing[j + 1][0] if j + 1 < len(staffing) else horizon
        whole, part = full_and_part_time(servers)
        times.append(float(start))
        counts.append(whole)
        if not part:
            continue
        week = 7 * math.floor(start / 7)
        while week < end:
            on, off = max(float(week), float(start)), min(week + 7 * part, float(end))
            if on < off:
                times += [on, off]
                counts += [whole + 1, whole]
            week += 7
    return _compact(times, counts)


def _compact(times: list[float], counts: list[int]) -> tuple[list[float], list[int]]:
    """The schedule without repeated times (the last level at a time wins) or levels."""
    at: dict[float, int] = {}
    for t, n in zip(times, counts, strict=True):
        at[t] = n
    out_t, out_n = [], []
    for t in sorted(at):
        if not out_n or at[t] != out_n[-1]:
            out_t.append(t)
            out_n.append(at[t])
    return out_t, out_n


def external_places(scenario: Scenario, name: str) -> tuple[list[float], list[int]]:
    """Places of an external service over time: its steps plus waiting-list initiatives."""
    service = scenario.external[name]
    day = scenario.simulation.day
    base = {day(step.from_date): step.places for step in service.capacity}
    spells = [
        (day(i.date), day(i.end_date) + 1, i.extra_places)
        for i in scenario.interventions
        if isinstance(i, ExternalInitiative) and i.service == name
    ]
    breaks = sorted({0, *base, *(s for s, _, _ in spells), *(e for _, e, _ in spells)})
    levels = {}
    for when in breaks:
        steps = [d for d in base if d <= when]
        places = base[max(steps)] if steps else 0
        levels[when] = places + sum(extra for s, e, extra in spells if s <= when < e)
    return _schedule(levels)


def rate_schedule(steps, to_day) -> tuple[list[float], list[float]]:
    """(times, rates) per day from dated rate steps, starting at day 0 (0 until the first)."""
    rates = {to_day(step.from_date): step.per_day for step in steps}
    rates = {0: 0.0} | rates if 0 not in rates else rates
    days = sorted(rates)
    return [float(d) for d in days], [rates[d] for d in days]


def _routing(scenario: Scenario, stage: HubStage, names: list[str]) -> list[list[float]]:
    destinations = [*names, EXIT]
    rows = []
    for klass in scenario.hub.priority_classes:
        shares = stage.routes.get(klass, stage.routes.get(ALL_CLASSES, {EXIT: 1.0}))
        rows.append([shares.get(destination, 0.0) for destination in destinations])
    return rows


def build_network(scenario: Scenario, seed: int, replication: int = 0) -> Network:
    """The queue-core network of a scenario: hub stages first (in order), then externals.

    The external backlogs' waiting ages are drawn here from the "backlog_ages" stream.
    Background demand at an external service enters in the least urgent class (an
    assumption: hub clients of a more urgent class are seen first there).
    """
    hub, external = scenario.hub, scenario.external
    names = [*hub.stages, *external]
    least_urgent = len(hub.priority_classes) - 1
    rule = hub.adaptive_therapy
    stages = []
    for name, stage in hub.stages.items():
        routes_to_rule = rule is not None and any(
            rule.from_service in shares for shares in stage.routes.values()
        )
        stages.append(
            Stage(
                name=name,
                servers=hub_servers(scenario, name),
                service=queue_dist(stage.service),
                patience=queue_dist(stage.patience) if stage.patience else None,
                routing=_routing(scenario, stage, names),
                on_closure=stage.on_closure.to if isinstance(stage.on_closure, Transfer) else None,
                adaptive=Adaptive(
                    external=rule.from_service,
                    in_house=rule.to_stage,
                    threshold_days=rule.wait_threshold_days,
                    max_in_house_wait_days=rule.max_in_house_wait_days,
                )
                if routes_to_rule
                else None,
            )
        )
    ages_rng = stream(seed, "backlog_ages", replication)
    for name, service in external.items():
        stages.append(_external_stage(scenario, name, service, least_urgent, ages_rng))
    return Network(stages=stages, n_classes=len(hub.priority_classes))


def _external_stage(
    scenario: Scenario,
    name: str,
    service: ExternalService,
    least_urgent: int,
    ages_rng: np.random.Generator,
) -> Stage:
    backlog = None
    if service.initial_backlog is not None and service.initial_backlog.count > 0:
        ages = service.initial_backlog.age.sample(ages_rng, service.initial_backlog.count)
        backlog = Backlog(ages=ages, classes=least_urgent)
    return Stage(
        name=name,
        servers=external_places(scenario, name),
        service=queue_dist(service.service),
        patience=queue_dist(service.patience) if service.patience else None,
        background=Background(
            rate=rate_schedule(service.background_referrals, scenario.simulation.day),
            priority_class=least_urgent,
        ),
        backlog=backlog,
    )


class HubPathway:
    """The scenario's pathway, advanced a day at a time for the agent model (`Pathway`).

    Each referral's draws in the pathway (service, patience and routing at every stage) come
    from the "client" `KeyedStream`, keyed by (client id, episode): the client's how-manieth
    referral this is. A worker's second referral gets the same draws in every scenario of a
    comparison, however many other referrals came before it (common random numbers).
    """

    def __init__(self, scenario: Scenario, seed: int, replication: int = 0) -> None:
        self.scenario = scenario
        self.network = build_network(scenario, seed, replication)
        self.core = QueueCore(self.network, seed, replication)
        self._client_stream = KeyedStream(seed, "client", replication)
        self._episodes: dict[int, int] = {}
        hub_count = len(scenario.hub.stages)
        kinds = np.zeros(len(self.network.stages), np.int8)  # 0 triage, 1 treatment, 2 external
        kinds[:hub_count] = [stage.treatment for stage in scenario.hub.stages.values()]
        kinds[hub_count:] = 2
        self._kind = kinds

    def advance(
        self, until: float, arrival_times: np.ndarray, client_ids: np.ndarray, classes: np.ndarray
    ) -> Outcomes:
        """Add the day's referrals at the first hub stage and run to `until`."""
        keys = []
        for client in np.asarray(client_ids, np.int64).tolist():
            episode = self._episodes.get(client, 0)
            self._episodes[client] = episode + 1
            keys.append((client, episode))
        draws = self.core.draw_clients(classes, (self._client_stream.at(key) for key in keys))
        events = self.core.advance(until, arrival_times, client_ids, classes, 0, draws)
        return translate(events.client_id, events.code, events.stage, events.time, self._kind)

    def expected_wait_days(self) -> float:
        """Expected wait for the first hub stage for a new routine referral."""
        return self.core.expected_wait(0, len(self.scenario.hub.priority_classes) - 1)

    def records(self):
        """The queue core's records so far (see `sim.queue.Records`)."""
        return self.core.records()


_TRIAGE, _TREATMENT, _EXTERNAL = 0, 1, 2


def translate(
    client_id: np.ndarray, code: np.ndarray, stage: np.ndarray, time: np.ndarray, kind: np.ndarray
) -> Outcomes:
    """Agent outcomes from queue-core events (events that change nothing for the agent,
    such as finishing screening and joining assessment, are dropped)."""
    stage_kind = kind[stage]
    outcome = np.full(code.shape, -1, np.int8)
    joins_external = np.isin(code, (Event.ROUTED, Event.TRANSFERRED)) & (stage_kind == _EXTERNAL)
    exits_triage = (code == Event.EXITED) & (stage_kind == _TRIAGE)
    rules = (
        (code == Event.ARRIVED, Outcome.ENTERED_HUB),
        ((code == Event.STARTED) & (stage_kind == _TREATMENT), Outcome.STARTED_THERAPY),
        ((code == Event.FINISHED) & (stage_kind == _TREATMENT), Outcome.FINISHED_THERAPY),
        (joins_external, Outcome.REFERRED_ON),
        ((code == Event.STARTED) & (stage_kind == _EXTERNAL), Outcome.STARTED_EXTERNAL),
        ((code == Event.FINISHED) & (stage_kind == _EXTERNAL), Outcome.FINISHED_EXTERNAL),
        (exits_triage, Outcome.SIGNPOSTED),
        (code == Event.RENEGED, Outcome.DROPPED_OUT),
        (code == Event.DISCHARGED, Outcome.DISCHARGED_AT_CLOSURE),
    )
    for mask, value in rules:
        outcome[mask] = value
    keep = outcome >= 0
    return Outcomes(client_id[keep], outcome[keep], time[keep])

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

    External services are shared queues: their own referrals (background demand) come in
    the scenario's `background_priority` mix of the hub's priority classes (all in the least
    urgent class without one), and hub clients keep the class their assessment gave them. A
    service with `steady_start_days` starts in steady state (`steady_state_backlogs`); an
    explicit `initial_backlog` has its waiting ages drawn here from the "backlog_ages"
    stream.
    """
    hub, external = scenario.hub, scenario.external
    names = [*hub.stages, *external]
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
                    then=next_step(scenario, rule.from_service),
                )
                if routes_to_rule
                else None,
            )
        )
    steady = steady_state_backlogs(scenario, seed, replication)
    ages_rng = stream(seed, "backlog_ages", replication)
    for name, service in external.items():
        backlog = steady.get(name) or _initial_backlog(scenario, service, ages_rng)
        stages.append(_external_stage(scenario, name, service, backlog))
    return Network(stages=stages, n_classes=len(hub.priority_classes))


def next_step(scenario: Scenario, service: str) -> str | None:
    """The external service that most of `service`'s clients go on to (its treatment step
    after a first appointment), or None if most leave."""
    routes = scenario.external[service].routes or {EXIT: 1.0}
    step = max(routes, key=lambda destination: routes[destination])
    return None if step == EXIT else step


def _initial_backlog(
    scenario: Scenario, service: ExternalService, ages_rng: np.random.Generator
) -> Backlog | None:
    if service.initial_backlog is None or service.initial_backlog.count == 0:
        return None
    ages = service.initial_backlog.age.sample(ages_rng, service.initial_backlog.count)
    return Backlog(ages=ages, classes=len(scenario.hub.priority_classes) - 1)


def _background(scenario: Scenario, service: ExternalService) -> Background:
    classes = list(scenario.hub.priority_classes)
    mix = service.background_priority
    return Background(
        rate=rate_schedule(service.background_referrals, scenario.simulation.day),
        priority_class=len(classes) - 1,
        class_shares=None if mix is None else [mix.get(k, 0.0) for k in classes],
    )


def _external_routing(service: ExternalService) -> dict[str, float]:
    """Where an external service's clients go next (its `routes`; none: everyone leaves)."""
    routes = service.routes or {EXIT: 1.0}
    return {destination: share for destination, share in routes.items() if share > 0}


def _external_stage(
    scenario: Scenario, name: str, service: ExternalService, backlog: Backlog | None
) -> Stage:
    return Stage(
        name=name,
        servers=external_places(scenario, name),
        service=queue_dist(service.service),
        patience=queue_dist(service.patience) if service.patience else None,
        routing=_external_routing(service),
        background=_background(scenario, service),
        backlog=backlog,
    )


def steady_state_backlogs(scenario: Scenario, seed: int, replication: int = 0) -> dict:
    """The state at the start of the external services with `steady_start_days`: their own
    demand and capacity on the first day, simulated alone (no hub clients) for the longest
    of those spells before the start; who is waiting (with their ages and classes) and in
    service (with the remaining service times drawn there) at the end is the state at t=0.

    The spell runs on streams of its own ("steady_state"), so it shifts no other draw.
    """
    chosen = [n for n, s in scenario.external.items() if s.steady_start_days is not None]
    if not chosen:
        return {}
    days = max(scenario.external[n].steady_start_days for n in chosen)
    stages = []
    for name, service in scenario.external.items():
        _, places = external_places(scenario, name)
        first_day = next((p for p in places if p > 0), 0)  # the level it opens with
        background = _background(scenario, service)
        rate = background.rate[1]
        opening = next((r for r in rate if r > 0), 0.0)
        stages.append(
            Stage(
                name=name,
                servers=first_day,
                service=queue_dist(service.service),
                patience=queue_dist(service.patience) if service.patience else None,
                routing=_external_routing(service),
                background=Background(opening, background.priority_class, background.class_shares),
            )
        )
    network = Network(stages=stages, n_classes=len(scenario.hub.priority_classes))
    spell_seed = int(stream(seed, "steady_state", replication).integers(2**62))
    core = QueueCore(network, spell_seed, replication, log_events=False)
    core.advance(float(days))
    present = core.present()
    return {name: present[name] for name in chosen}


class HubPathway:
    """The scenario's pathway, advanced a day at a time for the agent model (`Pathway`).

    Each referral's draws in the pathway (service, patience and routing at every stage) come
    from the "client" `KeyedStream`, keyed by (client id, episode): the client's how-manieth
    referral this is. A worker's second referral gets the same draws in every scenario of a
    comparison, however many other referrals came before it (common random numbers).

    What the queues alone do not decide is drawn here, keyed the same way
    (`scenario.outcomes`): whether a referral never engages ("engagement": it never reaches
    the queue core and is reported as NEVER_ENGAGED at its referral time), and why a client
    who leaves a queue unseen left ("leaving": dropped out, recovered while waiting, went
    elsewhere or escalated to crisis; a competing-risks reading of patience, see docs/ODD.md).
    """

    def __init__(self, scenario: Scenario, seed: int, replication: int = 0) -> None:
        self.scenario = scenario
        self.network = build_network(scenario, seed, replication)
        self.core = QueueCore(self.network, seed, replication)
        self._client_stream = KeyedStream(seed, "client", replication)
        self._engagement = KeyedStream(seed, "engagement", replication)
        self._leaving = KeyedStream(seed, "leaving", replication)
        self._episodes: dict[int, int] = {}
        self._kind = stage_kinds(scenario)
        outcomes = scenario.outcomes
        self._never_engage = outcomes.never_engage_share
        leaving = outcomes.leaving
        self._leaving_cum = np.cumsum(
            [leaving.dropped_out, leaving.recovered, leaving.went_elsewhere, leaving.crisis]
        )

    def advance(
        self, until: float, arrival_times: np.ndarray, client_ids: np.ndarray, classes: np.ndarray
    ) -> Outcomes:
        """Add the day's referrals at the first hub stage and run to `until`."""
        ids = np.asarray(client_ids, np.int64)
        keys = np.empty((ids.size, 2), np.int64)
        for j, client in enumerate(ids.tolist()):
            episode = self._episodes.get(client, 0)
            self._episodes[client] = episode + 1
            keys[j] = client, episode
        never = np.zeros(ids.size, bool)
        if self._never_engage > 0 and ids.size:
            never = self._engagement.uniforms(keys)[:, 0] < self._never_engage
        engaged = ~never
        generators = (self._client_stream.at(key) for key in keys[engaged].tolist())
        classes = np.asarray(classes, np.int64)
        times = np.asarray(arrival_times, float)
        draws = self.core.draw_clients(classes[engaged], generators)
        events = self.core.advance(until, times[engaged], ids[engaged], classes[engaged], 0, draws)
        result = translate(events.client_id, events.code, events.stage, events.time, self._kind)
        result = self._leaving_reasons(result)
        if not never.any():
            return result
        return _merged(
            result, ids[never], np.full(never.sum(), Outcome.NEVER_ENGAGED), times[never]
        )

    def _leaving_reasons(self, outcomes: Outcomes) -> Outcomes:
        """Each DROPPED_OUT given its reason, drawn from the "leaving" stream by episode."""
        left = np.flatnonzero(outcomes.outcome == Outcome.DROPPED_OUT)
        if not left.size or self._leaving_cum[0] >= 1.0:
            return outcomes
        clients = outcomes.client_id[left]
        episodes = [self._episodes[c] - 1 for c in clients.tolist()]
        u = self._leaving.uniforms(np.column_stack([clients, episodes]))[:, 0]
        reason = np.minimum(np.searchsorted(self._leaving_cum, u, side="right"), 3)
        codes = outcomes.outcome.copy()
        codes[left] = np.array(LEAVING_OUTCOMES, np.int8)[reason]
        return Outcomes(outcomes.client_id, codes, outcomes.time)

    def expected_wait_days(self) -> float:
        """Expected wait for the first hub stage for a new routine referral."""
        return self.core.expected_wait(0, len(self.scenario.hub.priority_classes) - 1)

    def records(self):
        """The queue core's records so far (see `sim.queue.Records`)."""
        return self.core.records()


LEAVING_OUTCOMES = (
    Outcome.DROPPED_OUT,
    Outcome.RECOVERED_WAITING,
    Outcome.WENT_ELSEWHERE,
    Outcome.ESCALATED_CRISIS,
)
"""The outcome of each leaving reason, in the order of `LeavingReasons`' fields."""


def _merged(outcomes: Outcomes, ids: np.ndarray, codes: np.ndarray, times: np.ndarray):
    """Outcomes with more added, in time order (a stable sort: same-time order kept)."""
    client = np.concatenate([outcomes.client_id, ids])
    code = np.concatenate([outcomes.outcome, codes.astype(np.int8)])
    time = np.concatenate([outcomes.time, times])
    order = np.argsort(time, kind="stable")
    return Outcomes(client[order], code[order], time[order])


_TRIAGE, _TREATMENT, _EXTERNAL, _EXTERNAL_ASSESSMENT, _EXTERNAL_STEP = 0, 1, 2, 3, 4


def stage_kinds(scenario: Scenario) -> np.ndarray:
    """Per queue-core stage: hub triage (0) or treatment (1); an external service the hub
    refers to, treatment (2) or an assessment step (3); an external treatment step that
    only other external steps lead to (4), such as treatment after a first appointment."""
    hub = [_TREATMENT if stage.treatment else _TRIAGE for stage in scenario.hub.stages.values()]
    entries = set()
    for stage in scenario.hub.stages.values():
        for shares in stage.routes.values():
            entries |= {destination for destination, share in shares.items() if share > 0}
        if isinstance(stage.on_closure, Transfer):
            entries.add(stage.on_closure.to)
    external = []
    for name, service in scenario.external.items():
        if not service.treatment:
            external.append(_EXTERNAL_ASSESSMENT)
        else:
            external.append(_EXTERNAL if name in entries else _EXTERNAL_STEP)
    return np.array([*hub, *external], np.int8)


def translate(
    client_id: np.ndarray, code: np.ndarray, stage: np.ndarray, time: np.ndarray, kind: np.ndarray
) -> Outcomes:
    """Agent outcomes from queue-core events (events that change nothing for the agent,
    such as finishing screening and joining assessment, are dropped).

    `kind` is `stage_kinds`. Joining an external service the hub refers to is REFERRED_ON;
    moving on to a later step of an external service changes nothing (the client is still
    waiting outside); leaving after an external assessment step without going on is
    SIGNPOSTED."""
    stage_kind = kind[stage]
    outcome = np.full(code.shape, -1, np.int8)
    joins = np.isin(code, (Event.ROUTED, Event.TRANSFERRED))
    joins_external = joins & np.isin(stage_kind, (_EXTERNAL, _EXTERNAL_ASSESSMENT))
    treated_outside = np.isin(stage_kind, (_EXTERNAL, _EXTERNAL_STEP))
    exits_triage = (code == Event.EXITED) & np.isin(stage_kind, (_TRIAGE, _EXTERNAL_ASSESSMENT))
    rules = (
        (code == Event.ARRIVED, Outcome.ENTERED_HUB),
        ((code == Event.STARTED) & (stage_kind == _TREATMENT), Outcome.STARTED_THERAPY),
        ((code == Event.FINISHED) & (stage_kind == _TREATMENT), Outcome.FINISHED_THERAPY),
        (joins_external, Outcome.REFERRED_ON),
        ((code == Event.STARTED) & treated_outside, Outcome.STARTED_EXTERNAL),
        ((code == Event.FINISHED) & treated_outside, Outcome.FINISHED_EXTERNAL),
        (exits_triage, Outcome.SIGNPOSTED),
        (code == Event.RENEGED, Outcome.DROPPED_OUT),
        (code == Event.DISCHARGED, Outcome.DISCHARGED_AT_CLOSURE),
    )
    for mask, value in rules:
        outcome[mask] = value
    keep = outcome >= 0
    return Outcomes(client_id[keep], outcome[keep], time[keep])

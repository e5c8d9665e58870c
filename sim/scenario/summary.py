"""A short plain-text account of a resolved scenario, for `hubsim validate` and `run`."""

from __future__ import annotations

from datetime import timedelta

from sim.scenario.interventions import StaffingChange
from sim.scenario.model import Scenario
from sim.scenario.pathway import AgentDemand, PoissonReferrals
from sim.scenario.staffing import full_and_part_time, hub_staffing


def describe(
    scenario: Scenario, *, replications: int | None = None, seed: int | None = None
) -> str:
    """Plain-text summary: period, demand, workforce, pathway capacity, interventions.

    `replications` and `seed` are those of the run about to start (default: the
    scenario's), so a header says what will actually run."""
    sim = scenario.simulation
    replications = sim.replications if replications is None else replications
    seed = sim.seed if seed is None else seed
    lines = [
        f"{scenario.name}",
        f"  period      {sim.start_date} to {sim.end_date} ({sim.horizon_days} days, "
        f"warm-up {sim.warmup_days}); {replications} replication(s), seed {seed}",
    ]
    if isinstance(scenario.demand, AgentDemand) and scenario.workforce is not None:
        workforce = scenario.workforce
        sectors = ", ".join(
            f"{name} {sector.share:.0%}" for name, sector in workforce.sectors.items()
        )
        lines.append(f"  demand      {workforce.size:,} keyworker agents ({sectors})")
    elif isinstance(scenario.demand, PoissonReferrals):
        rates = ", ".join(
            f"{s.per_day:g}/day from {s.from_date}" for s in scenario.demand.referrals
        )
        lines.append(f"  demand      Poisson referrals: {rates}")
    else:
        lines.append(f"  demand      replayed from {scenario.demand.file}")
    classes = ", ".join(f"{k} {v:.0%}" for k, v in scenario.hub.priority_classes.items())
    lines.append(f"  classes     {classes}")
    for name, stage in scenario.hub.stages.items():
        mean = stage.service.mean
        lines.append(f"  hub stage   {name}: mean service {mean:g} d")
        for day, wte, servers in hub_staffing(scenario, name):
            per_week = 7 * servers / mean if mean > 0 else float("inf")
            when = sim.start_date + timedelta(days=day)
            lines.append(
                f"                from {when}  {wte:g} WTE = {_servers(servers)}, "
                f"capacity ~{per_week:,.0f}/week"
            )
    for name, service in scenario.external.items():
        places = service.capacity[0].places
        throughput = places / service.service.mean if service.service.mean > 0 else float("inf")
        demand = service.background_referrals[0].per_day
        lines.append(
            f"  external    {name}: {places:,} places, throughput ~{throughput:,.1f}/day, "
            f"background {demand:g}/day"
        )
    for intervention in sorted(scenario.interventions, key=lambda i: i.date):
        detail = ""
        if isinstance(intervention, StaffingChange):
            change = intervention
            level = f"{change.wte:g} WTE" if change.wte is not None else f"{change.add_wte:+g} WTE"
            detail = f" {change.stage}: {level}"
        lines.append(f"  from {intervention.date}  {intervention.type}{detail}")
    for name, target in scenario.targets.items():
        lines.append(
            f"  target      {name}: {target.share:.0%} reach {target.stage} "
            f"within {target.within_days:g} days"
        )
    for name, (first, last) in scenario.outputs.periods.items():
        lines.append(f"  period      {name}: {first} to {last} (KPIs reported apart)")
    return "\n".join(lines)


def _servers(servers: float) -> str:
    """E.g. "3 servers", or "2.5 servers (2 + 1 part-time, 50% of each week)"."""
    whole, part = full_and_part_time(servers)
    if not part:
        return f"{whole} server{'s' * (whole != 1)}"
    return f"{servers:g} servers ({whole} + 1 part-time, {part:.0%} of each week)"

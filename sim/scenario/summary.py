"""A short plain-text account of a resolved scenario, for `hubsim validate` and `run`."""

from __future__ import annotations

from sim.scenario.model import Scenario
from sim.scenario.pathway import AgentDemand, PoissonDemand


def describe(scenario: Scenario) -> str:
    """Plain-text summary: period, demand, workforce, pathway capacity, interventions."""
    sim = scenario.simulation
    lines = [
        f"{scenario.name}",
        f"  period      {sim.start_date} to {sim.end_date} ({sim.horizon_days} days, "
        f"warm-up {sim.warmup_days}); {sim.replications} replication(s), seed {sim.seed}",
    ]
    if isinstance(scenario.demand, AgentDemand) and scenario.workforce is not None:
        workforce = scenario.workforce
        sectors = ", ".join(
            f"{name} {sector.share:.0%}" for name, sector in workforce.sectors.items()
        )
        lines.append(f"  demand      {workforce.size:,} keyworker agents ({sectors})")
    elif isinstance(scenario.demand, PoissonDemand):
        rates = ", ".join(
            f"{s.per_day:g}/day from {s.from_date}" for s in scenario.demand.referrals
        )
        lines.append(f"  demand      Poisson referrals: {rates}")
    else:
        lines.append(f"  demand      replayed from {scenario.demand.file}")
    classes = ", ".join(f"{k} {v:.0%}" for k, v in scenario.hub.priority_classes.items())
    lines.append(f"  classes     {classes}")
    for name, stage in scenario.hub.stages.items():
        first = stage.capacity[0]
        servers = round(first.wte * stage.servers_per_wte)
        per_week = 7 * servers / stage.service.mean if stage.service.mean > 0 else float("inf")
        steps = len(stage.capacity) - 1
        lines.append(
            f"  hub stage   {name}: {first.wte:g} WTE from {first.from_date} -> {servers} servers, "
            f"mean service {stage.service.mean:g} d, capacity ~{per_week:,.0f}/week"
            + (f" ({steps} later change(s))" if steps else "")
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
        lines.append(f"  from {intervention.date}  {intervention.type}")
    for name, target in scenario.targets.items():
        lines.append(
            f"  target      {name}: {target.share:.0%} reach {target.stage} "
            f"within {target.within_days:g} days"
        )
    return "\n".join(lines)

"""Benchmark: agent-days per second of the keyworker model, fast path vs per-agent Mesa path.

Both paths run the same `HubModel.step` (today's context, manager training, outreach visits,
the agents' day, referrals to a pathway, its outcomes back to the agents, the day's record) on
the baseline scenario resized to 100,000 keyworkers; only the agents' day differs: the
compiled loop (`sim.behaviour.run_day`) or `Keyworker.step` for each agent through Mesa's
AgentSet (`model.agents.do("step")`). The pathway is a cheap stand-in that treats everyone
after fixed delays, so the timings are the agent model's. Figures are medians of several
repetitions (the machine is shared). The last line printed is one JSON object.

Usage: ./dev python experiments/bench_agents.py [--agents 100000] [--days 60] [--mesa-days 2]
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time

import mesa
import numba
import numpy as np

from sim.behaviour import run_day
from sim.model import HubModel
from sim.outcomes import Outcome, Outcomes
from sim.scenario import Scenario, load_scenario


class TreatAfterDelays:
    """A stand-in pathway: every referral starts therapy after 5 days and finishes 20 later."""

    def __init__(self) -> None:
        self.times = np.zeros(0)
        self.ids = np.zeros(0, np.int64)
        self.codes = np.zeros(0, np.int8)

    def advance(self, until, arrival_times, client_ids, classes) -> Outcomes:
        t = np.asarray(arrival_times, float)
        ids = np.asarray(client_ids, np.int64)
        self.times = np.concatenate([self.times, t, t + 5.0, t + 25.0])
        self.ids = np.concatenate([self.ids, ids, ids, ids])
        codes = [Outcome.ENTERED_HUB, Outcome.STARTED_THERAPY, Outcome.FINISHED_THERAPY]
        self.codes = np.concatenate(
            [self.codes, *(np.full(ids.size, code, np.int8) for code in codes)]
        )
        due = self.times < until
        order = np.argsort(self.times[due], kind="stable")
        out = Outcomes(self.ids[due][order], self.codes[due][order], self.times[due][order])
        self.times, self.ids, self.codes = self.times[~due], self.ids[~due], self.codes[~due]
        return out

    def expected_wait_days(self) -> float:
        return 5.0


def scenario_of(size: int) -> Scenario:
    base = load_scenario("scenarios/baseline.yaml")
    data = base.model_dump()
    data["workforce"]["size"] = size
    return Scenario.model_validate(data)


def timed_days(model: HubModel, days: int) -> float:
    started = time.perf_counter()
    for _ in range(days):
        model.step()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=100_000)
    parser.add_argument("--days", type=int, default=60, help="days per fast repetition")
    parser.add_argument("--mesa-days", type=int, default=2, help="days per Mesa repetition")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    scenario = scenario_of(args.agents)
    n = args.agents

    # Warm up: compile (or load the numba cache) and take the first day's one-off costs.
    warm = HubModel(scenario, TreatAfterDelays(), seed=1)
    timed_days(warm, 2)

    build = []
    for repeat in range(3):
        started = time.perf_counter()
        HubModel(scenario, TreatAfterDelays(), seed=repeat)
        build.append(time.perf_counter() - started)

    fast, kernel, mesa_path = [], [], []
    for repeat in range(args.repeats):
        model = HubModel(scenario, TreatAfterDelays(), seed=repeat)
        timed_days(model, 30)  # start past the launch: a typical day, referrals flowing
        fast.append(n * args.days / timed_days(model, args.days))
        started = time.perf_counter()
        run_day(
            model.workers,
            model.arrays,
            model.groups,
            model.params,
            model.today,
            model.agent_rng,
            model.output,
        )
        kernel.append(n / (time.perf_counter() - started))
    for repeat in range(max(3, args.repeats // 2)):
        model = HubModel(scenario, TreatAfterDelays(), seed=repeat, per_agent=True)
        mesa_path.append(n * args.mesa_days / timed_days(model, args.mesa_days))

    result = {
        "benchmark": "bench_agents",
        "agents": n,
        "agent_days_per_s_fast": statistics.median(fast),
        "agent_days_per_s_kernel": statistics.median(kernel),
        "agent_days_per_s_mesa": statistics.median(mesa_path),
        "ratio_fast_to_mesa": statistics.median(fast) / statistics.median(mesa_path),
        "model_build_s": statistics.median(build),
        "build_us_per_agent": 1e6 * statistics.median(build) / n,
        "fast_samples": [round(x) for x in fast],
        "mesa_samples": [round(x) for x in mesa_path],
        "days_fast": args.days,
        "days_mesa": args.mesa_days,
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "numba": numba.__version__,
            "mesa": mesa.__version__,
        },
    }
    print(
        f"fast path {result['agent_days_per_s_fast'] / 1e6:.1f} M agent-days/s "
        f"(kernel alone {result['agent_days_per_s_kernel'] / 1e6:.1f} M), "
        f"Mesa per-agent path {result['agent_days_per_s_mesa'] / 1e3:.0f} k agent-days/s, "
        f"ratio {result['ratio_fast_to_mesa']:.0f}x; model build "
        f"{result['build_us_per_agent']:.1f} us per agent"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()

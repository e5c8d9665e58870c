"""Benchmark: building the keyworker model as a share of one replication (goal <= 5%).

`build_s` is the construction of `HubModel` on the scenario (its pathway, the queue-core
adapter, is built beforehand and not counted), broken down into `population_s` (the
workforce arrays, `sim.workforce.build_population`), `agents_s` (the Mesa agents,
`Keyworker.create_handles`) and `rest_s` (the remainder: behaviour parameters, calendar,
initial state, streams); the two parts are timed inside the same constructions, by wrapping
the two calls the constructor makes. `replication_s` is one full replication
(`sim.run`, which builds a model too). The kernels are compiled (or loaded from the numba
cache) on a small model first, so the replication is timed warm. Build figures are medians
of `--repeats`, each model kept alive until its timer stops and garbage collected after it,
so no repeat pays for freeing the previous one. The last line printed is one JSON object.

Usage: ./dev python experiments/bench_model_build.py [--repeats 5] [--scenario PATH]
"""

from __future__ import annotations

import argparse
import functools
import gc
import json
import os
import platform
import statistics
import time
from unittest import mock

import mesa
import numpy as np

from sim.agents import Keyworker
from sim.model import HubModel
from sim.pathway import HubPathway
from sim.runner import run
from sim.scenario import Scenario, load_scenario
from sim.workforce import build_population


def warm_kernels(scenario: Scenario) -> None:
    """Run a small copy of the scenario (2,000 workers): compiles, or loads, every kernel."""
    data = scenario.model_dump()
    data["workforce"]["size"] = 2_000
    run(Scenario.model_validate(data))


def recording(function, seconds: list[float]):
    """`function`, appending the seconds of each call to `seconds`."""

    @functools.wraps(function)
    def timed_call(*args, **kwargs):
        started = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            seconds.append(time.perf_counter() - started)

    return timed_call


def timed_builds(scenario: Scenario, seed: int, repeats: int) -> dict[str, list[float]]:
    """Seconds of each `HubModel` construction and of its population and agent parts."""
    parts: dict[str, list[float]] = {"build": [], "population": [], "agents": []}
    pathways = [HubPathway(scenario, seed, 0) for _ in range(repeats)]
    create_handles = recording(Keyworker.create_handles, parts["agents"])
    with (
        mock.patch("sim.model.build_population", recording(build_population, parts["population"])),
        mock.patch.object(Keyworker, "create_handles", staticmethod(create_handles)),
    ):
        for _ in range(repeats):
            gc.collect()  # no repeat pays for collecting the previous model
            started = time.perf_counter()
            model = HubModel(scenario, pathways.pop(), seed=seed)
            parts["build"].append(time.perf_counter() - started)
            del model
    gc.collect()
    return parts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--scenario", default="scenarios/baseline.yaml")
    args = parser.parse_args()
    scenario = load_scenario(args.scenario)
    seed, size = scenario.simulation.seed, scenario.workforce.size
    warm_kernels(scenario)

    started = time.perf_counter()
    run(scenario)
    replication = time.perf_counter() - started

    parts = timed_builds(scenario, seed, args.repeats)
    rest = [
        b - p - a
        for b, p, a in zip(parts["build"], parts["population"], parts["agents"], strict=True)
    ]
    build_s = statistics.median(parts["build"])
    result = {
        "benchmark": "bench_model_build",
        "scenario": args.scenario,
        "agents": size,
        "build_s": round(build_s, 4),
        "population_s": round(statistics.median(parts["population"]), 4),
        "agents_s": round(statistics.median(parts["agents"]), 4),
        "rest_s": round(statistics.median(rest), 4),
        "replication_s": round(replication, 3),
        "build_share": round(build_s / replication, 4),
        "build_samples_s": [round(s, 4) for s in parts["build"]],
        "agents_samples_s": [round(s, 4) for s in parts["agents"]],
        "load_average_1min": os.getloadavg()[0],
        "versions": {
            "python": platform.python_version(),
            "numpy": np.__version__,
            "mesa": mesa.__version__,
        },
    }
    print(
        f"model build {build_s:.3f} s (population {result['population_s']:.3f} s, agents "
        f"{result['agents_s']:.3f} s, rest {result['rest_s']:.3f} s) = "
        f"{100 * result['build_share']:.1f}% of one replication ({replication:.2f} s)"
    )
    print(json.dumps(result))


if __name__ == "__main__":
    main()

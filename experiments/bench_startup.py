"""Benchmark: how long a new user waits, after set-up, for the first result.

What is timed, each in a fresh process of the real command, with the environment already
built (`./dev` has run once: set-up is excluded, as in the goal):

- ``first_result_s``: ``hubsim run SCENARIO -n 1 --workers 1`` with an empty kernel cache, as
  on a fresh clone (the cache folder is pointed at a new temporary folder through
  ``XDG_CACHE_HOME``, so the user's own cache is neither used nor touched). Goal for the
  baseline: <= 45 s.
- ``warm_result_s``: the same command again, now that the kernels are cached: what every
  later first run costs.
- ``cold_compile_s``: their difference, the compile's cost as the first run sees it.
- ``warm_start_s``: ``hubsim run`` of the same scenario with 2,000 keyworkers (the dates
  stay, so the scenario stays valid) and the warm cache: importing, loading the kernels and
  writing a results folder, with next to nothing simulated.

Each measurement is the median of ``--repeats`` runs (the machine is shared and noisy). The
last line is one JSON object with these numbers.

Usage: ./dev python experiments/bench_startup.py [--scenario PATH] [--repeats 3]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

GOAL_FIRST_RESULT_S = 45.0
TINY = ["--set", "workforce.size=2000"]
"""Overrides that leave start-up and writing but next to no simulation."""


def timed_run(scenario: str, cache_home: Path, out: Path, extra: list[str]) -> float:
    """Wall seconds of one `hubsim run SCENARIO -n 1 --workers 1` with this cache home."""
    environment = {**os.environ, "XDG_CACHE_HOME": str(cache_home)}
    environment.pop("NUMBA_CACHE_DIR", None)  # it would win over XDG_CACHE_HOME
    command = [sys.executable, "-m", "sim", "run", scenario, "-n", "1", "--workers", "1"]
    started = time.perf_counter()
    subprocess.run(
        [*command, "-q", "--out", str(out), *extra],
        env=environment,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", default="scenarios/baseline.yaml")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    cold, warm, start = [], [], []
    with tempfile.TemporaryDirectory(prefix="bench-startup-") as folder:
        work = Path(folder)
        for repeat in range(args.repeats):
            cache = work / f"cache-{repeat}"  # empty: a fresh clone's first run
            cold.append(timed_run(args.scenario, cache, work / f"cold-{repeat}", []))
            warm.append(timed_run(args.scenario, cache, work / f"warm-{repeat}", []))
            start.append(timed_run(args.scenario, cache, work / f"tiny-{repeat}", TINY))
            print(
                f"repeat {repeat + 1}: first result {cold[-1]:.1f} s, warm {warm[-1]:.1f} s, "
                f"start-up {start[-1]:.1f} s",
                flush=True,
            )
    first_result = statistics.median(cold)
    warm_result = statistics.median(warm)
    result = {
        "scenario": args.scenario,
        "repeats": args.repeats,
        "first_result_s": round(first_result, 2),
        "warm_result_s": round(warm_result, 2),
        "cold_compile_s": round(first_result - warm_result, 2),
        "warm_start_s": round(statistics.median(start), 2),
        "goal_first_result_s": GOAL_FIRST_RESULT_S,
        "goal_met": first_result <= GOAL_FIRST_RESULT_S,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()

"""Benchmark: `hubsim run scenarios/baseline.yaml --replications 1` end to end.

Runs the real command in fresh processes (imports, scenario, 150,000 agents over three years
with the pathway, tables, charts, manifest) and reports the median wall time and the peak
memory (largest maximum resident set size of the runs). The first run also warms the numba
cache and is reported apart. Goals: <= 15 s wall with the cache warm, <= 2 GB.

Usage: ./dev python experiments/bench_end_to_end.py [--repeats 3] [--scenario PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def one_run(scenario: str, out: Path) -> float:
    """Wall seconds of one `hubsim run` in a new process."""
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-m", "sim", "run", scenario, "-n", "1", "--out", str(out), "-q"],
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise SystemExit(f"hubsim run failed ({done.returncode}):\n{done.stderr}")
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--scenario", default="scenarios/baseline.yaml")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        first = one_run(args.scenario, Path(tmp) / "first")
        walls = [one_run(args.scenario, Path(tmp) / f"run-{i}") for i in range(args.repeats)]
    # Linux reports ru_maxrss in kB: the largest peak of any child process so far.
    peak_gb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1e6
    for i, wall in enumerate(walls):
        print(f"run {i}: {wall:6.2f} s wall")
    print(f"first run (may compile): {first:.2f} s; peak memory {peak_gb:.2f} GB")
    result = {
        "benchmark": "bench_end_to_end",
        "scenario": args.scenario,
        "first_run_s": round(first, 2),
        "wall_s_median": round(statistics.median(walls), 2),
        "wall_s_all": [round(w, 2) for w in walls],
        "peak_rss_gb": round(peak_gb, 3),
        "load_average_1min": os.getloadavg()[0],
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()

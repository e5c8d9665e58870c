"""Benchmark: `hubsim run scenarios/baseline.yaml -n 8` on 1 and on 2 local workers.

Runs the real command in fresh processes, in this order: one replication (`-n 1`, which also
makes sure the numba cache is warm), then the 8 replications with `--workers 1` (serial, in
the one process) and with `--workers 2` (two worker processes). Memory is the peak of the
resident set summed over the command's whole process tree (the command, the fork server and
the workers), sampled every 0.1 s, two ways: RSS, in which a page shared by several processes
(the workers fork from one server that imported the simulator) counts once for each, so the
sum overstates the tree; and PSS, which splits each shared page between its sharers, so the
sum is the memory the tree really holds. Goals on a 2-core machine: speedup >= 1.8, and the
parallel run's peak <= 2x one replication's.

Usage: ./dev python experiments/bench_replications.py [--replications 8] [--scenario PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

SAMPLE_S = 0.1
PSS_EVERY = 10
"""PSS every tenth sample only: reading it costs the kernel ~5 ms a process, which on two
busy cores would slow down what is measured."""
SPIN = "import time; t = time.perf_counter(); sum(range(60_000_000)); print(time.perf_counter()-t)"


def tree_memory(root: psutil.Process, *, pss: bool) -> int:
    """RSS (or PSS) bytes summed over `root` and its descendants (vanished ones count 0)."""
    total = 0
    for process in [root, *root.children(recursive=True)]:
        try:
            total += process.memory_full_info().pss if pss else process.memory_info().rss
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return total


def measured_run(arguments: list[str]) -> tuple[float, float, float]:
    """Wall seconds and peak tree RSS and PSS (GB) of one `hubsim run` command."""
    started = time.perf_counter()
    command = subprocess.Popen(
        [sys.executable, "-m", "sim", *arguments],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    root = psutil.Process(command.pid)
    peak_rss = peak_pss = 0
    samples = 0
    while command.poll() is None:
        try:
            peak_rss = max(peak_rss, tree_memory(root, pss=False))
            if samples % PSS_EVERY == 0:
                peak_pss = max(peak_pss, tree_memory(root, pss=True))
        except psutil.NoSuchProcess:
            break
        samples += 1
        time.sleep(SAMPLE_S)
    wall = time.perf_counter() - started
    if command.returncode != 0:
        raise SystemExit(f"hubsim {' '.join(arguments)} failed:\n{command.stderr.read()}")
    return wall, peak_rss / 1e9, peak_pss / 1e9


def control_speedup() -> float:
    """Throughput of two CPU-bound processes at once against one alone (2.0 if free)."""

    def spin(count: int) -> list[float]:
        spinners = [
            subprocess.Popen([sys.executable, "-c", SPIN], stdout=subprocess.PIPE, text=True)
            for _ in range(count)
        ]
        return [float(spinner.communicate()[0]) for spinner in spinners]

    alone = spin(1)[0]
    return 2 * alone / max(spin(2))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--replications", type=int, default=8)
    parser.add_argument("--scenario", default="scenarios/baseline.yaml")
    args = parser.parse_args()
    n = str(args.replications)
    control = control_speedup()
    print(f"control: two counting processes run {control:.2f}x as fast as one")
    with tempfile.TemporaryDirectory() as tmp:
        loads = {}  # other work on the machine shrinks the speedup: say how much there was

        replication_s = {}  # mean wall time of one replication, from the manifest

        def hubsim(name: str, *options: str) -> tuple[float, float, float]:
            loads[name] = round(os.getloadavg()[0], 2)
            out = Path(tmp) / name
            wall, rss, pss = measured_run(["run", args.scenario, "--out", str(out), "-q", *options])
            seconds = json.loads((out / "manifest.json").read_text())["run_seconds"]
            replication_s[name] = round(sum(seconds) / len(seconds), 2)
            print(
                f"{name:>16}: {wall:6.1f} s wall ({replication_s[name]:.1f} s a replication), "
                f"peak RSS {rss:.2f} GB, PSS {pss:.2f} GB"
            )
            return wall, rss, pss

        one_s, one_rss, one_pss = hubsim("one replication", "-n", "1", "--workers", "1")
        serial_s, serial_rss, _ = hubsim(f"{n} on 1 worker", "-n", n, "--workers", "1")
        parallel_s, rss, pss = hubsim(f"{n} on 2 workers", "-n", n, "--workers", "2")
    result = {
        "benchmark": "bench_replications",
        "scenario": args.scenario,
        "replications": args.replications,
        "serial_s": round(serial_s, 2),
        "parallel_s": round(parallel_s, 2),
        "speedup": round(serial_s / parallel_s, 2),
        "control_speedup": round(control, 2),
        "speedup_vs_control": round(serial_s / parallel_s / control, 2),
        "peak_rss_gb": round(rss, 3),
        "peak_pss_gb": round(pss, 3),
        "serial_peak_rss_gb": round(serial_rss, 3),
        "one_replication_s": round(one_s, 2),
        "one_replication_peak_rss_gb": round(one_rss, 3),
        "one_replication_peak_pss_gb": round(one_pss, 3),
        "rss_vs_one_replication": round(rss / one_rss, 2),
        "pss_vs_one_replication": round(pss / one_pss, 2),
        "cores": len(os.sched_getaffinity(0)),
        "replication_s_mean": replication_s,
        "load_average_1min_before": loads,
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()

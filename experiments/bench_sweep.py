"""Benchmark: a 500-run sweep of a 20,000-worker one-year scenario, serially and on 2 workers.

The experiment is a Latin hypercube of 100 points x 5 replications over two parameters of
the baseline made smaller (20,000 keyworkers, one year from February 2021: one capacity step
per stage, no winter wave, the launch campaign only). It runs through `sim.sweep`, as
`hubsim sweep` does, first serially (in this process), then on 2 local worker processes
(worker start-up included). Measured:

- `parallel_efficiency`: serial time / (2 x parallel time), the workers started (each
  imports the simulator and loads the compiled kernels once, some seconds, reported as
  `startup_s` and in `parallel_efficiency_with_startup`);
- `dispatch_ms_per_run`: this process's time per run to send the same runs, batched the
  same way, to the started workers and get results back, for a function that does nothing;
- `runs_per_s` on 2 workers, and one run's mean time;
- a projection: Sobol indices of 12 parameters, N = 512 (N x (12 + 2) points), 5
  replications of the same 20,000-worker year on 16 cores at the measured efficiency.

Goals (issue #12): efficiency >= 0.85 and dispatch <= 1 ms a run on this 2-core machine;
the projection <= 1 h. Other work on the machine lowers the efficiency: the control line
says how fast two counting processes run against one.

Usage: ./dev python experiments/bench_sweep.py [--samples 100] [--replications 5]
"""

from __future__ import annotations

import argparse
import json
import os
import tempfile
import time
from functools import partial
from pathlib import Path

from bench_replications import control_speedup

from sim.analysis.design import design_table
from sim.analysis.experiment import load_experiment
from sim.analysis.points import point_model, point_values
from sim.execution import ProcessExecutor, SerialExecutor
from sim.runner import run_kpis

ROOT = Path(__file__).resolve().parents[1]
WORKERS = 2
PROJECTED_PARAMETERS, PROJECTED_N, PROJECTED_REPLICATIONS, PROJECTED_CORES = 12, 512, 5, 16

EXPERIMENT = """\
name: bench sweep (20,000 workers, one year)
scenario: {scenario}
set:
  workforce.size: 20000
  simulation.horizon_days: 365
  hub.stages.screening.capacity: [{{from_date: 2021-02-01, wte: 2.0}}]
  hub.stages.assessment.capacity: [{{from_date: 2021-02-01, wte: 3.0}}]
  hub.stages.therapy.capacity: [{{from_date: 2021-02-01, wte: 7.0}}]
  distress.waves: []
  interventions: [{{type: campaign, date: 2021-02-01, end_date: 2021-03-31, reach_share: 0.005}}]
parameters:
  assessment_wte: {{path: "hub.stages.assessment.capacity[0].wte", low: 2.0, high: 4.0}}
  initial_awareness: {{path: awareness.initial_share, low: 0.28, high: 0.52}}
design: {{method: latin, samples: {samples}}}
replications: {replications}
seed: 1
kpis: [target.assessment_2_weeks.share_within]
"""


def _nothing(model, seed, run):
    """A run that computes nothing: what is left of the sweep's time is dispatch."""
    return {}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--replications", type=int, default=5)
    args = parser.parse_args()
    import sim.analysis.sweep as sweeping

    control = control_speedup()
    print(f"control: two counting processes run {control:.2f}x as fast as one")
    with tempfile.TemporaryDirectory() as tmp:
        file = Path(tmp) / "bench.yaml"
        scenario = ROOT / "scenarios" / "baseline.yaml"
        file.write_text(EXPERIMENT.format(scenario=scenario, **vars(args)))
        experiment = load_experiment(file)
    model = point_model(experiment)
    design = design_table(experiment)
    runs = len(design) * experiment.replications
    run_kpis(model.scenario(point_values(design, model.names)[0]), 1, 0)  # warm numba cache
    load_serial = os.getloadavg()[0]
    started = time.perf_counter()
    serial = sweeping.sweep(experiment, executor=SerialExecutor())
    serial_s = time.perf_counter() - started
    print(f"serial: {runs} runs in {serial_s:.1f} s ({serial_s / runs:.3f} s a run)")
    load_parallel = os.getloadavg()[0]
    started = time.perf_counter()
    with ProcessExecutor(WORKERS) as executor:
        # Start-up, measured apart: each worker imports the simulator and loads the compiled
        # kernels on its first run, once for the whole sweep however long it is.
        warm = [
            (0, replication, point_values(design, model.names)[0])
            for replication in range(2 * WORKERS)
        ]
        for _ in executor.map(partial(sweeping._run, model, experiment.seed), warm, batch_size=1):
            pass
        startup_s = time.perf_counter() - started
        started = time.perf_counter()
        parallel = sweeping.sweep(experiment, executor=executor)
        parallel_s = time.perf_counter() - started
        items = [
            (point, replication, values)
            for point, values in enumerate(point_values(design, model.names))
            for replication in range(experiment.replications)
        ]
        started = time.perf_counter()
        for _ in executor.map(partial(_nothing, model, experiment.seed), items):
            pass
        dispatch_s = time.perf_counter() - started
    assert parallel.equals(serial), "the parallel sweep gave other numbers"
    efficiency = serial_s / (WORKERS * parallel_s)
    with_startup = serial_s / (WORKERS * (parallel_s + startup_s))
    print(
        f"{WORKERS} workers: {parallel_s:.1f} s (efficiency {efficiency:.2f}), after "
        f"{startup_s:.1f} s of start-up ({with_startup:.2f} counting it)"
    )
    run_s = serial_s / runs
    projected_runs = PROJECTED_N * (PROJECTED_PARAMETERS + 2) * PROJECTED_REPLICATIONS
    projected_h = projected_runs * run_s / (PROJECTED_CORES * efficiency) / 3600
    result = {
        "benchmark": "bench_sweep",
        "runs": runs,
        "workers": WORKERS,
        "run_s": round(run_s, 4),
        "serial_s": round(serial_s, 2),
        "parallel_s": round(parallel_s, 2),
        "parallel_efficiency": round(efficiency, 3),
        "startup_s": round(startup_s, 2),
        "parallel_efficiency_with_startup": round(with_startup, 3),
        "dispatch_ms_per_run": round(1000 * dispatch_s / runs, 3),
        "runs_per_s": round(runs / parallel_s, 2),
        "control_two_process_speedup": round(control, 2),
        "load_average": {"serial": round(load_serial, 2), "parallel": round(load_parallel, 2)},
        "projection": {
            "design": f"sobol, {PROJECTED_PARAMETERS} parameters, N = {PROJECTED_N}, "
            f"{PROJECTED_REPLICATIONS} replications",
            "runs": projected_runs,
            "cores": PROJECTED_CORES,
            "hours": round(projected_h, 2),
        },
        "goals": {"parallel_efficiency": 0.85, "dispatch_ms_per_run": 1.0, "projection_hours": 1},
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()

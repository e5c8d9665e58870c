"""Benchmark: the assessment-capacity question, on the baseline and on the queue-only network.

Answers "the smallest WTE meeting the target with 95% confidence" with `sim.capacity` on
local workers (one per core): on the baseline (agents: a pilot, screening with the queue core
on the agents' referrals, confirmation with the full model) and on the queue-only benchmark
network (the queue core is the full model). Prints each answer and a last JSON line with
`baseline_s`, `queue_only_s` and `replications_total`. Goal: the baseline answer in <= 120 s
on a 2-core machine.

Usage: ./dev python experiments/bench_capacity.py [--baseline-target EXPR] [--workers N]
"""

from __future__ import annotations

import argparse
import json
import os

from sim import capacity, load_scenario, make_executor

QUESTIONS = {
    "baseline": ("scenarios/baseline.yaml", "assessment", "assessment_within_14_days >= 0.9"),
    "queue_only": ("scenarios/queue-only.yaml", "stage1", "stage1_within_1_day >= 0.9"),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline-target", default=QUESTIONS["baseline"][2])
    parser.add_argument("--workers", type=int, default=None)
    args = parser.parse_args()
    result: dict = {"benchmark": "bench_capacity"}
    total = 0
    with make_executor(args.workers) as executor:
        for name, (file, stage, target) in QUESTIONS.items():
            if name == "baseline":
                target = args.baseline_target
            answer = capacity(load_scenario(file), stage=stage, target=target, executor=executor)
            print(f"{name}: {answer.describe()} [{answer.seconds:.1f} s]")
            for candidate in answer.candidates:
                mean = candidate.interval()[0]
                print(
                    f"  {candidate.level:6g} {answer.unit} {candidate.model:33s} "
                    f"n={candidate.replications:3d} mean={mean:.4f} "
                    f"P(met)={candidate.probability:.3f} {candidate.decision}"
                )
            result[f"{name}_s"] = round(answer.seconds, 2)
            result[f"{name}_answer"] = answer.answer
            result[f"{name}_replications"] = answer.replications_total
            total += answer.replications_total
        result["workers"] = executor.workers
    result["replications_total"] = total
    result["load_average_1min"] = os.getloadavg()[0]
    print(json.dumps(result))


if __name__ == "__main__":
    main()

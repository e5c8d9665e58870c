"""Small experiments for the analysis tests: the queue-only network over short horizons.

Each experiment names the queue-only scenario by its absolute path, so no test depends on
the baseline's numbers. (A module of its own, not conftest: conftest modules of different
test folders all import under the one name `conftest`.)
"""

from __future__ import annotations

from pathlib import Path

QUEUE_ONLY = Path(__file__).resolve().parents[2] / "scenarios" / "queue-only.yaml"
SMALL = f"""\
name: small queue-only Morris
scenario: {QUEUE_ONLY}
set:
  simulation.horizon_days: 120
  simulation.warmup_days: 30
parameters:
  stage1_wte:
    path: hub.stages.stage1.capacity[0].wte
    low: 3
    high: 6
    integer: true
  stage2_patience_days:
    path: hub.stages.stage2.patience.mean_days
    low: 20
    high: 90
design:
  method: morris
  samples: 4
replications: 3
seed: 7
kpis:
  - stage2.wait_mean_days
  - target.stage1_within_1_day.share_within
"""


def write(folder: Path, text: str, name: str = "experiment.yaml") -> Path:
    path = folder / name
    path.write_text(text)
    return path


LONG = f"""\
name: longer queue-only grid
scenario: {QUEUE_ONLY}
set:
  simulation.horizon_days: 1500
  simulation.warmup_days: 100
parameters:
  stage1_wte: {{path: "hub.stages.stage1.capacity[0].wte", low: 3, high: 6, integer: true}}
  stage2_wte: {{path: "hub.stages.stage2.capacity[0].wte", low: 1, high: 5}}
design: {{method: grid, levels: 5}}
replications: 8
seed: 3
kpis: [stage2.wait_mean_days]
"""
"""A grid of 25 points x 8 replications: 200 runs of 1,500 days, some seconds in all, so
that a sweep can be stopped or lose a worker midway."""

"""A small finished results folder with its report, shared by the report tests."""

from pathlib import Path

import pytest

from sim.cli import main

QUEUE_ONLY = Path(__file__).resolve().parents[2] / "scenarios" / "queue-only.yaml"

# Two targets the runs can tell apart from their targets: stage 1 (load 0.75) starts nearly
# everyone within a day, so half within a day is met; stage 2 (20 x 0.35 x 1.5 days over 2
# servers: overloaded) starts hardly anyone within 0.01 days of referral, so 99% is missed.
SCENARIO = f"""\
# A small queue-only study for the report tests.
extends: {QUEUE_ONLY}
name: Report <fixture> & test
simulation:
  horizon_days: 425
  warmup_days: 60
  replications: 3
demand:
  mode: poisson
  referrals:
    - {{from_date: 2021-01-01, per_day: 20}}   # DF §3 'Referrals per hub per month' (D: test)
targets:
  stage1_within_1_day: {{stage: stage1, within_days: 1, share: 0.5}}  # assumption
  stage2_at_once: {{stage: stage2, within_days: 0.01, share: 0.99}}
outputs:
  periods:
    first_half: [2021-03-02, 2021-08-31]
"""


@pytest.fixture(scope="session")
def scenario_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("report-scenario") / "report-fixture.yaml"
    path.write_text(SCENARIO)
    return path


@pytest.fixture(scope="session")
def reported(tmp_path_factory, scenario_file):
    """A results folder written by `hubsim run --report`, with --set recorded."""
    out = tmp_path_factory.mktemp("report-run") / "run"
    code = main(
        [
            "run",
            str(scenario_file),
            "--out",
            str(out),
            "-q",
            "--workers",
            "1",
            "--report",
            "--set",
            "hub.stages.stage2.capacity[0].wte=2",
        ]
    )
    assert code == 0
    return out

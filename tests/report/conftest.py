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


SMALL_AGENTS = Path(__file__).resolve().parents[1] / "planning" / "small-agents.yaml"

# The planning tests' small agent hub with a named period, against the same hub with one
# assessor fewer: assessment waits clearly longer, so the report has "worse" verdicts.
COMPARED_BASE = f"""\
extends: {SMALL_AGENTS}
name: Small hub <base>
outputs:
  periods:
    first_half: [2021-01-01, 2021-06-30]
"""
COMPARED_VARIANT = """\
extends: small-base.yaml
name: Two assessors
description: One assessor fewer than the base.
hub:
  stages:
    assessment:
      capacity: [{from_date: 2021-01-01, wte: 2}]
"""


@pytest.fixture(scope="session")
def compared(tmp_path_factory):
    """A comparison's folder written by `hubsim compare --report` (3 replications)."""
    where = tmp_path_factory.mktemp("report-compare")
    base, variant = where / "small-base.yaml", where / "two-assessors.yaml"
    base.write_text(COMPARED_BASE)
    variant.write_text(COMPARED_VARIANT)
    out = where / "compared"
    argv = ["compare", str(base), str(variant), "-n", "3", "--out", str(out), "-q"]
    assert main([*argv, "--workers", "1", "--report"]) == 0
    return out


@pytest.fixture(scope="session")
def capacity_searched(tmp_path_factory):
    """A capacity search's folder written by `hubsim capacity --report`, on the agent hub:
    screened with the queue core, confirmed with the full model."""
    out = tmp_path_factory.mktemp("report-capacity") / "searched"
    argv = ["capacity", str(SMALL_AGENTS), "--stage", "assessment"]
    argv += ["--target", "within_1_days >= 0.8", "--max-replications", "10"]
    assert main([*argv, "--out", str(out), "-q", "--workers", "1", "--report"]) == 0
    return out

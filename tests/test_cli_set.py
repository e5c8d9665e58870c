"""`hubsim run/validate SCENARIO --set PATH=VALUE`: overrides from the command line."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from sim.cli import main
from sim.scenario import load_scenario, variant

QUEUE_ONLY = Path("scenarios/queue-only.yaml").resolve()
WTE = "hub.stages.stage1.capacity[0].wte"


@pytest.fixture
def small_queue_scenario(tmp_path) -> Path:
    """The queue-only network over 120 days, no charts (quick to run)."""
    path = tmp_path / "small.yaml"
    path.write_text(
        f"extends: {QUEUE_ONLY}\n"
        "simulation: {horizon_days: 120, warmup_days: 10, replications: 1}\n"
        "outputs: {charts: false}\n"
    )
    return path


def test_run_applies_the_settings_and_the_manifest_records_them(small_queue_scenario, tmp_path):
    out = tmp_path / "results"
    settings = [f"{WTE}=6", "simulation.seed=99", "hub.stages.stage2.patience={mean_days: 30}"]
    argv = ["run", str(small_queue_scenario), "--out", str(out), "-q"]

    assert main([*argv, *(f"--set={setting}" for setting in settings)]) == 0

    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["overrides"] == settings
    resolved = manifest["scenario"]
    assert resolved["hub"]["stages"]["stage1"]["capacity"][0]["wte"] == 6.0
    assert resolved["hub"]["stages"]["stage2"]["patience"] == {
        "kind": "exponential",
        "mean_days": 30.0,
    }
    assert manifest["seed"] == 99
    expected = variant(
        load_scenario(small_queue_scenario),
        {WTE: 6, "simulation.seed": 99, "hub.stages.stage2.patience": {"mean_days": 30}},
    )
    assert manifest["scenario_digest"] == expected.digest()
    assert manifest["scenario_digest"] != load_scenario(small_queue_scenario).digest()


def test_validate_shows_what_the_settings_resolve_to(small_queue_scenario, capsys):
    code = main(["validate", str(small_queue_scenario), "--set", f"{WTE}=4.5"])

    assert code == 0
    assert "4.5 WTE = 4.5 servers (4 + 1 part-time, 50% of each week)" in capsys.readouterr().out


def test_every_bad_setting_is_reported_with_exit_2(small_queue_scenario, tmp_path, capsys):
    out = tmp_path / "never"
    settings = ["--set", f"{WTE}=-1", "--set", "simulation.horizon_dayz=400"]

    assert main(["run", str(small_queue_scenario), "--out", str(out), "-q", *settings]) == 2

    err = capsys.readouterr().err.splitlines()
    assert f"--set {WTE}=-1: {WTE}: found -1; allowed: greater than or equal to 0" in err
    assert (
        "--set simulation.horizon_dayz=400: simulation.horizon_dayz: unknown key "
        "'horizon_dayz'; did you mean 'horizon_days'?"
    ) in err[1]
    assert not out.exists()


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ("simulation.seed", "simulation.seed: expected PATH=VALUE, like --set"),
        ("=4", "=4: expected PATH=VALUE"),
        (f"{WTE}=[1", f"{WTE}: YAML syntax error"),
        (f"{WTE}=!!python/object:os.system x", "tag !!python/object:os.system is not allowed"),
        ("hub..stages=1", "not a key path: 'hub..stages'"),
    ],
)
def test_a_malformed_setting_exits_2(small_queue_scenario, capsys, setting, message):
    # In-process: an exception escaping main() would fail the test.
    assert main(["validate", str(small_queue_scenario), "--set", setting]) == 2

    err = capsys.readouterr().err
    assert f"--set {setting}: " in err
    assert message in err


def test_a_setting_without_equals_exits_2_without_a_traceback(small_queue_scenario):
    done = subprocess.run(
        [sys.executable, "-m", "sim", "run", str(small_queue_scenario), "--set", "workforce"],
        capture_output=True,
        text=True,
        check=False,
    )

    assert done.returncode == 2
    assert "--set workforce: workforce: expected PATH=VALUE, like --set" in done.stderr
    assert "Traceback" not in done.stderr

"""The first minutes of a new user: `./dev` from anywhere, `--version`, help with examples,
a header that says what will run (issue #13)."""

import subprocess
from pathlib import Path

import pytest

from sim.cli import build_parser, main

ROOT = Path(__file__).resolve().parents[1]
QUEUE_ONLY = ROOT / "scenarios" / "queue-only.yaml"


def test_dev_version_works_from_another_directory(tmp_path):
    done = subprocess.run(
        [str(ROOT / "dev"), "--version"], cwd=tmp_path, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("hubsim ")
    from sim import __version__

    assert __version__ in done.stdout


def test_version_names_the_commit_of_a_checkout(capsys):
    with pytest.raises(SystemExit) as stop:
        main(["--version"])
    assert stop.value.code == 0
    out = capsys.readouterr().out
    head = subprocess.run(
        ["git", "-C", str(ROOT), "rev-parse", "HEAD"], capture_output=True, text=True
    )
    if head.returncode == 0:
        assert head.stdout.strip()[:12] in out


@pytest.mark.parametrize("command", ["run", "validate", "schema"])
def test_every_command_help_ends_with_examples(command):
    commands = build_parser()._subparsers._group_actions[0].choices
    help_text = commands[command].format_help()
    examples = help_text.split("examples:\n")
    assert len(examples) == 2
    lines = [line for line in examples[1].splitlines() if line.strip()]
    assert lines and all(line.strip().startswith("hubsim ") for line in lines)


def test_the_header_counts_the_replications_asked_for(tmp_path, capsys):
    scenario = tmp_path / "short.yaml"
    scenario.write_text(
        f"extends: {QUEUE_ONLY}\n"
        "simulation: {horizon_days: 60, warmup_days: 0, replications: 5}\n"
    )
    out = tmp_path / "out"
    assert main(["run", str(scenario), "-n", "2", "--workers", "1", "--out", str(out)]) == 0
    header = capsys.readouterr().out
    assert "2 replication(s)" in header and "5 replication(s)" not in header


def test_tables_name_classes_and_stages_and_the_summary_its_scenario(tmp_path):
    import pandas as pd

    scenario = tmp_path / "named.yaml"
    scenario.write_text(
        f"extends: {QUEUE_ONLY}\n"
        "name: Named classes\n"
        "simulation: {horizon_days: 60, warmup_days: 0, replications: 2}\n"
        "hub: {priority_classes: {urgent: 0.4, routine: 0.6}}\n"
    )
    out = tmp_path / "out"
    assert main(["run", str(scenario), "-q", "--workers", "1", "--out", str(out)]) == 0
    for table in ("daily_pathway", "visits"):
        frame = pd.read_parquet(out / table)
        assert set(frame["class"].astype(str)) == {"urgent", "routine"}
        assert set(frame["stage"].astype(str)) <= {"stage1", "stage2"}
    summary = pd.read_csv(out / "summary.csv")
    assert list(summary.columns[:3]) == ["scenario", "period", "kpi"]
    assert summary["scenario"].eq("Named classes").all()
    assert {"unit", "description"} <= set(summary.columns)

"""`hubsim check SCENARIO --targets FILE`: the calibration check on the command line."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from pathlib import Path

from sim.cli_args import (
    EXIT_OK,
    RAW,
    add_executor_options,
    add_set_option,
    examples,
    load_with_overrides,
    refuses_bad_input,
    replication_count,
    seed_value,
)


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add the `check` command to `hubsim`'s subcommands."""
    command = commands.add_parser(
        "check",
        help="run a scenario and compare it with its calibration targets",
        description="Runs the scenario, prints each target's definition, the model's value "
        "with a 95% CI, the accepted range and inside/outside, and writes the same table "
        "(check.csv) to a results folder.",
        epilog=examples(
            "hubsim check scenarios/baseline.yaml --targets scenarios/targets/baseline.yaml",
            "hubsim check scenarios/baseline.yaml --targets scenarios/targets/baseline.yaml "
            "-n 4 --workers 1 --out results/check-n4",
        ),
        formatter_class=RAW,
    )
    command.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file")
    command.add_argument(
        "--targets",
        required=True,
        metavar="FILE",
        help="targets YAML file (see docs/calibration.md)",
    )
    command.add_argument(
        "-n",
        "--replications",
        type=replication_count,
        help="replications (default: the scenario's)",
    )
    command.add_argument("--seed", type=seed_value, help="root seed (default: the scenario's)")
    command.add_argument(
        "--out", metavar="DIR", help="results folder to create (default: a new one under results/)"
    )
    add_executor_options(command)
    add_set_option(command)
    command.set_defaults(handler=_check)


@refuses_bad_input  # a bad scenario or targets file (TargetsError is a ScenarioError), ...
def _check(args: argparse.Namespace) -> int:
    from sim.calibration.targets import load_targets
    from sim.store import ResultsFolder, new_results_path

    scenario = load_with_overrides(args.scenario, args.overrides)
    targets = load_targets(args.targets, scenario)
    started = datetime.now()
    stem = f"check-{Path(args.scenario).stem}"
    path = Path(args.out) if args.out else None
    path = path or new_results_path(Path(scenario.outputs.directory), stem, started)
    folder = ResultsFolder(path)
    cleared = folder.check()  # before any work, not after the run
    if cleared:  # a stale .partial of a killed run, moved aside or removed
        print(f"hubsim: {cleared}", file=sys.stderr)
    from sim.calibration.check import check, format_table
    from sim.execution import make_executor
    from sim.provenance import environment

    count = args.replications or scenario.simulation.replications
    seed = scenario.simulation.seed if args.seed is None else args.seed
    with make_executor(args.workers, args.scheduler, items=count) as executor:
        table, values = check(scenario, targets, count, seed, executor)
    print(f"{scenario.name}: {count} replications, seed {seed}; targets: {targets.name}")
    print(format_table(table))
    folder.open()
    folder.csv("check", table)
    folder.csv("check_values", values)
    manifest = {
        "scenario": scenario.model_dump(mode="json"),
        "scenario_digest": scenario.digest(),
        "targets": targets.model_dump(mode="json"),
        "overrides": list(args.overrides),
        "seed": seed,
        "replications": count,
        "command": sys.argv,
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now().isoformat(timespec="seconds"),
        **environment(),
    }
    print(f"results: {folder.finish(manifest)}")
    return EXIT_OK

"""The `hubsim` command line: a thin layer over the Python API.

Exit codes: 0 success, 2 invalid input (a message naming file, line and key; no
traceback), 1 anything else.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from sim.scenario import ScenarioError, load_scenario
from sim.scenario.jsonschema import scenario_json_schema
from sim.scenario.summary import describe

if TYPE_CHECKING:
    from sim.execution import Executor
    from sim.runner import Run
    from sim.scenario import Scenario

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2


def _validate(args: argparse.Namespace) -> int:
    status = EXIT_OK
    for file in args.files:
        try:
            scenario = load_scenario(file)
        except ScenarioError as error:
            print(error, file=sys.stderr)
            count = len(error.problems)
            print(f"{file}: invalid ({count} problem{'s' * (count != 1)})", file=sys.stderr)
            status = EXIT_INVALID
            continue
        print(f"{file}: valid" if args.quiet else f"{file}: valid\n{describe(scenario)}")
    return status


def _schema(args: argparse.Namespace) -> int:
    json.dump(scenario_json_schema(), sys.stdout, indent=2)
    print()
    return EXIT_OK


def _run(args: argparse.Namespace) -> int:
    try:
        scenario = load_scenario(args.scenario)
    except ScenarioError as error:
        print(error, file=sys.stderr)
        return EXIT_INVALID
    out = Path(args.out) if args.out else None
    if out is not None and out.exists():
        print(f"{out}: results folder already exists; it is never overwritten", file=sys.stderr)
        return EXIT_INVALID
    from sim.execution import SchedulerUnreachableError, make_executor

    started = datetime.now()
    count = args.replications or scenario.simulation.replications
    try:
        # Entering starts the workers (or connects to --scheduler, so that a bad address
        # fails before any work): they get ready while this process imports the rest.
        with make_executor(args.workers, args.scheduler, items=count) as executor:
            runs = _replications(args, scenario, count, executor)
    except SchedulerUnreachableError as error:
        print(f"--scheduler: {error}", file=sys.stderr)
        return EXIT_INVALID
    from sim.metrics import confidence_summary
    from sim.results import write_results
    from sim.store import ResultsExistError, new_results_path

    stem = Path(args.scenario).stem
    target = out or new_results_path(Path(scenario.outputs.directory), stem, started)
    try:
        folder = write_results(runs, target, started=started, argv=sys.argv)
    except ResultsExistError as error:
        print(error, file=sys.stderr)
        return EXIT_INVALID
    if not args.quiet:
        summary = confidence_summary(pd.read_csv(folder / "kpis.csv"))
        print(summary.to_string(index=False, float_format=lambda v: f"{v:,.3f}"))
    print(f"results: {folder}")
    return EXIT_OK


def _replications(
    args: argparse.Namespace, scenario: Scenario, count: int, executor: Executor
) -> list[Run]:
    """The runs of replications 0..count-1 on `executor`, with a progress bar."""
    # Heavy imports only for commands that simulate: `validate` and `schema` stay quick.
    from tqdm import tqdm

    from sim.runner import run_replications

    if not args.quiet:
        print(describe(scenario))
    bar = partial(tqdm, total=count, desc="replications", unit="run", disable=args.quiet)
    return run_replications(scenario, count, args.seed, progress=bar, executor=executor)


def _positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, found {value}")
    return value


def _seed(text: str) -> int:
    value = int(text)
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"must be between 0 and 2**63 - 1, found {value}")
    return value


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="hubsim",
        description="Demand, capacity and waiting lists for staff mental-health hubs.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser(
        "validate", help="check scenario files and print what they resolve to"
    )
    validate.add_argument("files", nargs="+", metavar="FILE", help="scenario YAML files")
    validate.add_argument("-q", "--quiet", action="store_true", help="only say valid or not")
    validate.set_defaults(handler=_validate)

    schema = commands.add_parser("schema", help="print the scenario JSON Schema (for editors)")
    schema.set_defaults(handler=_schema)

    run = commands.add_parser("run", help="run a scenario and write a results folder")
    run.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file")
    run.add_argument(
        "-n", "--replications", type=_positive_int, help="replications (default: the scenario's)"
    )
    run.add_argument("--seed", type=_seed, help="root seed (default: the scenario's)")
    run.add_argument(
        "--out", metavar="DIR", help="results folder to create (default: a new one under results/)"
    )
    where = run.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=_positive_int,
        metavar="N",
        help="local worker processes (default: every core; 1 runs in this process)",
    )
    where.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on the workers of this Dask scheduler (e.g. tcp://10.0.0.5:8786)",
    )
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    run.set_defaults(handler=_run)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `hubsim` and `python -m sim`."""
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except KeyboardInterrupt:
        print("hubsim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_FAILED

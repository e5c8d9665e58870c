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
from pathlib import Path
from typing import TYPE_CHECKING

from sim.cli_args import (
    EXIT_FAILED,
    EXIT_INVALID,
    EXIT_OK,
    RAW,
    add_executor_options,
    add_report_option,
    add_set_option,
    examples,
    load_with_overrides,
    positive_float,
    refuses_bad_input,
    replication_count,
    seed_value,
)
from sim.report.commands import write_after_run as write_report_after_run

if TYPE_CHECKING:
    from sim.execution import Executor
    from sim.scenario import Scenario

AUTO_MAX_REPLICATIONS = 100
"""The most replications `hubsim run --auto-replications` runs unless -n says otherwise."""

# Everything of hubsim's own is imported inside the commands, inside main's handling of
# Ctrl-C: importing this module is instant, so an interrupt at start-up is one line too.


def _validate(args: argparse.Namespace) -> int:
    from sim.scenario import ScenarioError
    from sim.scenario.summary import describe

    status = EXIT_OK
    for file in args.files:
        try:
            scenario = load_with_overrides(file, args.overrides)
        except ScenarioError as error:
            print(error, file=sys.stderr)
            count = len(error.problems)
            print(f"{file}: invalid ({count} problem{'s' * (count != 1)})", file=sys.stderr)
            status = EXIT_INVALID
            continue
        print(f"{file}: valid" if args.quiet else f"{file}: valid\n{describe(scenario)}")
    return status


def _schema(args: argparse.Namespace) -> int:
    from sim.scenario.jsonschema import scenario_json_schema

    json.dump(scenario_json_schema(), sys.stdout, indent=2)
    print()
    return EXIT_OK


@refuses_bad_input
def _run(args: argparse.Namespace) -> int:
    if _uses_local_workers(args):
        from sim.execution import start_fork_server

        start_fork_server()  # it imports the simulator while this process reads the scenario
    scenario = load_with_overrides(args.scenario, args.overrides)
    from sim.store import ResultsFolder

    if args.out:
        cleared = ResultsFolder(Path(args.out)).check()  # before any work, not after
        if cleared:  # a stale .partial of a killed run, moved aside or removed
            print(f"hubsim: {cleared}", file=sys.stderr)
    # Heavy imports only for commands that simulate: `validate` and `schema` stay quick.
    from sim.execution import make_executor

    started = datetime.now()
    count = args.replications or scenario.simulation.replications
    if args.auto_replications:
        count = args.replications or AUTO_MAX_REPLICATIONS  # the most it may choose
    seed = scenario.simulation.seed if args.seed is None else args.seed
    if not _fits(args, scenario, count):
        return EXIT_INVALID
    try:
        # Entering starts the workers (or connects to --scheduler, so that a bad address
        # fails before any work): they get ready while this process imports the rest.
        with make_executor(args.workers, args.scheduler, items=count) as executor:
            folder = _replications(args, scenario, count, seed, started, executor)
    except OSError as error:
        if error.filename is None:
            raise
        # Writing the results failed (a full disk, a removed folder): every part on disk
        # belongs to a finished replication, and the .partial folder keeps them.
        print(
            f"hubsim: could not write the results: {error.strerror or error} ({error.filename});"
            " the replications finished before it are kept in the .partial folder",
            file=sys.stderr,
        )
        return EXIT_FAILED
    if not args.quiet:
        import pandas as pd

        summary = pd.read_csv(folder / "summary.csv")  # as written: no second computation
        # The scenario is in the header, the descriptions in the file: too wide for a terminal.
        summary = summary.drop(columns=["scenario", "description"])
        summary = summary[summary["period"] == "all"].drop(columns="period")  # years: in the file
        print(summary.to_string(index=False, float_format=lambda v: f"{v:,.3f}"))
    print(f"results: {folder}")
    if args.report or scenario.outputs.report:
        return write_report_after_run(folder)
    return EXIT_OK


def _uses_local_workers(args: argparse.Namespace) -> bool:
    """Whether the command line alone says the run will use local worker processes.

    It does when it asks for several replications (`-n`), and neither one worker nor a
    scheduler; with no `-n` the scenario's own count decides, once the scenario is read.
    """
    from sim.execution import local_workers

    if args.replications is None or args.scheduler is not None:
        return False
    return local_workers(args.workers, args.replications) > 1


def _fits(args: argparse.Namespace, scenario: Scenario, count: int) -> bool:
    """Refuse (False, with the estimate) a run whose memory this machine cannot hold; say
    how long a run of more than a minute will take (see `sim.estimate`)."""
    from sim.estimate import available_memory_bytes, estimate
    from sim.execution import local_workers

    workers = 1 if args.scheduler else local_workers(args.workers, count)
    need = estimate(scenario, count, workers)
    if not args.scheduler:  # a cluster's memory is its own
        limit = args.max_memory * 1e9 if args.max_memory else available_memory_bytes()
        if need.peak_bytes > limit:
            print(
                f"{args.scenario}: refused before starting: {need.describe()}, more than the "
                f"{limit / 1e9:,.1f} GB {'allowed (--max-memory)' if args.max_memory else 'free'}."
                " Use fewer workers (--workers), fewer agents or clients, or a shorter horizon.",
                file=sys.stderr,
            )
            return False
    if need.seconds > 60 and not args.quiet:
        print(f"estimate: {need.describe()}")
    return True


def _kernels_compiled(scenario: Scenario) -> bool:
    from sim.kernel_cache import is_compiled
    from sim.scenario.pathway import AgentDemand

    agents = isinstance(scenario.demand, AgentDemand)
    return is_compiled(["engine.run", *(["behaviour.step_workers"] * agents)])


def _replications(
    args: argparse.Namespace,
    scenario: Scenario,
    count: int,
    seed: int,
    started: datetime,
    executor: Executor,
) -> Path:
    """Replications 0..count-1 on `executor`, each written to the results folder as it
    finishes (memory stays flat; a stop keeps the finished ones), with a progress bar."""
    from tqdm import tqdm

    from sim.results import run_tables, write_results
    from sim.runner import replicate
    from sim.scenario.summary import describe
    from sim.store import new_results_path

    if not args.quiet:
        print(describe(scenario, replications=count, seed=seed))
        if not _kernels_compiled(scenario):
            print(
                "compiling the simulation kernels: the first run on this machine (or after an "
                "update) only, about 1 to 2 minutes before the first replication finishes",
                file=sys.stderr,
                flush=True,
            )
    stem = Path(args.scenario).stem
    target = Path(args.out) if args.out else None
    target = target or new_results_path(Path(scenario.outputs.directory), stem, started)

    guidance = None
    replications = replicate(run_tables, scenario, count, seed, executor)
    if args.auto_replications:
        from sim.planning.replications import auto_replications

        replications, guidance = auto_replications(
            run_tables,
            scenario,
            seed,
            executor,
            lambda tables: tables["kpis"].iloc[0].to_dict(),
            precision=args.precision,
            max_replications=count,
        )

    folder = write_results(
        target,
        scenario,
        tqdm(replications, total=count, desc="replications", unit="run", disable=args.quiet),
        seed=seed,
        started=started,
        argv=sys.argv,
        overrides=args.overrides,
        scenario_file=args.scenario,
        executor=executor,  # the workers draw the charts too
    )
    if guidance is not None:
        _say_guidance(folder, scenario, guidance)
    return folder


def _say_guidance(folder: Path, scenario: Scenario, guidance) -> None:
    """What --auto-replications chose, and MSER-5's advice on the warm-up."""
    from sim.planning.replications import warmup_advice
    from sim.results import load

    print(guidance.describe())
    waiting = load(folder).table("waiting", columns=["day", "stage", "waiting"])
    for line in warmup_advice(waiting, scenario.simulation.warmup_days):
        print(line)


def _version() -> str:
    """The version line, e.g. "hubsim 0.1.0 (commit abc123...)", from git if a checkout."""
    from sim import __version__
    from sim.provenance import git_commit

    git = git_commit()
    if git["commit"] is None:
        return f"hubsim {__version__} (no git commit: an installed copy)"
    dirty = ", with uncommitted changes" if git["dirty"] else ""
    return f"hubsim {__version__} (commit {git['commit'][:12]}{dirty})"


class _VersionAction(argparse.Action):
    """`--version`, worked out only when asked for (it runs git)."""

    def __init__(self, option_strings, dest, **kwargs) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser, namespace, values, option_string=None) -> None:
        print(_version())
        parser.exit()


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every subcommand."""
    parser = argparse.ArgumentParser(
        prog="hubsim",
        description="Demand, capacity and waiting lists for staff mental-health hubs.",
        epilog=examples(
            "hubsim validate scenarios/baseline.yaml",
            "hubsim run scenarios/baseline.yaml -n 4",
            "hubsim run --help",
        ),
        formatter_class=RAW,
    )
    parser.add_argument(
        "--version", action=_VersionAction, help="print the version and the commit, and exit"
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    validate = commands.add_parser(
        "validate",
        help="check scenario files and print what they resolve to",
        epilog=examples(
            "hubsim validate scenarios/*.yaml",
            "hubsim validate scenarios/baseline.yaml --set workforce.size=20000",
        ),
        formatter_class=RAW,
    )
    validate.add_argument("files", nargs="+", metavar="FILE", help="scenario YAML files")
    validate.add_argument("-q", "--quiet", action="store_true", help="only say valid or not")
    add_set_option(validate)
    validate.set_defaults(handler=_validate)

    schema = commands.add_parser(
        "schema",
        help="print the scenario JSON Schema (for editors)",
        epilog=examples("hubsim schema > hubsim.schema.json"),
        formatter_class=RAW,
    )
    schema.set_defaults(handler=_schema)

    run = commands.add_parser(
        "run",
        help="run a scenario and write a results folder",
        epilog=examples(
            "hubsim run scenarios/baseline.yaml",
            "hubsim run scenarios/baseline.yaml -n 20 --seed 7 --out results/baseline-n20",
            "hubsim run scenarios/baseline.yaml --set 'hub.stages.assessment.capacity[0].wte=4'",
        ),
        formatter_class=RAW,
    )
    run.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file")
    run.add_argument(
        "-n",
        "--replications",
        type=replication_count,
        help="replications (default: the scenario's; at most 100,000)",
    )
    run.add_argument(
        "--max-memory",
        type=positive_float,
        metavar="GB",
        help="refuse a run estimated to need more memory than this (default: what is free)",
    )
    run.add_argument("--seed", type=seed_value, help="root seed (default: the scenario's)")
    run.add_argument(
        "--out", metavar="DIR", help="results folder to create (default: a new one under results/)"
    )
    run.add_argument(
        "--auto-replications",
        action="store_true",
        help="run replications until the 95%% CIs of the targets' shares and the stages' mean "
        "waits are within --precision of their means (Hoad, Robinson & Davies 2010; -n is "
        f"then the most, default {AUTO_MAX_REPLICATIONS}) and advise on the warm-up (MSER-5)",
    )
    run.add_argument(
        "--precision",
        type=positive_float,
        default=0.05,
        metavar="SHARE",
        help="with --auto-replications: largest CI half-width as a share of the mean "
        "(default 0.05)",
    )
    add_executor_options(run)
    run.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary")
    add_report_option(run)
    add_set_option(run)
    run.set_defaults(handler=_run)
    # The planner's, analyst's and calibration commands live with their layers (cheap to import).
    from sim.analysis.commands import add_commands as add_analysis_commands
    from sim.calibration.commands import add_commands as add_calibration_commands
    from sim.planning.commands import add_commands as add_planning_commands
    from sim.report.commands import add_commands as add_report_commands

    add_planning_commands(commands)
    add_analysis_commands(commands)
    add_report_commands(commands)
    add_calibration_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `hubsim` and `python -m sim`."""
    try:
        args = build_parser().parse_args(argv)
        return args.handler(args)
    except KeyboardInterrupt:
        print("hubsim: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        _silence_stdout()
        return EXIT_FAILED
    except OSError as error:
        if error.filename is None and not isinstance(error, PermissionError):
            # Writing to the terminal or a pipe failed (e.g. `hubsim schema > /dev/full`).
            _silence_stdout()
            print(f"hubsim: cannot write the output: {error.strerror or error}", file=sys.stderr)
            return EXIT_FAILED
        raise


def _silence_stdout() -> None:
    """Point stdout at /dev/null, so that Python's own flush at exit does not fail again."""
    import os

    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())


def entry() -> None:
    """The `hubsim` program (and `python -m sim`): `main`, then exit with its code.

    Once `main` has returned the work is done and written: an interrupt while Python shuts
    down (joining threads, closing files) would only turn exit code 0 into a signal death,
    so it is ignored from then on."""
    import signal

    code = main()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    sys.exit(code)

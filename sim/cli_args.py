"""What every `hubsim` command shares: exit codes, argument types, the `--set` option and
the executor options, examples at the end of `--help`, and loading a scenario with its
overrides. Command modules (`sim.cli`, `sim.planning.commands`, `sim.analysis.commands`)
build their parsers from these, so that one option reads and behaves the same everywhere.

Importing this module is instant: hubsim's own modules are imported inside the functions.
"""

from __future__ import annotations

import argparse
import functools
import sys
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sim.scenario import Scenario

EXIT_OK, EXIT_FAILED, EXIT_INVALID = 0, 1, 2

MAX_REPLICATIONS = 100_000
"""The scenario schema's own limit (`simulation.replications`)."""


def load_with_overrides(file: str, settings: list[str]) -> Scenario:
    """A scenario file with the `--set PATH=VALUE` overrides applied, validated whole."""
    from sim.scenario import load_scenario, variant
    from sim.scenario.variant import SET_OPTION, parse_overrides

    scenario = load_scenario(file)
    if not settings:
        return scenario
    return variant(scenario, parse_overrides(settings), origin=SET_OPTION)


def positive_int(text: str) -> int:
    """An integer of at least 1."""
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, found {value}")
    return value


def replication_count(text: str) -> int:
    """A number of replications: 1 to `MAX_REPLICATIONS`."""
    value = positive_int(text)
    if value > MAX_REPLICATIONS:
        raise argparse.ArgumentTypeError(f"must be at most {MAX_REPLICATIONS:,}, found {value:,}")
    return value


def positive_float(text: str) -> float:
    """A finite number above 0."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number, found {text!r}") from None
    if not value > 0 or value == float("inf"):
        raise argparse.ArgumentTypeError(f"must be a number above 0, found {text}")
    return value


def seed_value(text: str) -> int:
    """A root seed: an integer in [0, 2**63)."""
    value = int(text)
    if not 0 <= value < 2**63:
        raise argparse.ArgumentTypeError(f"must be between 0 and 2**63 - 1, found {value}")
    return value


def add_set_option(command: argparse.ArgumentParser) -> None:
    """`--set PATH=VALUE`, repeatable, into `args.overrides` (see `load_with_overrides`)."""
    command.add_argument(
        "--set",  # sim.scenario.variant.SET_OPTION
        action="append",
        default=[],
        dest="overrides",
        metavar="PATH=VALUE",
        help="change one value, e.g. --set hub.stages.assessment.capacity[0].wte=4.5 "
        "(VALUE is YAML; repeatable; checked like a scenario file)",
    )


def add_report_option(command: argparse.ArgumentParser) -> None:
    """`--report`: also write the folder's HTML report (`sim.report`), as the scenario's
    `outputs.report: true` does."""
    command.add_argument(
        "--report",
        action="store_true",
        help="also write the HTML report (report.html in the folder; as outputs.report: true)",
    )


def add_executor_options(command: argparse.ArgumentParser) -> None:
    """`--workers N` or `--scheduler ADDRESS` (see `sim.execution.make_executor`)."""
    where = command.add_mutually_exclusive_group()
    where.add_argument(
        "--workers",
        type=positive_int,
        metavar="N",
        help="local worker processes (default: every core; 1 runs in this process)",
    )
    where.add_argument(
        "--scheduler",
        metavar="ADDRESS",
        help="run on the workers of this Dask scheduler (e.g. tcp://10.0.0.5:8786)",
    )


def examples(*commands: str) -> str:
    """The text that ends a command's `--help` (pass `formatter_class=RAW`)."""
    return "examples:\n" + "\n".join(f"  {command}" for command in commands)


RAW = argparse.RawDescriptionHelpFormatter
"""The formatter that keeps the examples' lines as written."""


def refuses_bad_input(handler: Callable[[argparse.Namespace], int]):
    """Decorate a command's handler: an invalid scenario or input file, a results folder in
    the way or that cannot be created, or an unreachable `--scheduler` ends the command with
    its message and exit code 2, never a traceback; the command itself need not catch them."""

    @functools.wraps(handler)
    def refusing(args: argparse.Namespace) -> int:
        try:
            return handler(args)
        except Exception as error:
            message = _bad_input_message(error)
            if message is None:
                raise
            print(message, file=sys.stderr)
            return EXIT_INVALID

    return refusing


def _bad_input_message(error: Exception) -> str | None:
    """What to tell the user of an error that is their input's, or None for any other."""
    from sim.execution import SchedulerUnreachableError
    from sim.scenario import ScenarioError
    from sim.store import ResultsExistError, ResultsPathError

    if isinstance(error, SchedulerUnreachableError):
        return f"--scheduler: {error}"
    if isinstance(error, ScenarioError | ResultsExistError | ResultsPathError):
        return str(error)
    return None

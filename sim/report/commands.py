"""`hubsim report RESULTS_DIR [--out FILE]`: the HTML report of a finished results folder of
`hubsim run`, `compare` or `capacity`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.cli_args import EXIT_INVALID, EXIT_OK, RAW, examples


def _report(args: argparse.Namespace) -> int:
    from sim.report.writer import ReportError, write_report

    try:
        path = write_report(args.results_dir, args.out)
    except ReportError as error:
        print(f"hubsim report: {error}", file=sys.stderr)
        return EXIT_INVALID
    except OSError as error:
        if error.filename is None:
            raise
        print(
            f"hubsim report: cannot write {error.filename}: {error.strerror or error}",
            file=sys.stderr,
        )
        return EXIT_INVALID
    print(f"report: {path}")
    return EXIT_OK


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add `report` to the `hubsim` subcommands."""
    report = commands.add_parser(
        "report",
        help="write the HTML report of a results folder (run, compare or capacity)",
        description="One self-contained HTML file for a commissioning meeting, built from "
        "the results folder alone (see docs/report.md). Of a run: headline results with "
        "confidence intervals and red/amber/green against the targets, every chart, the "
        "equity table, every parameter with its source. Of a comparison: each measure's "
        "difference from the base with its 95%% CI, whether it is clear and better or worse, "
        "the forest plot and the waiting lists overlaid. Of a capacity search: the question, "
        "the answer with its uncertainty, every capacity tried and the capacity curve. "
        "Each with its provenance.",
        epilog=examples(
            "hubsim report results/baseline-20260101-120000",
            "hubsim report results/baseline-n20 --out baseline-report.html",
            "hubsim report results/compare-baseline-20260101-120000",
            "hubsim run scenarios/baseline.yaml --report",
        ),
        formatter_class=RAW,
    )
    report.add_argument(
        "results_dir",
        metavar="RESULTS_DIR",
        help="a finished results folder of hubsim run, compare or capacity",
    )
    report.add_argument(
        "--out",
        metavar="FILE",
        help="where to write the report (default: RESULTS_DIR/report.html, replaced if there)",
    )
    report.set_defaults(handler=_report)


def write_after_run(folder: Path) -> int:
    """`hubsim run --report` (and `compare`'s, `capacity`'s): the report of the folder the
    command has just written."""
    from sim.report.writer import write_report

    print(f"report: {write_report(folder)}")
    return EXIT_OK

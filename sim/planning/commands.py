"""`hubsim compare` and `hubsim capacity`: the planner's commands, added to the `hubsim`
parser by `add_commands` (called from `sim.cli.build_parser`).

Importing this module is instant: the simulation is imported inside the commands.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from datetime import datetime
from pathlib import Path

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
    positive_int,
    refuses_bad_input,
    replication_count,
    seed_value,
)
from sim.report.commands import write_after_run as write_report_after_run

PRINTED_LEAVES_OUT = "uptake_per_1000_in_need_year."
"""KPIs by group are many: they are in comparison.csv, not in the printed table."""


def _level_range(text: str) -> tuple[float, float]:
    """`LOW..HIGH`, two numbers with 0 < LOW <= HIGH."""
    low, dots, high = text.partition("..")
    try:
        values = (float(low), float(high))
    except ValueError:
        values = None
    if not dots or values is None:
        raise argparse.ArgumentTypeError(f"must be LOW..HIGH, e.g. 2..12, found {text!r}")
    if not 0 < values[0] <= values[1] < float("inf"):
        raise argparse.ArgumentTypeError(f"must satisfy 0 < LOW <= HIGH, found {text!r}")
    return values


def _confidence(text: str) -> float:
    """A probability in [0.5, 1)."""
    value = positive_float(text)
    if not 0.5 <= value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 0.5 and below 1, found {text}")
    return value


def _out_folder(args: argparse.Namespace, parent: str, stem: str, started: datetime) -> Path:
    from sim.store import new_results_path

    if args.out:
        return Path(args.out)
    return new_results_path(Path(parent), stem, started)


def _check_out(args: argparse.Namespace) -> None:
    """Refuse an `--out` that could not be created, before any work (raises)."""
    from sim.store import ResultsFolder

    if args.out:
        cleared = ResultsFolder(Path(args.out)).check()
        if cleared:  # a stale .partial of a killed run, moved aside or removed
            print(f"hubsim: {cleared}", file=sys.stderr)


def _print_comparison(table, quiet: bool) -> None:
    if quiet:
        return
    shown = table[~table["kpi"].str.startswith(PRINTED_LEAVES_OUT)]
    for variant, rows in shown.groupby("variant", sort=False):
        print(f"\n{variant} minus base:")
        lines = rows.assign(
            ci=[
                f"[{low:,.3f}, {high:,.3f}]" if low == low else ""
                for low, high in zip(rows["diff_ci_low"], rows["diff_ci_high"], strict=True)
            ],
            rel=[f"{value:+.1%}" if value == value else "" for value in rows["rel_diff"]],
        )[["kpi", "base_mean", "variant_mean", "diff", "ci", "rel"]]
        lines.columns = ["kpi", "base", "variant", "difference", "95% CI", "relative"]
        print(lines.to_string(index=False, float_format=lambda v: f"{v:,.3f}"))


@refuses_bad_input
def _compare(args: argparse.Namespace) -> int:
    from sim.scenario import variant
    from sim.scenario.variant import SET_OPTION, parse_overrides

    base = load_with_overrides(args.base, args.overrides)
    variants = [load_with_overrides(file, args.overrides) for file in args.variants]
    names = [base.name, *(scenario.name for scenario in variants)]
    if args.variant_settings:
        changes = parse_overrides(args.variant_settings)
        variants.append(variant(base, changes, origin=SET_OPTION))
        names.append(f"{base.name} with {', '.join(args.variant_settings)}")
    if not variants:
        print(
            "hubsim compare: give at least one VARIANT file, or --variant-set PATH=VALUE",
            file=sys.stderr,
        )
        return EXIT_INVALID
    _check_out(args)
    from sim.execution import make_executor
    from sim.planning.compare import compare
    from sim.planning.folders import write_comparison

    started = datetime.now()
    count = args.replications or base.simulation.replications
    seed = base.simulation.seed if args.seed is None else args.seed
    arms = 1 + len(variants)
    with make_executor(args.workers, args.scheduler, items=count * arms) as executor:
        comparison = compare(
            base,
            variants,
            replications=count,
            seed=seed,
            crn=not args.no_crn,
            executor=executor,
            names=names,
        )
    target = _out_folder(args, base.outputs.directory, f"compare-{Path(args.base).stem}", started)
    folder = write_comparison(
        target,
        comparison,
        [base, *variants],
        replications=count,
        started=started,
        argv=sys.argv,
        charts=base.outputs.charts,
        files=[args.base, *args.variants, *([args.base] if args.variant_settings else [])],
        overrides=args.overrides,
    )
    crn = "independent seeds (--no-crn)" if args.no_crn else "common random numbers"
    if not args.quiet:
        print(f"{count} replications of each of {arms} scenarios, {crn}, seed {seed}")
    _print_comparison(comparison.table, args.quiet)
    print(f"results: {folder}")
    if args.report or base.outputs.report:
        return write_report_after_run(folder)
    return EXIT_OK


@refuses_bad_input
def _capacity(args: argparse.Namespace) -> int:
    from sim.planning.capacity import CapacityError, capacity, measured_period
    from sim.planning.target_expr import TargetError, parse_target

    try:
        scenario = load_with_overrides(args.scenario, args.overrides)
        if args.stage not in scenario.hub.stages and args.stage not in scenario.external:
            known = ", ".join([*scenario.hub.stages, *scenario.external])
            raise CapacityError(
                f"--stage: no stage {args.stage!r} in the scenario; stages: {known}"
            )
        target = parse_target(args.target, scenario, args.stage)
        measured_period(scenario, args.period, stage=args.stage)  # before any simulation
    except (CapacityError, TargetError) as error:
        print(f"hubsim capacity: {error}", file=sys.stderr)
        return EXIT_INVALID
    _check_out(args)
    from sim.execution import make_executor
    from sim.planning.folders import write_capacity

    started = datetime.now()
    seed = scenario.simulation.seed if args.seed is None else args.seed
    try:
        with make_executor(args.workers, args.scheduler) as executor:
            answer = capacity(
                scenario,
                stage=args.stage,
                target=target,
                confidence=args.confidence,
                wte_range=args.range,
                step=args.step,
                executor=executor,
                seed=seed,
                max_replications=args.max_replications,
                period=args.period,
            )
        stem = f"capacity-{Path(args.scenario).stem}-{args.stage}"
        folder = write_capacity(
            _out_folder(args, scenario.outputs.directory, stem, started),
            answer,
            scenario,
            seed=seed,
            started=started,
            argv=sys.argv,
            charts=scenario.outputs.charts,
            file=args.scenario,
            overrides=args.overrides,
        )
    except CapacityError as error:
        print(f"hubsim capacity: {error}", file=sys.stderr)
        return EXIT_INVALID
    print(answer.describe())
    if not args.quiet:
        print(
            f"{len(answer.final)} levels tried, {answer.replications_total} replications, "
            f"{answer.seconds:,.0f} s"
        )
    print(f"results: {folder}")
    if args.report or scenario.outputs.report:
        write_report_after_run(folder)
    return EXIT_OK if answer.answer is not None else EXIT_FAILED


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add the `compare` and `capacity` subcommands to the `hubsim` parser."""
    compare = commands.add_parser(
        "compare",
        help="compare scenarios with a base: each KPI's difference with its 95%% CI",
        description=textwrap.fill(
            "Runs BASE and every VARIANT with the same seeds (common random numbers) "
            "and reports each KPI's difference from BASE with the 95% CI of the paired "
            "difference. Writes comparison.csv, kpis.csv and charts.",
            width=80,
        ),
        epilog=examples(
            "hubsim compare scenarios/baseline.yaml scenarios/plus-2-wte.yaml -n 20",
            "hubsim compare scenarios/baseline.yaml --variant-set "
            "'hub.stages.assessment.capacity[0].wte=4'",
            "hubsim compare scenarios/baseline.yaml scenarios/baseline.yaml  # exactly 0",
        ),
        formatter_class=RAW,
    )
    compare.add_argument("base", metavar="BASE", help="the base scenario file")
    compare.add_argument("variants", nargs="*", metavar="VARIANT", help="scenario files to compare")
    compare.add_argument(
        "--variant-set",
        action="append",
        default=[],
        dest="variant_settings",
        metavar="PATH=VALUE",
        help="one more variant: BASE with these values changed (repeatable; all make one variant)",
    )
    compare.add_argument(
        "-n",
        "--replications",
        type=replication_count,
        help="replications of each scenario (default: BASE's)",
    )
    compare.add_argument("--seed", type=seed_value, help="root seed (default: BASE's)")
    compare.add_argument(
        "--no-crn",
        action="store_true",
        help="independent seeds for each scenario, to see what common random numbers buy",
    )
    compare.add_argument("--out", metavar="DIR", help="results folder to create")
    add_executor_options(compare)
    compare.add_argument("-q", "--quiet", action="store_true", help="print only the folder")
    add_report_option(compare)
    add_set_option(compare)
    compare.set_defaults(handler=_compare)

    capacity = commands.add_parser(
        "capacity",
        help="the smallest WTE (or places) of a stage that meets a target",
        description=textwrap.fill(
            "Searches the smallest capacity of --stage, in steps of --step WTE (places "
            "for an external service), for which --target holds with --confidence. Starts from "
            "Erlang C/A, uses common random numbers across candidates and adds replications only "
            "where the decision is uncertain; with agents, screens with the queue core on the "
            "agents' referrals and confirms with the full model. Writes capacity.json and the "
            "capacity curve. Exit code 1 if no capacity in --range meets the target.",
            width=80,
        ),
        epilog=examples(
            "hubsim capacity scenarios/baseline.yaml --stage assessment "
            "--target 'assessment_within_14_days >= 0.9'",
            "hubsim capacity scenarios/queue-only.yaml --stage stage1 --target "
            "'p90_wait_days <= 0.5' --step 1 --range 3..10",
            "hubsim capacity scenarios/closure-2023.yaml --stage assessment "
            "--target 'assessment_within_14_days >= 0.9' --period funded",
        ),
        formatter_class=RAW,
    )
    capacity.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file")
    capacity.add_argument(
        "--stage", required=True, metavar="NAME", help="hub stage or external service"
    )
    capacity.add_argument(
        "--target",
        required=True,
        metavar="EXPR",
        help="METRIC >= NUMBER or METRIC <= NUMBER, e.g. 'assessment_within_14_days >= 0.9', "
        "'p90_wait_days <= 14' or any KPI column (see docs/planning.md)",
    )
    capacity.add_argument(
        "--period",
        metavar="NAME",
        help="read the target in this period only: a calendar year (2022) or a name of the "
        "scenario's outputs.periods (default: the whole measured window)",
    )
    capacity.add_argument(
        "--confidence", type=_confidence, default=0.95, metavar="P", help="default 0.95"
    )
    capacity.add_argument(
        "--range", type=_level_range, metavar="LOW..HIGH", help="capacities to search between"
    )
    capacity.add_argument(
        "--step", type=positive_float, default=0.5, metavar="WTE", help="grid step (default 0.5)"
    )
    capacity.add_argument("--seed", type=seed_value, help="root seed (default: the scenario's)")
    capacity.add_argument(
        "--max-replications",
        type=positive_int,
        default=40,
        metavar="N",
        help="most replications for one candidate (default 40)",
    )
    capacity.add_argument("--out", metavar="DIR", help="results folder to create")
    add_executor_options(capacity)
    capacity.add_argument("-q", "--quiet", action="store_true", help="print only the answer")
    add_report_option(capacity)
    add_set_option(capacity)
    capacity.set_defaults(handler=_capacity)

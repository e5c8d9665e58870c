"""`hubsim sweep EXPERIMENT` and `hubsim analyse SWEEP_DIR`: the analyst's commands.

`add_commands(commands)` adds both subparsers; `sim.cli.build_parser` calls it. Importing
this module is instant: the analysis is imported inside the handlers.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from datetime import datetime
from pathlib import Path

from sim.cli_args import (
    EXIT_FAILED,
    EXIT_INVALID,
    EXIT_OK,
    RAW,
    add_executor_options,
    examples,
    refuses_bad_input,
)

LOCAL_DASK = "local"
"""`--scheduler local`: a Dask LocalCluster on this machine (127.0.0.1 only)."""
SHOWN_INDICES = 12
"""Rows of the index table printed per KPI (the files hold all)."""


def add_commands(commands: argparse._SubParsersAction) -> None:
    """Add `sweep` and `analyse` to the `hubsim` subcommands."""
    sweep = commands.add_parser(
        "sweep",
        help="run an experiment's design points x replications and analyse them",
        description="Run every design point x replication of an experiment file, store "
        "them in a crash-safe sweep folder, then write sensitivity indices and charts.",
        epilog=examples(
            "hubsim sweep experiments/smoke.yaml",
            "hubsim sweep experiments/morris-screening.yaml --workers 2 --out results/morris",
            "hubsim sweep experiments/morris-screening.yaml --resume --out results/morris",
            "hubsim sweep experiments/sobol-leading.yaml --scheduler tcp://10.0.0.5:8786",
            "hubsim sweep experiments/smoke.yaml --scheduler local   # a Dask LocalCluster",
        ),
        formatter_class=RAW,
    )
    sweep.add_argument("experiment", metavar="EXPERIMENT", help="experiment YAML file")
    sweep.add_argument(
        "--out", metavar="DIR", help="sweep folder (default: a new one under results/)"
    )
    sweep.add_argument(
        "--resume",
        action="store_true",
        help="continue the sweep in --out DIR, computing only the runs not stored yet",
    )
    add_executor_options(sweep)
    sweep.add_argument("-q", "--quiet", action="store_true", help="no progress bar or tables")
    sweep.set_defaults(handler=_sweep)

    analyse = commands.add_parser(
        "analyse",
        help="(re)write the indices and charts of a sweep folder",
        epilog=examples("hubsim analyse results/morris"),
        formatter_class=RAW,
    )
    analyse.add_argument("folder", metavar="SWEEP_DIR", help="a folder written by hubsim sweep")
    analyse.add_argument("-q", "--quiet", action="store_true", help="no tables")
    analyse.set_defaults(handler=_analyse)


def _executor(args: argparse.Namespace, runs: int):
    from sim.execution import DaskExecutor, make_executor

    if args.scheduler == LOCAL_DASK:
        return DaskExecutor()
    return make_executor(args.workers, args.scheduler, items=runs)


@refuses_bad_input
def _sweep(args: argparse.Namespace) -> int:
    from sim.analysis.design import design_size
    from sim.analysis.experiment import load_experiment
    from sim.analysis.store import ResumeError
    from sim.store import new_results_path

    if args.resume and not args.out:
        print("--resume needs --out DIR: the sweep folder to continue", file=sys.stderr)
        return EXIT_INVALID
    experiment = load_experiment(args.experiment)
    from sim.analysis.sweep import sweep

    points = design_size(experiment)
    runs = points * experiment.replications
    out = Path(args.out) if args.out else None
    if out is None:
        out = new_results_path(Path("results"), Path(args.experiment).stem, datetime.now())
    if not args.quiet:
        print(
            f"{experiment.name}: {experiment.design.method} design, {points:,} points x "
            f"{experiment.replications} replications = {runs:,} runs, seed {experiment.seed}"
        )
    try:
        with _executor(args, runs) as executor:
            sweep(
                experiment, out=out, resume=args.resume, executor=executor, progress=not args.quiet
            )
    except ResumeError as error:
        print(error, file=sys.stderr)
        return EXIT_INVALID
    except KeyboardInterrupt:
        print(
            f"sweep: stopped; the finished runs are kept: {_resume_hint(args, out)}",
            file=sys.stderr,
        )
        raise
    except OSError as error:
        if error.filename is None:
            raise
        print(
            f"hubsim: could not write the sweep: {error.strerror or error} ({error.filename}); "
            f"the runs stored before it are kept: {_resume_hint(args, out)}",
            file=sys.stderr,
        )
        return EXIT_FAILED
    return _write_analysis(out, quiet=args.quiet)


def _resume_hint(args: argparse.Namespace, out: Path) -> str:
    return f"continue with hubsim sweep {args.experiment} --resume --out {out}"


def _analyse(args: argparse.Namespace) -> int:
    from sim.analysis.store import ResumeError

    try:
        return _write_analysis(Path(args.folder), quiet=args.quiet)
    except ResumeError as error:
        print(error, file=sys.stderr)
        return EXIT_INVALID


def _write_analysis(path: Path, *, quiet: bool) -> int:
    """Analyse the sweep folder and (re)write its `analysis/` folder whole."""
    from sim.analysis.charts import analysis_charts
    from sim.analysis.experiment import Experiment
    from sim.analysis.indices import analyse
    from sim.analysis.store import ANALYSIS, open_sweep

    store = open_sweep(path)
    experiment = Experiment.model_validate(store.manifest()["experiment"])
    runs = store.runs()
    analysis = analyse(experiment, store.design(), runs)
    # Derived from the runs alone: written beside, then swapped in for the old analysis.
    target = store.folder / ANALYSIS
    work = target.with_name(ANALYSIS + ".writing")
    shutil.rmtree(work, ignore_errors=True)
    analysis.write(work)
    for name, figure in analysis_charts(experiment, analysis).items():
        (work / "charts").mkdir(exist_ok=True)
        figure.savefig(work / "charts" / f"{name}.png", dpi=110, bbox_inches="tight")
    shutil.rmtree(target, ignore_errors=True)
    work.rename(target)
    if not quiet:
        _print_summary(analysis)
    for line in analysis.warnings:
        print(f"warning: {line}", file=sys.stderr)
    print(f"results: {store.folder} ({len(runs):,} runs; indices in {target})")
    return EXIT_OK


def _print_summary(analysis) -> None:
    indices = analysis.indices
    shown = indices[~indices["index"].isin(["mu", "sigma"])]
    for kpi, rows in shown.groupby("kpi", sort=False):
        rows = rows.reindex(rows["value"].abs().sort_values(ascending=False).index)
        noise = analysis.noise.set_index("kpi")["noise_share"].get(kpi)
        share = "" if noise is None or noise != noise else f" (replication noise {noise:.0%})"
        print(f"\n{kpi}{share}")
        table = rows.head(SHOWN_INDICES)[["parameter", "index", "value", "conf_low", "conf_high"]]
        print(table.to_string(index=False, float_format=lambda v: f"{v:.4g}"))

"""Results folders of `hubsim compare` and `hubsim capacity`, through `sim.store`.

Like a run's folder, each is written as `DIR.partial` and renamed when complete, is never
overwritten, and carries a manifest (the scenarios as resolved, seeds, replications,
command, times, versions and commit).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

import pandas as pd

from sim.planning.capacity import CapacityAnswer, curve
from sim.planning.compare import Comparison
from sim.provenance import environment
from sim.scenario import Scenario
from sim.store import ResultsFolder

COMPARISON_FILE = "comparison.csv"
CAPACITY_FILE = "capacity.json"
CAPACITY_CURVE_FILE = "capacity_curve.csv"
"""Files of a comparison's and a capacity search's folder that `sim.report` reads; it tells
the kinds of folder apart by the first two."""


def _stamp(figure, title: str, started: datetime) -> None:
    """The scenario's name and the run's date on a chart, for a meeting's slides."""
    figure.text(
        0.01,
        0.995,
        f"{title} · {started:%d %B %Y}",
        ha="left",
        va="top",
        fontsize=8,
        color="dimgray",
    )


def _manifest(
    scenarios: Sequence[Scenario], started: datetime, argv: Sequence[str], **extra
) -> dict:
    return {
        "scenarios": [scenario.model_dump(mode="json") for scenario in scenarios],
        "scenario_digests": [scenario.digest() for scenario in scenarios],
        **extra,
        "command": list(argv),
        "started": started.isoformat(timespec="seconds"),
        "finished": datetime.now().isoformat(timespec="seconds"),
        **environment(),
    }


def write_comparison(
    path: Path,
    comparison: Comparison,
    scenarios: Sequence[Scenario],
    *,
    replications: int,
    started: datetime,
    argv: Sequence[str],
    charts: bool = True,
    files: Sequence[str] = (),
    overrides: Sequence[str] = (),
) -> Path:
    """comparison.csv, kpis.csv (every arm's replications), the waiting series, the forest
    plot and one overlaid fan chart per stage, and the manifest (with each arm's scenario
    file, `files`, and the `--set` overrides applied to every arm, when given)."""
    from sim.planning.charts import plot_forest, plot_waiting_compared

    folder = ResultsFolder(path).open()
    folder.csv(Path(COMPARISON_FILE).stem, comparison.table)
    folder.csv("kpis", comparison.kpis)
    folder.table("waiting", comparison.waiting)
    if charts:
        title = " vs ".join(comparison.names)
        figures = {"forest": plot_forest(comparison.table).figure}
        for stage in comparison.waiting["stage"].unique():
            axes = plot_waiting_compared(comparison.waiting, stage=stage)
            figures[f"waiting_{stage}"] = axes.figure
        for name, figure in figures.items():
            _stamp(figure, title, started)
            folder.figure(name, figure)
    manifest = _manifest(
        scenarios,
        started,
        argv,
        names=comparison.names,
        files=list(files),
        overrides=list(overrides),
        seeds=comparison.seeds,
        common_random_numbers=comparison.crn,
        replications=replications,
    )
    return folder.finish(manifest)


def write_capacity(
    path: Path,
    answer: CapacityAnswer,
    scenario: Scenario,
    *,
    seed: int,
    started: datetime,
    argv: Sequence[str],
    charts: bool = True,
    file: str | None = None,
    overrides: Sequence[str] = (),
) -> Path:
    """capacity.json, the curve's points (capacity_curve.csv), the capacity curve chart and
    the manifest (with the scenario `file` and its `--set` overrides, when given)."""
    from sim.planning.charts import plot_capacity_curve

    folder = ResultsFolder(path).open()
    folder.text(CAPACITY_FILE, json.dumps(answer.as_json(), indent=2) + "\n")
    points = pd.DataFrame(list(curve(answer)))
    folder.csv(Path(CAPACITY_CURVE_FILE).stem, points)
    if charts:
        axes = plot_capacity_curve(
            points,
            threshold=answer.target.threshold,
            answer=answer.answer,
            kpi=answer.target.kpi,
            unit=answer.unit,
            stage=answer.stage,
            period=answer.period_label,
        )
        _stamp(axes.figure, scenario.name, started)
        folder.figure("capacity_curve", axes.figure)
    files = [file] if file else []
    manifest = _manifest([scenario], started, argv, files=files, overrides=[*overrides], seed=seed)
    return folder.finish(manifest)

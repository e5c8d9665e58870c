"""Replications -> a results folder, streamed; a results folder -> `Results`, read lazily.

`replication_tables(run)` turns one finished replication into tidy tables (cheap to pickle:
an executor's worker calls it so only tables cross the process boundary);
`write_results` stores each replication's tables as they arrive, in any order, then builds
`kpis.csv`, `summary.csv` and the charts from the stored folder through `Results`, the
same code `load(DIR)` gives a user or the report, so a folder's summary and charts can
always be rebuilt from the folder alone.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
from pydantic import ValidationError

from sim.execution import Executor, SerialExecutor
from sim.metrics import confidence_summary, replication_kpis
from sim.periods import split_period
from sim.provenance import environment
from sim.runner import Run, run
from sim.scenario import Scenario
from sim.scenario.sources import parameter_sources
from sim.store import INCOMPLETE, MANIFEST, ResultsFolder, part_counts

if TYPE_CHECKING:
    from matplotlib.figure import Figure

    from sim.chart_data import ChartInput

# The charts' code (matplotlib) is imported only where charts are made: a `hubsim run`
# process holds it only at the end, when its workers have stopped (peak memory).


class ResultsFolderError(Exception):
    """A folder that is not a complete, readable results folder."""


def replication_tables(run: Run) -> dict[str, pd.DataFrame]:
    """One replication's tidy tables, by name, each row tagged with its replication.

    Always: `kpis` (one row: replication and every KPI of `replication_kpis`), `timings` (its wall
    time in seconds, kept out of the KPIs so that they are the same numbers on every
    machine) and the chart series of `sim.chart_data.replication_series`. With
    `outputs.daily_series`: `daily_pathway` (and `daily_agents` with agents); with
    `outputs.client_records`: `visits` (with `referred`, the client's referral time); with
    agents: `groups`.
    """
    outputs = run.scenario.outputs
    tables = {
        "kpis": pd.DataFrame([{"replication": run.replication, **replication_kpis(run)}]),
        "timings": pd.DataFrame({"replication": [run.replication], "seconds": [run.seconds]}),
        **_chart_data().replication_series(run),
    }
    if outputs.daily_series:
        daily = run.queue.records.daily()
        start = pd.Timestamp(run.scenario.simulation.start_date)
        daily.insert(1, "date", start + pd.to_timedelta(daily["day"], unit="D"))
        tables["daily_pathway"] = _named_classes(daily, run.scenario)
        if run.agents_daily is not None:
            tables["daily_agents"] = run.agents_daily
    if outputs.client_records:
        records = run.queue.records
        visits = run.queue.visits.copy()
        referred = records.client_arrival[records.visit_client]
        visits.insert(visits.columns.get_loc("arrive"), "referred", referred)
        tables["visits"] = _named_classes(visits, run.scenario)
    if run.agents_groups is not None:
        tables["groups"] = run.agents_groups
    return {
        name: frame if "replication" in frame else frame.assign(replication=run.replication)
        for name, frame in tables.items()
    }


SIGNIFICANT_DIGITS = 4
"""Digits kept in `summary.csv`: more than the replications can tell apart, few enough to
read (`kpis.csv` and the Parquet tables keep full precision)."""


def for_people(summary: pd.DataFrame) -> pd.DataFrame:
    """The summary with its numbers rounded to `SIGNIFICANT_DIGITS` significant digits."""

    def rounded(value: float) -> float:
        return float(f"{value:.{SIGNIFICANT_DIGITS}g}") if np.isfinite(value) else value

    out = summary.copy()
    for column in ("mean", "sd", "ci_low", "ci_high"):
        out[column] = out[column].map(rounded)
    return out


def _named_classes(frame: pd.DataFrame, scenario: Scenario) -> pd.DataFrame:
    """The table with priority classes by their names in the scenario, not their codes."""
    names = list(scenario.hub.priority_classes)
    return frame.assign(**{"class": pd.Categorical.from_codes(frame["class"], names)})


def run_tables(scenario: Scenario, seed: int, replication: int) -> dict[str, pd.DataFrame]:
    """Run one replication and return its tables (`replication_tables`): what an executor's
    worker computes, so that only tables, never a `Run`, cross the process boundary."""
    return replication_tables(run(scenario, seed, replication))


def write_results(
    path: Path,
    scenario: Scenario,
    items: Iterable[tuple[int, dict[str, pd.DataFrame]]],
    *,
    seed: int,
    started: datetime,
    argv: list[str],
    overrides: Sequence[str] = (),
    scenario_file: str | Path | None = None,
    executor: Executor | None = None,
) -> Path:
    """Store replications' tables as they arrive, then the summary, charts and manifest.

    Parameters
    ----------
    path
        The results folder to create; it appears only once complete (`sim.store`).
    scenario
        The resolved scenario every replication ran.
    items
        `(replication, replication_tables(run))` pairs in any order (e.g. as parallel
        workers finish them); each is written at once, so memory does not grow with their
        number. The same pairs in any order give the same folder.
    seed, started, argv
        For the manifest: the root seed, when the run started and its command line.
    overrides
        The `--set PATH=VALUE` arguments as given, recorded in the manifest beside the
        resolved scenario (which already includes them) and its digest.
    scenario_file
        The file the scenario was loaded from: each parameter's line and source comment
        are kept in `parameters.csv` (`sim.scenario.sources`), for the report's
        assumptions table. Without it the folder has no `parameters.csv`.
    executor
        Where the charts are drawn (each chart is a task; only its PNG comes back), so that
        a run on several workers draws them on every core. Default: in this process. The
        files are the same either way.

    Returns
    -------
    Path
        The finished folder.

    Raises
    ------
    ResultsExistError
        `path`, or its `.partial` working folder, exists (nothing is overwritten).
    BaseException
        Whatever `items` raises (an error, KeyboardInterrupt), after leaving the working
        folder with the finished replications' parts and an `INCOMPLETE` note.
    """
    folder = ResultsFolder(path).open()
    written: list[int] = []
    try:
        for replication, tables in items:
            folder.parts(replication, tables)
            written.append(replication)
        if not written:
            raise ValueError("no replication to write")
        results = Results(folder.work, scenario, started)
        folder.csv("kpis", results.kpis_by_period())
        folder.csv("summary", for_people(results.summary()))
        if scenario_file is not None:
            folder.csv("parameters", parameter_sources(scenario, scenario_file))
        if scenario.outputs.charts:
            # One chart a task (for balance); each PNG is written as it comes back. After
            # the tables, not beside them: the chart inputs grow with the replications, and
            # holding them while the summary is computed would too (1,000 queue-only runs).
            charts = results.chart_inputs()
            names = list(charts)
            executor = executor or SerialExecutor()
            drawing = executor.map(_chart_data().chart_png, charts.values(), batch_size=1)
            for index, image in drawing:
                folder.png(names[index], image)
        manifest = {
            "scenario": scenario.model_dump(mode="json"),
            "scenario_digest": scenario.digest(),
            "overrides": list(overrides),
            "seed": seed,
            "replications": len(written),
            "tables": results.tables,
            "command": argv,
            "started": started.isoformat(timespec="seconds"),
            "finished": datetime.now().isoformat(timespec="seconds"),
            "run_seconds": results.table("timings")["seconds"].round(3).tolist(),
            **environment(),
        }
    except BaseException as error:
        folder.abandon(written, error)
        raise
    return folder.finish(manifest)


class Results:
    """A results folder, read lazily: each table is read from its parts only when asked.

    Use :func:`load` to open a finished folder; the writer uses the same class on the folder
    it is writing, so what it writes is what `load` rebuilds.
    """

    def __init__(self, path: Path, scenario: Scenario, started: datetime | None = None) -> None:
        self.path = Path(path)
        self.scenario = scenario
        self._started = started

    @property
    def started(self) -> datetime:
        """When the run started (the writer knows it before the manifest exists)."""
        if self._started is not None:
            return self._started
        return datetime.fromisoformat(self.manifest["started"])

    @cached_property
    def manifest(self) -> dict[str, Any]:
        """The manifest: scenario as resolved, seed, replications, tables, provenance."""
        return json.loads((self.path / MANIFEST).read_text(encoding="utf-8"))

    @property
    def tables(self) -> dict[str, int]:
        """Every stored table and its number of parts (one per replication)."""
        return part_counts(self.path)

    @cached_property
    def kpis(self) -> pd.DataFrame:
        """One row per replication (in order): replication and every KPI."""
        return self.table("kpis")

    def table(
        self, name: str, columns: list[str] | None = None, filters: Any = None
    ) -> pd.DataFrame:
        """One stored table, read from its parts, rows in replication order.

        Parameters
        ----------
        name
            A table of :attr:`tables` (e.g. "visits", "daily_pathway", "waiting").
        columns
            Only these columns (the others are not read).
        filters
            Row filters pyarrow applies while reading, e.g. ``[("stage", "==", "therapy")]``
            (see `pandas.read_parquet`).

        Returns
        -------
        DataFrame
            Sorted by replication; within one, rows keep the order they were written in
            (each table's natural order, e.g. day then stage then class), so the result does
            not depend on the order replications finished in.
        """
        folder = self.path / name
        if not folder.is_dir():
            known = ", ".join(self.tables) or "none"
            raise KeyError(f"{self.path}: no table {name!r}; stored tables: {known}")
        read = None if columns is None else list(dict.fromkeys([*columns, "replication"]))
        frame = pd.read_parquet(folder, columns=read, filters=filters)
        frame = frame.sort_values("replication", kind="stable", ignore_index=True)
        return frame if columns is None else frame[list(columns)]

    def kpis_by_period(self) -> pd.DataFrame:
        """The KPIs with periods as rows (`kpis.csv`): one row per replication and period
        (`all` first, the whole measured window; then calendar years and named periods),
        one column per KPI under its plain name (empty where a KPI is not computed for a
        period, e.g. uptake by group outside `all`)."""
        wide = self.kpis.set_index("replication")
        keys = pd.MultiIndex.from_tuples(
            [split_period(column) for column in wide.columns], names=["period", "kpi"]
        )
        long = wide.set_axis(keys, axis="columns").stack("period", future_stack=True)
        order = list(dict.fromkeys(keys.get_level_values("period")))
        kpis = list(dict.fromkeys(keys.get_level_values("kpi")))
        long = long.reset_index()
        long["period"] = pd.Categorical(long["period"], order)
        long = long.sort_values(["replication", "period"], kind="stable", ignore_index=True)
        long["period"] = long["period"].astype(str)
        return long[["replication", "period", *kpis]].rename_axis(columns=None)

    def summary(self) -> pd.DataFrame:
        """Mean, sd and 95% CI of every KPI across replications, in full precision, with the
        scenario's name and the period (`all`, a calendar year or a named period; see
        `sim.periods`): `summary.csv` is this, rounded by `for_people`."""
        summary = confidence_summary(self.kpis)
        split = [split_period(name) for name in summary["kpi"]]
        summary["kpi"] = [kpi for _, kpi in split]
        summary.insert(0, "period", [period for period, _ in split])
        summary.insert(0, "scenario", self.scenario.name)
        return summary

    def chart_inputs(self) -> dict[str, ChartInput]:
        """Every chart's plot function and input frames, by chart name."""
        return _chart_data().chart_inputs(self)

    def charts(self) -> dict[str, Figure]:
        """Every chart as a new matplotlib figure, by name (the files of `charts/`)."""
        return {name: chart.draw() for name, chart in self.chart_inputs().items()}


def read_manifest(path: str | Path) -> dict[str, Any]:
    """The manifest of the finished results folder `path` (of any command).

    Raises
    ------
    ResultsFolderError
        The folder does not exist, is unfinished or holds no manifest, or its manifest is
        not a JSON object.
    """
    path = Path(path)
    manifest = path / MANIFEST
    if not manifest.is_file():
        if (path / INCOMPLETE).is_file():
            why = f"an unfinished run (see {path / INCOMPLETE})"
        elif path.is_dir():
            why = f"not a results folder (no {MANIFEST})"
        else:
            why = "no such folder"
        raise ResultsFolderError(f"{path}: {why}")
    try:
        content = json.loads(manifest.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise ResultsFolderError(f"{manifest}: not readable as JSON: {error}") from None
    if not isinstance(content, dict):
        raise ResultsFolderError(f"{manifest}: not a hubsim manifest (a JSON object)")
    return content


def load(path: str | Path) -> Results:
    """Open a finished results folder: its manifest, the scenario rebuilt and validated from
    it, and lazy access to every table, the summary and the charts.

    Raises
    ------
    ResultsFolderError
        The folder does not exist, is unfinished (no manifest), or its scenario does not
        validate with this version of hubsim.
    """
    path = Path(path)
    results_manifest = read_manifest(path)
    try:
        # JSON-mode validation reads the dumped scenario back with every check the loader
        # applies to a file, cross-section rules included (dates from text, lists as tuples).
        scenario = Scenario.model_validate_json(json.dumps(results_manifest["scenario"]))
    except (KeyError, ValidationError) as error:
        raise ResultsFolderError(
            f"{path / MANIFEST}: the stored scenario does not validate with this version "
            f"of hubsim: {error}"
        ) from error
    return Results(path, scenario)


def _chart_data():
    from sim import chart_data

    return chart_data

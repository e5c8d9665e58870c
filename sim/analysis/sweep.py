"""A sweep: every design point x replication through `run_kpis`, on an executor, stored.

Runs travel to workers in batches (`Executor.map`'s default batch size keeps dispatch under
`sim.execution.DISPATCH_BUDGET_S` a run once there are enough runs), and come back as small
KPI dicts. Finished runs are written to the store in batches (`SweepStore.append`) every
`FLUSH_RUNS` runs or `FLUSH_S` seconds, whichever comes first, so a crash loses at most
that much work and `--resume` recomputes only the runs not stored.

Seeds: replication r of every design point uses the experiment's seed and replication r
(`run_kpis(scenario, seed, r)`): common random numbers across points, so differences between
points are the parameters' effect, not the luck of the draw. A run's numbers depend only on
its point and replication, never on the executor, the worker count, the batch or the order,
so serial, local and Dask sweeps give bit-identical tables.

A local worker that dies (killed, out of memory) breaks the process pool: the sweep keeps
what finished, starts new workers and recomputes the lost runs with the same seeds (Dask
does the same by itself: a dead worker's tasks go to the others).
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterator
from concurrent.futures.process import BrokenProcessPool
from datetime import datetime
from functools import partial
from pathlib import Path

import pandas as pd

from sim.analysis.design import POINT, design_table
from sim.analysis.experiment import Experiment, load_experiment
from sim.analysis.points import RUN_KEYS, PointModel, check_points, point_model, point_values
from sim.analysis.store import ResumeError, SweepStore
from sim.execution import Executor, make_executor

FLUSH_RUNS = 512
"""Most finished runs held in memory before they are written as one batch."""
FLUSH_S = 5.0
"""Longest time finished runs wait in memory before they are written."""
POOL_RESTARTS = 3
"""Times a broken local pool is replaced before the sweep gives up."""


def _run(model: PointModel, seed: int, run: tuple[int, int, tuple]) -> dict[str, float]:
    """One run (a module-level function, so that it pickles for the workers)."""
    return model(seed, run)


def digest(experiment: Experiment, model: PointModel) -> str:
    """Fingerprint of what the sweep computes: the experiment and its resolved base."""
    import hashlib

    base = model.base.digest() if model.base is not None else ""
    return hashlib.sha256(f"{experiment.digest()}:{base}".encode()).hexdigest()


def _manifest(experiment: Experiment, model: PointModel, runs: int, started: datetime) -> dict:
    from sim.provenance import environment

    return {
        "kind": "sweep",
        "experiment": experiment.model_dump(mode="json"),
        "digest": digest(experiment, model),
        "seed": experiment.seed,
        "replications": experiment.replications,
        "design_points": runs // experiment.replications,
        "runs": runs,
        "scenario": None if model.base is None else model.base.model_dump(mode="json"),
        "scenario_digest": None if model.base is None else model.base.digest(),
        "command": sys.argv,
        "started": started.isoformat(timespec="seconds"),
        **environment(),
    }


def _rows(model: PointModel, results: list[tuple[tuple, dict]]) -> pd.DataFrame:
    """Finished runs as tidy rows: point, replication, parameter values, KPIs."""
    records = [
        {
            POINT: point,
            "replication": replication,
            **dict(zip(model.names, values, strict=True)),
            **kpis,
        }
        for (point, replication, values), kpis in results
    ]
    return pd.DataFrame.from_records(records)


def _compute(
    executor: Executor, model: PointModel, seed: int, todo: list[tuple]
) -> Iterator[tuple[tuple, dict]]:
    """`(run, kpis)` for every run in `todo`, replacing a broken local pool and computing
    again, with the same seeds, the runs it lost."""
    remaining = dict(enumerate(todo))
    for attempt in range(POOL_RESTARTS + 1):
        items = list(remaining.values())
        keys = list(remaining)
        try:
            for index, kpis in executor.map(partial(_run, model, seed), items):
                del remaining[keys[index]]
                yield items[index], kpis
            return
        except BrokenProcessPool:
            if attempt == POOL_RESTARTS:
                raise
            print(
                f"sweep: a worker died; starting new workers for the {len(remaining)} runs "
                "not finished",
                file=sys.stderr,
            )
            executor.terminate()


def sweep(
    experiment: Experiment | str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    out: str | Path | None = None,
    resume: bool = False,
    executor: Executor | None = None,
    progress: bool = False,
) -> pd.DataFrame:
    """Run every design point x replication of an experiment; return the tidy table.

    Parameters
    ----------
    experiment
        An `Experiment` or the path of an experiment file.
    workers, scheduler
        Where to compute, as for `sim.execution.make_executor` (default: local processes,
        one per core); ignored when `executor` is given.
    out
        Sweep folder to write (see `sim.analysis.store`); None keeps the results in memory.
    resume
        Continue the sweep in `out` (made by the same experiment), computing only the runs
        not yet stored; starts it if `out` does not exist yet.
    executor
        An executor to use (and leave open) instead of making one.
    progress
        Show a progress bar with the time left.

    Returns
    -------
    pandas.DataFrame
        One row per design point x replication, sorted by them: `point`, `replication`,
        each parameter's value, then every KPI of `sim.run_kpis`.

    Raises
    ------
    ScenarioError
        For an invalid experiment file or design point (before any run).
    ResultsExistError, ResumeError
        For a folder in the way, or one made by another experiment.
    """
    if not isinstance(experiment, Experiment):
        experiment = load_experiment(experiment)
    model = point_model(experiment)
    design = design_table(experiment)
    check_points(model, design, experiment.origin)
    replications = range(experiment.replications)
    runs = [
        (point, replication, values)
        for point, values in zip(design[POINT], point_values(design, model.names), strict=True)
        for replication in replications
    ]
    started = datetime.now()
    store = None if out is None else SweepStore(Path(out))
    done: set[tuple[int, int]] = set()
    if store is not None:
        if not resume:
            store.check_new()
        if store.exists:
            store.check_resumable(digest(experiment, model))
            done = store.finished()
        else:
            store.create(_manifest(experiment, model, len(runs), started), design)
    todo = [run for run in runs if (run[0], run[1]) not in done]
    memory: list[pd.DataFrame] = []
    if todo:
        owned = executor is None
        if owned:
            executor = make_executor(workers, scheduler, items=len(todo))
        try:
            with _Progress(len(runs), len(runs) - len(todo), enabled=progress) as bar:
                _drain(_compute(executor, model, experiment.seed, todo), model, store, memory, bar)
        finally:
            if owned:
                executor.close()
    if store is None:
        frame = pd.concat(memory, ignore_index=True) if memory else _rows(model, [])
        return frame.sort_values(RUN_KEYS, ignore_index=True)
    if not store.complete:
        stored = store.finished()
        missing = len(runs) - len(stored)
        if missing:
            raise ResumeError(f"{store.work}: {missing} runs are not stored; resume again")
        manifest = store.manifest()
        manifest["finished"] = datetime.now().isoformat(timespec="seconds")
        store.finish(manifest)
    return store.runs()


def _drain(
    results: Iterator[tuple[tuple, dict]],
    model: PointModel,
    store: SweepStore | None,
    memory: list[pd.DataFrame],
    bar: _Progress,
) -> None:
    """Collect finished runs and write them in batches; on any stop, write what finished."""
    buffer: list[tuple[tuple, dict]] = []
    flushed = None  # the clock starts at the first result, not while workers start

    def flush() -> None:
        nonlocal flushed
        if buffer:
            rows = _rows(model, buffer)
            if store is None:
                memory.append(rows)
            else:
                store.append(rows)
            buffer.clear()
        flushed = time.monotonic()

    try:
        for result in results:
            buffer.append(result)
            bar.update()
            flushed = time.monotonic() if flushed is None else flushed
            if len(buffer) >= FLUSH_RUNS or time.monotonic() - flushed >= FLUSH_S:
                flush()
    finally:
        flush()


class _Progress:
    """A tqdm bar over all runs (those already stored counted as done), or nothing."""

    def __init__(self, total: int, initial: int, *, enabled: bool) -> None:
        self._bar = None
        if enabled:
            from tqdm import tqdm

            self._bar = tqdm(total=total, initial=initial, unit="run", desc="sweep")

    def __enter__(self) -> _Progress:
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._bar is not None:
            self._bar.close()

    def update(self) -> None:
        """One more run finished."""
        if self._bar is not None:
            self._bar.update()

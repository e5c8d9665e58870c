"""A crash-safe results folder: tables as Parquet parts, CSV, charts as PNG, a JSON manifest.

A run writes into `<folder>.partial` and renames it to `<folder>` only when everything is
written, so a folder without `.partial` is always complete. Each replication's tables are
written as soon as it finishes, one Parquet part per table and replication
(`<table>/part-<replication:05d>.parquet`): memory does not grow with the number of
replications, and a run that stops keeps every replication it finished, with an
`INCOMPLETE` note saying which. A folder of parts reads as one table
(`pandas.read_parquet(folder / "visits")`, pyarrow datasets, polars, duckdb).

Nothing is ever overwritten or deleted: not a finished folder, and not a `.partial` folder
(a stopped run's finished work, or a run still writing). The one exception is a stale
`.partial`, one that a lock file proves was made by a run that is now dead
(`sim.run_lock`): it is cleared out of the way, and reported. If it holds finished work (a
replication's parts), it is moved aside to `<folder>.incomplete-<time>`, never deleted; only
a stale folder with no finished work in it is removed.
"""

from __future__ import annotations

import json
import os
import shutil
import warnings
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

from sim.run_lock import LOCK_FILE, RunLock

PARTIAL_SUFFIX = ".partial"
MANIFEST = "manifest.json"
INCOMPLETE = "INCOMPLETE"
PART_GLOB = "part-*.parquet"


class ResultsExistError(Exception):
    """The results folder, or its `.partial` working folder, already exists."""


class ResultsPathError(Exception):
    """The results folder cannot be created there (checked before any simulation)."""


def new_results_path(parent: Path, stem: str, now: datetime | None = None) -> Path:
    """A fresh folder name `parent/stem-YYYYmmdd-HHMMSS`, numbered if that name is taken."""
    stamp = (now or datetime.now()).strftime("%Y%m%d-%H%M%S")
    candidate = parent / f"{stem}-{stamp}"
    number = 2
    while candidate.exists() or _partial(candidate).exists():
        candidate = parent / f"{stem}-{stamp}-{number}"
        number += 1
    return candidate


def _partial(path: Path) -> Path:
    return path.with_name(path.name + PARTIAL_SUFFIX)


def _cannot_create(work: Path, reason: object) -> str:
    where = ""
    for parent in work.parents:
        try:
            if parent.exists():
                if not parent.is_dir():
                    where = f" ({parent} is a file, not a folder)"
                break
        except OSError:  # still too long a name
            continue
    shown = str(work) if len(str(work)) <= 120 else f"{str(work)[:60]}...{str(work)[-40:]}"
    return f"{shown}: cannot create the results folder: {reason}{where}; choose another --out"


def part_name(replication: int) -> str:
    """The file name of one replication's part of a table."""
    return f"part-{replication:05d}.parquet"


def part_counts(root: Path) -> dict[str, int]:
    """Each table stored as parts under `root` and its number of parts, by name."""
    folders = sorted(p for p in Path(root).iterdir() if p.is_dir())
    counts = {folder.name: len(list(folder.glob(PART_GLOB))) for folder in folders}
    return {name: count for name, count in counts.items() if count}


class ResultsFolder:
    """Writes one run's results; `finish()` makes them visible under the final name."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.work = _partial(self.path)

    def check(self) -> str | None:
        """Refuse, before anything is simulated, a folder that could not be created: one that
        exists (finished, or a `.partial` of a live run or of no provable owner), a link to
        nowhere, a name the file system refuses, or a parent that is a file or not writable.

        A stale `.partial` (its lock names a dead run) is cleared out of the way first
        (:meth:`_clear_stale`); the returned text says what was done with it (None if there
        was none), for the user to read."""
        cleared = None
        try:
            if self.path.exists():
                raise ResultsExistError(
                    f"{self.path}: results folder already exists; it is never overwritten. "
                    "Choose another --out, or move or delete that folder."
                )
            if self.work.exists() or self.work.is_symlink():
                cleared = self._clear_stale()
            if self.path.is_symlink():  # a link to nowhere: renaming onto it would replace it
                raise ResultsPathError(
                    f"{self.path}: is a symbolic link to {os.readlink(self.path)!r}, which "
                    "does not exist; choose another --out"
                )
            parent = next(p for p in self.work.parents if p.exists())
        except OSError as error:  # e.g. a name longer than the file system allows
            raise ResultsPathError(_cannot_create(self.work, error.strerror or error)) from None
        if not parent.is_dir():
            raise ResultsPathError(_cannot_create(self.work, "a file is in the way"))
        if not os.access(parent, os.W_OK | os.X_OK):
            raise ResultsPathError(_cannot_create(self.work, f"{parent} is not writable"))
        return cleared

    def _clear_stale(self) -> str:
        """Move a stale `.partial` out of the way (aside if it holds finished work, removed
        if not) and say so; refuse one that is not provably stale."""
        lock = RunLock.read(self.work) if self.work.is_dir() else None
        if lock is None:
            raise ResultsExistError(
                f"{self.work}: an unfinished results folder is in the way, with no lock file of"
                " a hubsim run that would prove it stale; it is never deleted. Choose another "
                "--out, or move or delete that folder."
            )
        if not lock.is_dead():
            raise ResultsExistError(
                f"{self.work}: another run is writing here ({lock.describe()}), or one on a "
                "host this machine cannot check; it is never deleted. Choose another --out."
            )
        left_by = f"left by a run that is no longer running ({lock.describe()})"
        if not _holds_work(self.work):
            shutil.rmtree(self.work)
            return f"{self.work}: removed, {left_by}; it held no finished replication"
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        aside = self.path.with_name(f"{self.path.name}.incomplete-{stamp}")
        number = 2
        while aside.exists():
            aside = self.path.with_name(f"{self.path.name}.incomplete-{stamp}-{number}")
            number += 1
        try:
            self.work.rename(aside)
        except FileNotFoundError:  # another run cleared it first
            return f"{self.work}: cleared by another run, {left_by}"
        (aside / LOCK_FILE).unlink(missing_ok=True)
        if not (aside / INCOMPLETE).exists():
            counts = part_counts(aside)
            (aside / INCOMPLETE).write_text(
                f"This run was stopped ({left_by}) before it finished.\n"
                f"Parts written per table: {counts}\n",
                encoding="utf-8",
            )
        return f"{self.work}: {left_by}; moved to {aside}, which keeps its finished work"

    def open(self) -> ResultsFolder:
        """Create the working folder (atomically: of two runs on the same folder, exactly one
        gets it) with this process's lock in it; refuse as :meth:`check` does."""
        cleared = self.check()
        if cleared:
            warnings.warn(cleared, stacklevel=2)
        try:
            self.work.parent.mkdir(parents=True, exist_ok=True)
            self.work.mkdir()
        except FileExistsError:
            if self.work.is_dir():
                raise ResultsExistError(
                    f"{self.work}: another run has just started writing here; choose another --out"
                ) from None
            raise ResultsPathError(_cannot_create(self.work, "a file is in the way")) from None
        except OSError as error:  # a read-only file system, a name too long, ...
            raise ResultsPathError(_cannot_create(self.work, error.strerror or error)) from None
        RunLock.of_this_process().write(self.work)
        return self

    def parts(self, replication: int, tables: dict[str, pd.DataFrame]) -> list[Path]:
        """Write one replication's tables, each as its part `name/part-<r>.parquet`.

        All or nothing: if writing stops partway (an error, Ctrl-C), the parts written for
        this replication are removed, so every part on disk belongs to a finished
        replication. A replication already written is refused.
        """
        targets = [self.work / name / part_name(replication) for name in tables]
        taken = [target for target in targets if target.exists()]
        if taken:
            raise ValueError(f"replication {replication} was already written ({taken[0]})")
        written: list[Path] = []
        try:
            for target, frame in zip(targets, tables.values(), strict=True):
                target.parent.mkdir(exist_ok=True)
                # A hidden name until complete: readers skip names starting with ".".
                hidden = target.with_name(f".{target.name}.writing")
                frame.to_parquet(hidden, index=False)
                os.replace(hidden, target)
                written.append(target)
        except BaseException:
            for target in written:
                target.unlink()
            raise
        return written

    def table(self, name: str, frame: pd.DataFrame) -> Path:
        """Write a whole table as one Parquet file (`name.parquet`)."""
        target = self.work / f"{name}.parquet"
        target.parent.mkdir(parents=True, exist_ok=True)
        frame.to_parquet(target, index=False)
        return target

    def csv(self, name: str, frame: pd.DataFrame) -> Path:
        """Write a small table as CSV (`name.csv`), for spreadsheets."""
        target = self.work / f"{name}.csv"
        target.parent.mkdir(parents=True, exist_ok=True)
        frame.to_csv(target, index=False)
        return target

    def figure(self, name: str, figure: Any) -> Path:
        """Save a matplotlib figure as `charts/name.png` (`sim.charts.figure_png`)."""
        from sim.charts import figure_png  # matplotlib: only where charts are made

        return self.png(name, figure_png(figure))

    def png(self, name: str, image: bytes) -> Path:
        """Write a chart already rendered to PNG (e.g. on a worker) as `charts/name.png`."""
        target = self.work / "charts" / f"{name}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(image)
        return target

    def text(self, name: str, content: str) -> Path:
        """Write a text file (e.g. the HTML report)."""
        target = self.work / name
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(content, encoding="utf-8")
        return target

    def abandon(self, replications: list[int], reason: BaseException) -> Path:
        """Leave the working folder as it is, with an `INCOMPLETE` note of what finished."""
        finished = ", ".join(map(str, sorted(replications))) or "none"
        try:
            return self.text(
                INCOMPLETE,
                f"This run stopped before it finished ({type(reason).__name__}: {reason}).\n"
                f"Replications finished and written ({len(replications)}): {finished}\n"
                "Every part here belongs to a finished replication; a table's folder of parts "
                "reads as one table, e.g. pandas.read_parquet('visits').\n",
            )
        except OSError:  # e.g. the disk that stopped the run is still full
            return self.work / INCOMPLETE

    def finish(self, manifest: dict) -> Path:
        """Write the manifest and publish the folder under its final name."""
        (self.work / MANIFEST).write_text(
            json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8"
        )
        if self.path.exists():
            raise ResultsExistError(f"{self.path}: appeared while the run was writing")
        (self.work / LOCK_FILE).unlink()
        self.work.rename(self.path)
        return self.path


def _holds_work(folder: Path) -> bool:
    """Whether `folder` holds any file but the tool's bookkeeping (the lock, the INCOMPLETE
    note, hidden half-written files): finished work that must not be deleted."""
    bookkeeping = {LOCK_FILE, INCOMPLETE}
    return any(
        path.is_file() and path.name not in bookkeeping and not path.name.startswith(".")
        for path in folder.rglob("*")
    )

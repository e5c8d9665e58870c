"""A sweep's results folder: append-only Parquet batches beside a manifest, crash-safe.

    DIR.partial/             while the sweep runs (renamed to DIR once every run is in)
      manifest.json          experiment as resolved, its digest, seed, versions, times
      design.parquet         one row per design point: values and unit-cube coordinates
      runs/batch-000001.parquet ...   finished runs: point, replication, values, KPIs
      analysis/              index tables and charts (`hubsim analyse` rebuilds them)

Each batch of finished runs is written to a hidden name, flushed to disk and renamed into
place, so a batch file is there whole or not at all, whatever stops the process (SIGKILL,
power): a reader (pandas, pyarrow, polars, duckdb) skips hidden names. Nothing is ever
rewritten: resuming lists the runs already in `runs/`, computes only the others and adds
new batches. The manifest's digest covers the experiment and its resolved base scenario, so
a changed experiment refuses to resume into the old folder.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq

from sim.analysis.points import RUN_KEYS
from sim.store import MANIFEST, PARTIAL_SUFFIX, ResultsExistError, ResultsPathError

RUNS = "runs"
DESIGN = "design.parquet"
ANALYSIS = "analysis"
BATCH_GLOB = "batch-*.parquet"


class ResumeError(Exception):
    """The folder cannot be resumed: another experiment's, or not a sweep folder."""


def _partial(path: Path) -> Path:
    return path.with_name(path.name + PARTIAL_SUFFIX)


def _write_atomically(target: Path, write) -> None:
    """`write(hidden_path)`, flushed to disk, then renamed to `target` (all or nothing)."""
    hidden = target.with_name(f".{target.name}.writing")
    write(hidden)
    with open(hidden, "rb") as handle:
        os.fsync(handle.fileno())
    os.replace(hidden, target)


def _write_json(target: Path, content: dict) -> None:
    text = json.dumps(content, indent=2, default=str) + "\n"
    _write_atomically(target, lambda path: path.write_text(text, encoding="utf-8"))


class SweepStore:
    """The folder of one sweep; `path` is its final name (`DIR`, not `DIR.partial`)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.work = _partial(self.path)

    @property
    def folder(self) -> Path:
        """Where the files are now: the final folder once complete, else the working one."""
        return self.path if self.complete else self.work

    @property
    def complete(self) -> bool:
        """Whether every run is in (the folder has its final name)."""
        return (self.path / MANIFEST).is_file()

    @property
    def exists(self) -> bool:
        """Whether the folder exists, finished or not."""
        return self.path.exists() or self.work.exists()

    def check_new(self) -> None:
        """Refuse a folder that exists, finished or not (it is never overwritten)."""
        for taken in (self.path, self.work):
            if taken.exists():
                raise ResultsExistError(
                    f"{taken}: a sweep folder is already there; it is never overwritten. "
                    "Resume it with --resume, or choose another --out."
                )

    def create(self, manifest: dict, design: pd.DataFrame) -> None:
        """Start a new sweep folder; refuse one that exists (finished or not)."""
        self.check_new()
        try:
            self.work.parent.mkdir(parents=True, exist_ok=True)
            self.work.mkdir()
            (self.work / RUNS).mkdir()
        except FileExistsError:
            raise ResultsExistError(f"{self.work}: another sweep has just started here") from None
        except OSError as error:
            raise ResultsPathError(
                f"{self.work}: cannot create the sweep folder: {error.strerror or error}"
            ) from None
        _write_atomically(self.work / DESIGN, lambda path: design.to_parquet(path, index=False))
        _write_json(self.work / MANIFEST, manifest)

    def manifest(self) -> dict:
        """The manifest as stored."""
        try:
            return json.loads((self.folder / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ResumeError(f"{self.folder}: not a readable sweep folder ({error})") from None

    def check_resumable(self, digest: str) -> None:
        """Refuse to resume a folder made by another experiment (or base scenario)."""
        stored = self.manifest().get("digest")
        if stored != digest:
            raise ResumeError(
                f"{self.folder}: made by a different experiment (digest {str(stored)[:12]}, "
                f"this one {digest[:12]}): the experiment file or its base scenario changed "
                "since. Resuming would mix two experiments; choose another --out."
            )

    def finished(self) -> set[tuple[int, int]]:
        """The (point, replication) of every run already stored."""
        parts = sorted((self.folder / RUNS).glob(BATCH_GLOB))
        keys: set[tuple[int, int]] = set()
        for part in parts:
            table = pq.read_table(part, columns=RUN_KEYS)
            keys.update(zip(*(table[key].to_pylist() for key in RUN_KEYS), strict=True))
        return keys

    def append(self, rows: pd.DataFrame) -> Path:
        """Store a batch of finished runs as the next `runs/batch-NNNNNN.parquet`."""
        folder = self.work / RUNS
        numbers = [int(p.stem.removeprefix("batch-")) for p in folder.glob(BATCH_GLOB)]
        target = folder / f"batch-{max(numbers, default=0) + 1:06d}.parquet"
        _write_atomically(target, lambda path: rows.to_parquet(path, index=False))
        return target

    def finish(self, manifest: dict) -> Path:
        """Write the final manifest and give the folder its final name."""
        _write_json(self.work / MANIFEST, manifest)
        if self.path.exists():
            raise ResultsExistError(f"{self.path}: appeared while the sweep was running")
        self.work.rename(self.path)
        return self.path

    def design(self) -> pd.DataFrame:
        """The design table."""
        return pd.read_parquet(self.folder / DESIGN)

    def runs(self) -> pd.DataFrame:
        """Every stored run, one row each, sorted by point and replication."""
        parts = sorted((self.folder / RUNS).glob(BATCH_GLOB))
        if not parts:
            return pd.DataFrame(columns=RUN_KEYS)
        frame = pd.concat([pd.read_parquet(part) for part in parts], ignore_index=True)
        return frame.sort_values(RUN_KEYS, ignore_index=True)


def open_sweep(path: str | Path) -> SweepStore:
    """The sweep folder at `path` (given with or without `.partial`), which must exist."""
    path = Path(path)
    if path.name.endswith(PARTIAL_SUFFIX):
        path = path.with_name(path.name.removesuffix(PARTIAL_SUFFIX))
    store = SweepStore(path)
    if not (store.folder / MANIFEST).is_file():
        raise ResumeError(f"{path}: not a sweep folder (no {MANIFEST} in it or in {store.work})")
    return store

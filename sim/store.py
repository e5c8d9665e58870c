"""A crash-safe results folder: tables as Parquet parts, CSV, charts as PNG, a JSON manifest.

A run writes into `<folder>.partial` and renames it to `<folder>` only when everything is
written, so a folder without `.partial` is always complete. Each replication's tables are
written as soon as it finishes, one Parquet part per table and replication
(`<table>/part-<replication:05d>.parquet`): memory does not grow with the number of
replications, and a run that stops keeps every replication it finished, with an
`INCOMPLETE` note saying which. A folder of parts reads as one table
(`pandas.read_parquet(folder / "visits")`, pyarrow datasets, polars, duckdb).

Nothing is ever overwritten or deleted: not a finished folder, and not a `.partial` folder
(a stopped run's finished work, or a run still writing).
"""

from __future__ import annotations

import json
import os
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

PARTIAL_SUFFIX = ".partial"
MANIFEST = "manifest.json"
INCOMPLETE = "INCOMPLETE"
PART_GLOB = "part-*.parquet"


class ResultsExistError(Exception):
    """The results folder, or its `.partial` working folder, already exists."""


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

    def open(self) -> ResultsFolder:
        """Create the working folder; refuse if the final or the working folder exists."""
        if self.path.exists():
            raise ResultsExistError(
                f"{self.path}: results folder already exists; it is never overwritten. "
                "Choose another --out, or move or delete that folder."
            )
        if self.work.exists():
            raise ResultsExistError(
                f"{self.work}: an unfinished results folder is in the way (a run that "
                "stopped, whose finished replications it keeps, or a run still writing); "
                "it is never deleted. Choose another --out, or move or delete that folder."
            )
        self.work.mkdir(parents=True)
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
        """Save a matplotlib figure as `charts/name.png`."""
        target = self.work / "charts" / f"{name}.png"
        target.parent.mkdir(parents=True, exist_ok=True)
        figure.savefig(target, dpi=120, bbox_inches="tight")
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
        return self.text(
            INCOMPLETE,
            f"This run stopped before it finished ({type(reason).__name__}: {reason}).\n"
            f"Replications finished and written ({len(replications)}): {finished}\n"
            "Every part here belongs to a finished replication; a table's folder of parts "
            "reads as one table, e.g. pandas.read_parquet('visits').\n",
        )

    def finish(self, manifest: dict) -> Path:
        """Write the manifest and publish the folder under its final name."""
        (self.work / MANIFEST).write_text(
            json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8"
        )
        if self.path.exists():
            raise ResultsExistError(f"{self.path}: appeared while the run was writing")
        self.work.rename(self.path)
        return self.path

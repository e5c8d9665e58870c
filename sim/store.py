"""A crash-safe results folder: tables as Parquet/CSV, charts as PNG, a JSON manifest.

A run writes into `<folder>.partial` and renames it to `<folder>` only when everything is
written, so a folder without `.partial` is always complete. An existing folder is never
overwritten; an abandoned `.partial` folder (a crashed run) is replaced.
"""

from __future__ import annotations

import json
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd

PARTIAL_SUFFIX = ".partial"
MANIFEST = "manifest.json"


class ResultsExistError(Exception):
    """The results folder already exists (and is never overwritten)."""


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


class ResultsFolder:
    """Writes one run's results; `finish()` makes them visible under the final name."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.work = _partial(self.path)

    def open(self) -> ResultsFolder:
        """Create the working folder; refuse if the final folder exists."""
        if self.path.exists():
            raise ResultsExistError(
                f"{self.path}: results folder already exists; it is never overwritten. "
                "Choose another --out, or move or delete that folder."
            )
        if self.work.exists():
            shutil.rmtree(self.work)  # left by a crashed run: unfinished, nothing to keep
        self.work.mkdir(parents=True)
        return self

    def table(self, name: str, frame: pd.DataFrame) -> Path:
        """Write a tidy table as Parquet (`name.parquet`)."""
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

    def finish(self, manifest: dict) -> Path:
        """Write the manifest and publish the folder under its final name."""
        (self.work / MANIFEST).write_text(
            json.dumps(manifest, indent=2, default=str) + "\n", encoding="utf-8"
        )
        if self.path.exists():
            raise ResultsExistError(f"{self.path}: appeared while the run was writing")
        self.work.rename(self.path)
        return self.path

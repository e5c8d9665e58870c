"""The kinds of results folder a report is written from, told apart by what they hold.

- a run's (`hubsim run`): a manifest with the one `scenario` it ran;
- a comparison's (`hubsim compare`): `comparison.csv`, and the `scenarios` compared;
- a capacity search's (`hubsim capacity`): `capacity.json`, and the `scenarios` searched.

Anything else (a sweep's folder, an unfinished or unrelated folder) is refused with a
`ReportError` that says what the folder is and what a report needs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from sim import results
from sim.planning.folders import CAPACITY_FILE, COMPARISON_FILE
from sim.report.page import ReportError
from sim.scenario import Scenario
from sim.store import MANIFEST

Kind = Literal["run", "comparison", "capacity"]
RUN: Kind = "run"
COMPARISON: Kind = "comparison"
CAPACITY: Kind = "capacity"


def read_manifest(path: Path) -> dict[str, Any]:
    """The folder's manifest (`sim.results.read_manifest`), or a `ReportError` saying why
    there is none to read."""
    try:
        return results.read_manifest(path)
    except results.ResultsFolderError as error:
        raise ReportError(
            f"{error}; a report needs a finished folder of hubsim run, compare or capacity"
        ) from None


def folder_kind(path: str | Path) -> Kind:
    """Which kind of results folder `path` is (see the module docstring).

    Raises
    ------
    ReportError
        The folder is missing, unfinished, or none of the three kinds.
    """
    path = Path(path)
    manifest = read_manifest(path)
    if (path / CAPACITY_FILE).is_file() and "scenarios" in manifest:
        return CAPACITY
    if (path / COMPARISON_FILE).is_file() and "scenarios" in manifest:
        return COMPARISON
    if "scenario" in manifest:
        return RUN
    if "experiment" in manifest:
        raise ReportError(
            f"{path}: a sweep's folder (hubsim sweep); its charts and indices are written by "
            "`hubsim analyse`, a report is for a folder of hubsim run, compare or capacity"
        )
    raise ReportError(
        f"{path}: not a folder of hubsim run, compare or capacity: its {MANIFEST} names no "
        f"scenario, and it has no {COMPARISON_FILE} or {CAPACITY_FILE}"
    )


def stored_scenarios(path: Path, manifest: dict[str, Any]) -> list[Scenario]:
    """The scenarios of a comparison's or capacity search's manifest, validated again as a
    run's folder's scenario is (`sim.results.load`)."""
    try:
        return [
            Scenario.model_validate_json(json.dumps(dumped)) for dumped in manifest["scenarios"]
        ]
    except (KeyError, TypeError, ValidationError) as error:
        raise ReportError(
            f"{Path(path) / MANIFEST}: the stored scenarios do not validate with this version "
            f"of hubsim: {error}"
        ) from None

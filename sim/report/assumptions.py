"""The report's assumptions table: every parameter of the run with its value and its source,
or "assumption" where the scenario file gives none.

Built from the results folder: `parameters.csv` (each parameter's value, where it was
written and its comment, kept by `hubsim run`; see `sim.scenario.sources`) and the
manifest's `--set` overrides. A folder without `parameters.csv` (written from Python
without the scenario file) still gets every value, from the resolved scenario in the
manifest, with its source "not recorded".
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from sim.scenario import Scenario
from sim.scenario.sources import SKIPPED, dotted, leaves

PARAMETERS_FILE = "parameters.csv"

SOURCED, ASSUMPTION, DEFAULT, OVERRIDE, NOT_RECORDED = (
    "sourced",
    "assumption",
    "hubsim default",
    "changed with --set",
    "not recorded",
)

_LABEL = re.compile(r"\((S|D|A|L|M|S-analogue|L-M|S/D)\b|\b(S|D)(?:/D)?:")
"""A domain-facts label in a comment: S sourced, D derived, A assumption; L and M (low and
medium confidence) rate sourced rows (see the header of scenarios/baseline.yaml)."""


def basis(comment: str, written: bool) -> str:
    """What a parameter's value rests on, from its comment.

    "assumption" when the comment says so first or cites a domain-facts row labelled A,
    or gives no source; "sourced" when it cites a row labelled S, D, L or M (or is a D:
    derivation); "hubsim default" for a value no file wrote.
    """
    if not written:
        return DEFAULT
    text = comment.strip()
    if not text or text.lower().startswith("assumption"):
        return ASSUMPTION
    label = _LABEL.search(text)
    if label is None:
        return ASSUMPTION
    first = label.group(1) or label.group(2)
    return ASSUMPTION if first == "A" else SOURCED


def _overridden(parameter: str, overrides: Sequence[str]) -> bool:
    paths = [override.partition("=")[0].strip() for override in overrides]
    return any(
        parameter == path or parameter.startswith((f"{path}.", f"{path}[")) for path in paths
    )


def assumptions_table(folder: Path, scenario: Scenario, overrides: Sequence[str]) -> pd.DataFrame:
    """Every parameter: `parameter`, `value`, `source` (the comment, "assumption",
    "hubsim default" or "--set ..."), `basis` (sourced, assumption, hubsim default,
    changed with --set, not recorded) and `where` (file:line).

    Parameters
    ----------
    folder
        The results folder (its `parameters.csv` is read if there).
    scenario
        The resolved scenario of the run (used when there is no `parameters.csv`).
    overrides
        The `--set PATH=VALUE` arguments of the run, from the manifest.
    """
    path = Path(folder) / PARAMETERS_FILE
    if path.is_file():
        written = pd.read_csv(path, dtype=str, keep_default_na=False)
    else:
        written = pd.DataFrame(
            [
                {
                    "parameter": dotted(key),
                    "value": str(value),
                    "file": "",
                    "line": "",
                    "comment": "",
                }
                for key, value in leaves(scenario.model_dump(mode="json"))
                if key[0] not in SKIPPED
            ]
        )
    rows = []
    for row in written.itertuples():
        if not path.is_file():
            kind, source = NOT_RECORDED, "not recorded in this results folder"
        elif _overridden(row.parameter, overrides):
            kind = OVERRIDE
            source = "changed on the command line: " + ", ".join(
                o for o in overrides if _overridden(row.parameter, [o])
            )
        else:
            kind = basis(row.comment, bool(row.file))
            source = row.comment or (ASSUMPTION if row.file else "hubsim's default value")
        where = f"{Path(row.file).name}:{row.line}" if row.file else ""
        rows.append(
            {
                "parameter": row.parameter,
                "value": row.value,
                "source": source,
                "basis": kind,
                "where": where,
            }
        )
    return pd.DataFrame(rows, columns=["parameter", "value", "source", "basis", "where"])

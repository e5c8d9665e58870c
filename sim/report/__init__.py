"""The HTML commissioning report of a results folder: `hubsim report DIR`, `hubsim run
--report`, `hubsim compare --report`, `hubsim capacity --report`, and from Python
``sim.report(DIR)`` (the same as ``sim.report.write_report``).

`writer` writes the page of whichever kind of folder it is given (`kinds` tells a run's, a
comparison's and a capacity search's apart); `html` builds a run's page, `comparison` a
comparison's, `capacity` a capacity search's, all on `page` (templates, embedded charts,
provenance). `headline` gives the KPIs with red/amber/green against the targets,
`assumptions` the table of parameters and sources, `equity` uptake by group with small
numbers suppressed, `commands` the `hubsim report` command. Importing this package is
instant (the CLI imports `commands` at start-up): the page's modules load on first use.
"""

from __future__ import annotations

import sys
import types
from importlib import import_module
from pathlib import Path

__all__ = ["ReportError", "write_report"]


def __getattr__(name: str) -> object:
    if name in __all__:
        return getattr(import_module("sim.report.writer"), name)
    raise AttributeError(f"module 'sim.report' has no attribute {name!r}")


class _CallableModule(types.ModuleType):
    """`sim.report` is both this package and the function that writes a report: once the
    package is imported it is the attribute `sim.report`, so calling it must work too."""

    def __call__(self, results_dir: str | Path, out: str | Path | None = None) -> Path:
        return import_module("sim.report.writer").write_report(results_dir, out)


sys.modules[__name__].__class__ = _CallableModule

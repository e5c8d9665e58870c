"""`write_report(folder)`: the HTML report of any finished results folder of hubsim run,
compare or capacity, told apart by what the folder holds (`sim.report.kinds`)."""

from __future__ import annotations

from pathlib import Path

from sim.report.kinds import CAPACITY, COMPARISON, folder_kind
from sim.report.page import REPORT_FILE, ReportError, write_page
from sim.results import ResultsFolderError, load


def render_folder(results_dir: str | Path) -> str:
    """The report page of a results folder of any kind, as HTML text."""
    kind = folder_kind(results_dir)
    if kind == COMPARISON:
        from sim.report.comparison import render_comparison

        return render_comparison(results_dir)
    if kind == CAPACITY:
        from sim.report.capacity import render_capacity

        return render_capacity(results_dir)
    from sim.report.html import render_report

    try:
        results = load(results_dir)
    except ResultsFolderError as error:
        raise ReportError(str(error)) from None
    return render_report(results)


def write_report(results_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write the HTML report of a finished results folder and return its path.

    Parameters
    ----------
    results_dir
        A results folder written by `hubsim run` (or `sim.results.write_results`), by
        `hubsim compare` or by `hubsim capacity`: the report of each kind is its own page
        (see docs/report.md).
    out
        Where to write it (default: `report.html` inside the folder). A report is derived
        from the folder alone, so an earlier report at that path is replaced.

    Raises
    ------
    ReportError
        The folder is not a finished, readable results folder of one of those kinds.
    """
    page = render_folder(results_dir)
    target = Path(out) if out is not None else Path(results_dir) / REPORT_FILE
    return write_page(target, page)

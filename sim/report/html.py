"""`write_report(results_dir)`: one self-contained HTML file for a commissioning meeting,
built from a results folder alone (its manifest, tables, summary and charts).

The page has no external resources (charts are embedded as PNG data URIs, the style sheet
is inline, there is no script), so it can be e-mailed, opened offline and printed. The
template (`templates/report.html.j2`) is rendered by Jinja2 with autoescaping: names and
descriptions from a scenario file are text, never markup.
"""

from __future__ import annotations

import base64
import io
import os
from datetime import datetime
from pathlib import Path
from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape

from sim.periods import period_windows
from sim.report.assumptions import assumptions_table
from sim.report.equity import SMALL_NUMBER, equity_table
from sim.report.headline import GREEN, RED, STATUS_WORDS, headline_rows
from sim.results import Results, ResultsFolderError, load

REPORT_FILE = "report.html"

CHART_ORDER = (
    "staffing",
    "external_places",
    "referrals_vs_capacity",
    "target_",
    "weeks_waited_",
    "waiting_",
    "uptake_by_group",
)
"""Charts in the order a meeting reads them: capacity, demand, targets, waits, equity."""

CHART_NOTES = {
    "staffing": "Staff on each hub stage over time, in whole-time equivalents (WTE), as the "
    "scenario sets them (the numbers written on each line are the levels).",
    "external_places": "Caseload places at each external service the hub refers on to, "
    "waiting-list initiatives included.",
    "referrals_vs_capacity": "Referrals each week (median of the runs, with the range of "
    "50% and 90% of runs) against the first stage's capacity: people a week at its mean "
    "service time. Referrals above the line build a waiting list.",
    "target_": "Share of each month's referrals that reached the target's stage within the "
    "target's days (median of the runs, with bands); the dashed line is the target.",
    "weeks_waited_": "How long the people on the waiting list had waited so far at the end of "
    "each week: the median person and the 90th percentile (one in ten had waited longer).",
    "waiting_": "People on the waiting list at the end of each day (median of the runs, with "
    "the range of 50% and 90% of runs).",
    "uptake_by_group": "Referrals per 1,000 person-years in need, by group of keyworkers, with "
    "95% confidence intervals; the dashed line is all staff. A group well below the line is "
    "less likely to be referred when in need.",
}


class ReportError(Exception):
    """The folder cannot be reported on (not a finished results folder)."""


def _chart_key(name: str) -> tuple[int, str]:
    for index, prefix in enumerate(CHART_ORDER):
        if name == prefix or (prefix.endswith("_") and name.startswith(prefix)):
            return index, name
    return len(CHART_ORDER), name


def _note(name: str) -> str:
    return next((note for prefix, note in CHART_NOTES.items() if name.startswith(prefix)), "")


def _charts(results: Results) -> list[dict[str, str]]:
    """Every chart as a data URI: the folder's PNG files, or drawn from its tables when it
    kept none (`outputs.charts: false`)."""
    stored = sorted((results.path / "charts").glob("*.png"))
    if stored:
        images = {path.stem: path.read_bytes() for path in stored}
    else:
        images = {}
        for name, figure in results.charts().items():
            buffer = io.BytesIO()
            figure.savefig(buffer, format="png", dpi=120, bbox_inches="tight")
            images[name] = buffer.getvalue()
    return [
        {
            "name": name,
            "title": name.replace("_", " "),
            "note": _note(name),
            "uri": "data:image/png;base64," + base64.b64encode(images[name]).decode("ascii"),
        }
        for name in sorted(images, key=_chart_key)
    ]


def report_context(results: Results) -> dict[str, Any]:
    """Everything the template shows, from the results folder alone."""
    scenario, manifest = results.scenario, results.manifest
    summary = results.summary()
    rows = headline_rows(scenario, summary)
    windows = {w.name: w for w in period_windows(scenario)}
    periods = [{"name": "all", "label": "whole run", "dates": ""}]
    for name in dict.fromkeys(summary["period"]):
        if name in windows:
            window = windows[name]
            whole_year = window.kind != "year" or window.days >= 365
            periods.append(
                {
                    "name": name,
                    "label": name.replace("_", " ") + ("" if whole_year else " (part)"),
                    "dates": f"{window.first_date} to {window.last_date}",
                }
            )
    sim = scenario.simulation
    equity = None
    if "groups" in results.tables:
        equity = equity_table(results.table("groups"), results.kpis).to_dict("records")
    git = manifest.get("git") or {}
    return {
        "scenario": scenario,
        "manifest": manifest,
        "run_date": results.started.strftime("%d %B %Y"),
        "measured": f"{sim.start_date} to {sim.end_date}"
        + (f", the first {sim.warmup_days} days a warm-up left out" if sim.warmup_days else ""),
        "replications": manifest.get("replications"),
        "rows": rows,
        "periods": periods,
        "charts": _charts(results),
        "assumptions": assumptions_table(
            results.path, scenario, manifest.get("overrides", [])
        ).to_dict("records"),
        "equity": equity,
        "small_number": SMALL_NUMBER,
        "status_words": STATUS_WORDS,
        "green": GREEN,
        "red": RED,
        "git": git,
        "packages": manifest.get("packages", {}),
        "generated": datetime.now().strftime("%d %B %Y %H:%M"),
    }


_ENVIRONMENT = Environment(
    loader=PackageLoader("sim.report", "templates"),
    autoescape=select_autoescape(["html", "j2"]),
    trim_blocks=True,
    lstrip_blocks=True,
)


def render_report(results: Results) -> str:
    """The report page for a results folder, as HTML text."""
    return _ENVIRONMENT.get_template("report.html.j2").render(report_context(results))


def write_report(results_dir: str | Path, out: str | Path | None = None) -> Path:
    """Write the HTML report of a finished results folder and return its path.

    Parameters
    ----------
    results_dir
        A results folder written by `hubsim run` (or `sim.results.write_results`).
    out
        Where to write it (default: `report.html` inside the folder). A report is derived
        from the folder alone, so an earlier report at that path is replaced.

    Raises
    ------
    ReportError
        The folder is not a finished, readable results folder.
    """
    try:
        results = load(results_dir)
    except ResultsFolderError as error:
        raise ReportError(str(error)) from None
    target = Path(out) if out is not None else results.path / REPORT_FILE
    page = render_report(results)
    hidden = target.with_name(f".{target.name}.writing")
    hidden.write_text(page, encoding="utf-8")
    os.replace(hidden, target)  # a reader never sees half a report
    return target

"""The report of a run's results folder (`hubsim run`): one self-contained HTML page for a
commissioning meeting, built from the folder alone (its manifest, tables, summary and
charts), with `templates/report.html.j2`. `sim.report.writer.write_report` writes it.
"""

from __future__ import annotations

from typing import Any

from sim.periods import period_windows
from sim.report.assumptions import assumptions_table
from sim.report.equity import SMALL_NUMBER, equity_table
from sim.report.headline import GREEN, RED, STATUS_WORDS, headline_rows
from sim.report.page import embedded_charts, provenance, render
from sim.results import Results

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
    return {
        "scenario": scenario,
        "manifest": manifest,
        "run_date": results.started.strftime("%d %B %Y"),
        "measured": f"{sim.start_date} to {sim.end_date}"
        + (f", the first {sim.warmup_days} days a warm-up left out" if sim.warmup_days else ""),
        "replications": manifest.get("replications"),
        "rows": rows,
        "periods": periods,
        "charts": embedded_charts(
            results.path, results.charts, order=CHART_ORDER, notes=CHART_NOTES
        ),
        "assumptions": assumptions_table(
            results.path, scenario, manifest.get("overrides", [])
        ).to_dict("records"),
        "equity": equity,
        "small_number": SMALL_NUMBER,
        "status_words": STATUS_WORDS,
        "green": GREEN,
        "red": RED,
        "provenance": provenance(manifest),
    }


def render_report(results: Results) -> str:
    """The report page for a run's results folder, as HTML text."""
    return render("report.html.j2", report_context(results))

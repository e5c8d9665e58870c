"""The report of a capacity search's folder (`hubsim capacity`): the question, the answer in
WTE (or places) with its uncertainty, every capacity tried, the capacity curve, how the
answer was found and the provenance, rendered with `templates/capacity.html.j2`.

Built from `capacity.json` (the question, the answer, and every evaluation in the order the
search made it), `capacity_curve.csv` (each level's most trusted evaluation: the full
model's where it ran, its interval clipped to the measure's range) and the manifest.
"""

from __future__ import annotations

import json
import math
from datetime import datetime
from pathlib import Path
from typing import Any

import pandas as pd
from matplotlib.figure import Figure

from sim.labels import kpi_label, title, words
from sim.periods import period_windows, split_period
from sim.planning.capacity import FULL, SCREEN
from sim.planning.folders import CAPACITY_CURVE_FILE, CAPACITY_FILE
from sim.planning.target_expr import TargetError, TargetExpr, parse_target
from sim.report.headline import format_value
from sim.report.kinds import read_manifest, stored_scenarios
from sim.report.page import ReportError, embedded_charts, provenance, render

DECISION_CSS = {"met": "green", "not met": "red", "uncertain": "amber"}
OPERATOR_WORDS = {">=": "at least", "<=": "at most"}

CHART_NOTES = {
    "capacity_curve": "The target's measure at each capacity tried (mean with its 95% "
    "confidence interval; filled circles: the full model, open squares: the queue alone on "
    "the keyworkers' recorded referrals), the target as a dashed line and the answer as a "
    "green line.",
}


def _read(folder: Path) -> tuple[dict[str, Any], pd.DataFrame]:
    try:
        answer = json.loads((folder / CAPACITY_FILE).read_text(encoding="utf-8"))
        points = pd.read_csv(folder / CAPACITY_CURVE_FILE)
    except (OSError, ValueError) as error:
        raise ReportError(f"{folder}: the search's files cannot be read: {error}") from None
    missing = {"stage", "target", "kpi", "confidence", "unit", "step", "answer_wte"} - set(answer)
    if missing:
        raise ReportError(f"{folder / CAPACITY_FILE}: lacks {', '.join(sorted(missing))}")
    return answer, points


def _level(value: float) -> str:
    return f"{value:g}"


def _interval(kpi: str, low: float, high: float) -> str:
    if not (math.isfinite(low) and math.isfinite(high)):
        return "–"
    return f"{format_value(kpi, low)} to {format_value(kpi, high)}"


def candidate_rows(answer: dict[str, Any], points: pd.DataFrame) -> list[dict[str, Any]]:
    """One row per capacity tried (its most trusted evaluation), lowest first: `level`,
    `model`, `replications`, `mean`, `interval`, `probability`, `decision`, `css` and
    whether it is the `answer`."""
    kpi = answer["kpi"]
    probabilities = answer.get("probability_target_met", {})
    replications = answer.get("replications", {})
    rows = []
    for point in points.sort_values("level").itertuples():
        key = _level(point.level)
        rows.append(
            {
                "level": key,
                "model": point.model,
                "replications": replications.get(key, ""),
                "mean": format_value(kpi, point.mean),
                "interval": _interval(kpi, point.ci_low, point.ci_high),
                "probability": f"{probabilities[key]:.1%}" if key in probabilities else "–",
                "decision": point.decision,
                "css": DECISION_CSS.get(point.decision, ""),
                "answer": answer["answer_wte"] is not None and point.level == answer["answer_wte"],
            }
        )
    return rows


def evaluation_rows(answer: dict[str, Any]) -> list[dict[str, Any]]:
    """Every evaluation in the order the search made it (screenings and full-model runs)."""
    kpi = answer["kpi"]
    return [
        {
            "level": _level(c["level"]),
            "model": c["model"],
            "replications": c["replications"],
            "mean": format_value(kpi, c["mean"]),
            "interval": _interval(kpi, c["ci_low"], c["ci_high"]),
            "probability": f"{c['probability_target_met']:.1%}",
            "decision": c["decision"],
            "css": DECISION_CSS.get(c["decision"], ""),
        }
        for c in answer.get("candidates", [])
    ]


def _method(answer: dict[str, Any], scenario, stage: str) -> dict[str, Any]:
    """How the answer was found, for the page's words."""
    models = [c["model"] for c in answer.get("candidates", [])]
    spec = scenario.hub.stages.get(stage) or scenario.external.get(stage)
    guess = answer.get("first_guess")
    return {
        "formula": "Erlang A" if spec is not None and spec.patience is not None else "Erlang C",
        "first_guess": None if guess is None else _level(guess),
        "screened": models.count(SCREEN),
        "confirmed": models.count(FULL),
        "screening": SCREEN in models,
        "full_levels": [
            _level(level)
            for level in sorted({c["level"] for c in answer["candidates"] if c["model"] == FULL})
        ],
        "pilot_replications": answer.get("pilot_replications", 0),
        "replications_total": answer.get("replications_total"),
        "seconds": answer.get("seconds"),
        "step": _level(answer["step"]),
    }


def _draw(answer: dict[str, Any], points: pd.DataFrame, target: TargetExpr) -> dict[str, Figure]:
    """The capacity curve, for a folder that kept no charts."""
    from sim.planning.charts import plot_capacity_curve

    axes = plot_capacity_curve(
        points,
        threshold=target.threshold,
        answer=answer["answer_wte"],
        kpi=answer["kpi"],
        unit=answer["unit"],
        stage=answer["stage"],
    )
    return {"capacity_curve": axes.figure}


def capacity_context(folder: str | Path) -> dict[str, Any]:
    """Everything `templates/capacity.html.j2` shows, from a capacity search's folder alone."""
    folder = Path(folder)
    manifest = read_manifest(folder)
    scenarios = stored_scenarios(folder, manifest)
    if len(scenarios) != 1:
        raise ReportError(f"{folder}: the manifest holds {len(scenarios)} scenarios, not one")
    [scenario] = scenarios
    answer, points = _read(folder)
    stage, kpi, unit = answer["stage"], answer["kpi"], answer["unit"]
    rows = candidate_rows(answer, points)
    chosen = next((row for row in rows if row["answer"]), None)
    below = None
    if chosen is not None:
        under = [row for row in rows if float(row["level"]) < answer["answer_wte"]]
        below = under[-1] if under else None
    period_name = answer.get("period") or split_period(kpi)[0]
    windows = {w.name: w for w in period_windows(scenario)}
    period = None
    if period_name in windows:
        window = windows[period_name]
        dates = f"{window.first_date} to {window.last_date}"
        period = {"label": words(period_name), "dates": dates}
    try:  # the target as the search read it: its direction and number
        target = parse_target(answer["target"], scenario, stage)
    except TargetError as error:
        raise ReportError(f"{folder / CAPACITY_FILE}: {error}") from None
    files = manifest.get("files") or []
    started = manifest.get("started")
    return {
        "scenario": scenario,
        "file": files[0] if files else "not recorded",
        "digest": (manifest.get("scenario_digests") or [""])[0],
        "seed": manifest.get("seed", scenario.simulation.seed),
        "overrides": manifest.get("overrides") or [],
        "run_date": datetime.fromisoformat(started).strftime("%d %B %Y") if started else "",
        "stage": stage,
        "stage_title": title(stage),
        "stage_kind": "hub stage" if stage in scenario.hub.stages else "external service",
        "unit": unit,
        "target": answer["target"],
        "measure": kpi_label(kpi),
        "operator": OPERATOR_WORDS[target.op],
        "threshold": format_value(kpi, target.threshold),
        "confidence": f"{answer['confidence']:.0%}",
        "period": period,
        "answer": None if answer["answer_wte"] is None else _level(answer["answer_wte"]),
        "chosen": chosen,
        "below": below,
        "highest": rows[-1]["level"] if rows else "",
        "candidates": rows,
        "evaluations": evaluation_rows(answer),
        "method": _method(answer, scenario, stage),
        "charts": embedded_charts(folder, lambda: _draw(answer, points, target), notes=CHART_NOTES),
        "provenance": provenance(manifest),
    }


def render_capacity(folder: str | Path) -> str:
    """The report page of a capacity search's folder, as HTML text."""
    return render("capacity.html.j2", capacity_context(folder))

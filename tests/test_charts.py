"""Charts say what their intervals are, what they show and where they come from."""

from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from sim.chart_data import places
from sim.charts import add_caption, plot_external_places, plot_staffing, plot_uptake_by_group
from sim.labels import group_label, kpi_label
from sim.scenario import load_scenario

BASELINE = Path(__file__).resolve().parents[1] / "scenarios" / "baseline.yaml"


def uptake(ci_low, ci_high):
    return pd.DataFrame(
        {
            "group_type": ["sex", "sex"],
            "group": ["female", "male"],
            "mean": [23.0, 17.0],
            "ci_low": ci_low,
            "ci_high": ci_high,
        }
    )


def test_uptake_chart_labels_its_intervals_or_their_absence():
    ax = Figure().subplots()
    plot_uptake_by_group(uptake([20.0, 15.0], [26.0, 19.0]), ax=ax)
    assert ax.get_xlabel().endswith("(95% CI)")
    ax = Figure().subplots()
    plot_uptake_by_group(uptake([np.nan, np.nan], [np.nan, np.nan]), ax=ax)
    assert "no CI" in ax.get_xlabel()


def test_uptake_chart_speaks_of_people_and_draws_all_staff():
    ax = Figure().subplots()
    plot_uptake_by_group(uptake([20.0, 15.0], [26.0, 19.0]), all_staff=21.0, ax=ax)
    assert [label.get_text() for label in ax.get_yticklabels()] == ["Sex: female", "Sex: male"]
    [line] = [line for line in ax.get_lines() if line.get_linestyle() == "--"]
    assert line.get_xdata()[0] == 21.0
    assert "all staff" in line.get_label()


def test_group_and_kpi_labels_are_written_for_people():
    assert group_label("sector", "nhs") == "Sector: NHS"
    assert group_label("minority_ethnic", "yes") == "Ethnicity: minority ethnic"
    assert group_label("staff_group", "nursing_midwifery") == "Staff group: nursing midwifery"
    assert kpi_label("assessment.wait_p90_days") == "Assessment: 90th percentile wait (days)"
    assert kpi_label("period.after_cut.referrals_per_month") == "Referrals per month (after cut)"


def test_staffing_chart_has_one_named_line_per_stage_and_writes_each_level():
    staffing = pd.DataFrame(
        {
            "stage": ["screening"] * 3 + ["talking_therapies"] * 2,
            "date": pd.to_datetime(
                ["2021-01-01", "2023-04-01", "2024-01-01", "2021-01-01", "2024-01-01"]
            ),
            "wte": [2.0, 1.0, 1.0, 7.5, 7.5],
        }
    )
    ax = plot_staffing(staffing, ax=Figure().subplots())
    assert [line.get_label() for line in ax.get_lines()] == ["Screening", "Talking therapies"]
    assert sorted(text.get_text() for text in ax.texts) == ["1 WTE", "2 WTE", "7.5 WTE"]
    assert "WTE" in ax.get_ylabel()


def test_a_caption_names_the_scenario_and_the_run_date():
    ax = Figure().subplots()
    ax.set_title("People waiting")
    add_caption(ax, "Baseline · run 01 Dec 2026")
    assert ax.get_title(loc="left") == "People waiting"
    assert ax.get_title(loc="right") == "Baseline · run 01 Dec 2026"


def test_external_places_follow_a_waiting_list_initiative_and_are_drawn_named(tmp_path):
    path = tmp_path / "initiative.yaml"
    path.write_text(
        f"extends: {BASELINE}\n"
        "interventions:\n"
        "  - {type: external_initiative, date: 2022-01-01, end_date: 2022-06-30,\n"
        "     service: talking_therapies, extra_places: 100}\n"
    )
    scenario = load_scenario(path)
    frame = places(scenario)
    therapies = frame[frame["stage"] == "talking_therapies"]
    base = scenario.external["talking_therapies"].capacity[0].places  # not a hard-coded number
    assert therapies["places"].tolist()[:3] == [base, base + 100, base]
    assert therapies["date"].dt.strftime("%Y-%m-%d").tolist()[:3] == [
        "2021-02-01",
        "2022-01-01",
        "2022-07-01",
    ]
    ax = plot_external_places(frame, ax=Figure().subplots())
    labels = [line.get_label() for line in ax.get_lines()]
    assert labels == [name.replace("_", " ").capitalize() for name in scenario.external]
    assert f"{base + 100:,} places" in [text.get_text() for text in ax.texts]

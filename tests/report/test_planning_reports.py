"""The reports of `hubsim compare` and `hubsim capacity` folders, driven as a user does:
`compare --report`, `capacity --report`, `hubsim report DIR` and `sim.report(DIR)`."""

import json
import math
import re
import shutil

import pandas as pd
import pytest
from conftest import SMALL_AGENTS
from page_rows import interval_bounds, read_page, shown_number

import sim
from sim.cli import main
from sim.kpis import kpi_spec
from sim.labels import kpi_label
from sim.report.kinds import CAPACITY, COMPARISON, RUN, folder_kind

VARIANT = "Two assessors"


def _close(text: str, value: float) -> bool:
    """Whether a cell's number is `value` rounded as the page rounds it."""
    shown, half = shown_number(text)
    return abs(shown - value) <= half * 1.0001 + 1e-12


def _expected_verdict(kpi: str, row: pd.Series) -> str:
    low, high, diff = row["diff_ci_low"], row["diff_ci_high"], row["diff"]
    if low == high == 0:
        return "no difference"
    if not (low > 0 or high < 0):
        return "no clear difference"
    direction = "higher" if diff > 0 else "lower"
    better = kpi_spec(kpi).kpi.higher_is_better
    if better is None:
        return f"clearly {direction}"
    return f"{'better' if (diff > 0) == better else 'worse'} ({direction})"


@pytest.fixture(scope="module")
def comparison_table(compared):
    table = pd.read_csv(compared / "comparison.csv")
    assert table["variant"].unique().tolist() == [VARIANT]
    return table.set_index("kpi")


def test_compare_report_shows_the_headline_differences_of_comparison_csv(
    compared, comparison_table
):
    page = read_page(compared / "report.html")
    headline = page.kpi_rows("variant-1", table=0)
    assert {
        "referrals_per_month",
        "target.assessment_2_weeks.share_within",
        "assessment.wait_p90_days",
        "assessment.dropout_share",
        "agents.unmet_need_share",
    } <= set(headline)
    for kpi, cells in headline.items():
        row = comparison_table.loc[kpi]
        label, unit, base, variant, diff, interval, relative, verdict = cells
        assert label == kpi_label(kpi) and unit == row["unit"]  # words, not keys
        assert _close(base, row["base_mean"]) and _close(variant, row["variant_mean"])
        assert _close(diff, row["diff"])
        low, high = interval_bounds(interval)
        assert _close(low, row["diff_ci_low"]) and _close(high, row["diff_ci_high"])
        if math.isfinite(row["rel_diff"]):
            assert _close(relative, row["rel_diff"])
        assert verdict == _expected_verdict(kpi, row)
    # One assessor fewer: assessment waits clearly longer somewhere, and said to be worse.
    verdicts = [cells[-1] for cells in headline.values()]
    assert "worse (higher)" in verdicts
    html = (compared / "report.html").read_text()
    assert html.count('<td class="worse">') == sum(v.startswith("worse") for v in verdicts) + sum(
        cells[-1].startswith("worse") for cells in page.kpi_rows("variant-1", table=2).values()
    )


def test_compare_report_has_every_other_measure_and_the_periods(compared, comparison_table):
    page = read_page(compared / "report.html")
    headline = page.kpi_rows("variant-1", table=0)
    by_period = page.kpi_rows("variant-1", table=1)
    others = page.kpi_rows("variant-1", table=2)
    whole = [kpi for kpi in comparison_table.index if not kpi.startswith("period.")]
    assert sorted([*headline, *others]) == sorted(whole)
    assert all(row.folded for row in page.rows if row.section == "variant-1" and row.table == 2)
    assert list(by_period) == list(headline)
    period_header = next(r for r in page.rows if r.section == "variant-1" and r.table == 1)
    assert period_header.cells[1:] == [
        "2021 2021-01-01 to 2021-12-31",
        "first half 2021-01-01 to 2021-06-30",
    ]
    kpi = "assessment.wait_p90_days"
    first_half = comparison_table.loc[f"period.first_half.{kpi}"]
    assert _close(by_period[kpi][2].split()[0], first_half["diff"])


def test_compare_report_names_the_scenarios_and_what_the_variant_changes(
    compared, comparison_table
):
    page = read_page(compared / "report.html")
    manifest = json.loads((compared / "manifest.json").read_text())
    arms = [row.cells for row in page.rows if row.section == "scenarios"][1:]
    assert [cells[0] for cells in arms] == ["base", "variant"]
    assert arms[0][1] == "Small hub <base>"  # escaped in the file, text on the page
    assert arms[1][1] == f"{VARIANT} One assessor fewer than the base."
    assert [cells[2] for cells in arms] == manifest["files"]
    assert [cells[2].rsplit("/", 1)[-1] for cells in arms] == [
        "small-base.yaml",
        "two-assessors.yaml",
    ]
    assert [cells[4] for cells in arms] == manifest["scenario_digests"]
    assert "3 runs (replications) of each scenario, seed 11" in page.text
    assert "With common random numbers" in page.text
    changes = [row.cells for row in page.rows if row.section == "variant-1" and row.table == 3]
    assert changes[1:] == [["hub.stages.assessment.capacity[0].wte", "3.0", "2.0"]]


def test_compare_report_embeds_every_chart_and_nothing_external(compared):
    page = read_page(compared / "report.html")
    charts = sorted(p.stem for p in (compared / "charts").glob("*.png"))
    assert charts == ["forest", "waiting_assessment", "waiting_screening"]
    assert len(page.images) == len(charts)
    assert all(src.startswith("data:image/png;base64,") for src in page.images)
    assert page.references == [] and page.scripts == 0
    html = (compared / "report.html").read_text()
    assert html.index('id="chart-forest"') < html.index('id="chart-waiting_assessment"')


def test_a_self_comparison_without_common_random_numbers_says_so(scenario_file, tmp_path, capsys):
    out = tmp_path / "self"
    argv = ["compare", str(scenario_file), str(scenario_file), "-n", "2", "--no-crn"]
    argv += ["--out", str(out)]
    assert main([*argv, "-q", "--workers", "1", "--report"]) == 0
    assert f"report: {out / 'report.html'}" in capsys.readouterr().out
    page = read_page(out / "report.html")
    manifest = json.loads((out / "manifest.json").read_text())
    assert "With independent random numbers (--no-crn)" in page.text
    assert f"independent seeds {manifest['seeds'][0]}, {manifest['seeds'][1]}" in page.text
    assert "Nothing: every parameter is the base's" in page.text


def test_capacity_report_gives_the_question_the_answer_and_every_candidate(capacity_searched):
    answer = json.loads((capacity_searched / "capacity.json").read_text())
    page = read_page(capacity_searched / "report.html")
    assert answer["answer_wte"] is not None
    shown = f"{answer['answer_wte']:g} WTE"
    assert f"The answer {shown} At {shown} the target is met with" in page.text
    label = kpi_label(answer["kpi"])
    assert f"for which {label} is at least 80.0%, with 95% confidence?" in page.text
    assert "--target 'within_1_days >= 0.8'" in page.text
    rows = {
        row.attributes["data-level"]: row.cells
        for row in page.rows
        if row.section == "candidates" and "data-level" in row.attributes
    }
    assert list(rows) == sorted(answer["probability_target_met"], key=float)
    curve = pd.read_csv(capacity_searched / "capacity_curve.csv")
    for point in curve.itertuples():
        level = f"{point.level:g}"
        cells = rows[level]
        assert cells[0] == level + (" the answer" if point.level == answer["answer_wte"] else "")
        assert cells[1] == point.model == "full model"  # the answer and the level below
        assert int(cells[2]) == answer["replications"][level]
        assert _close(cells[3], point.mean)
        low, high = interval_bounds(cells[4])
        assert _close(low, point.ci_low) and _close(high, point.ci_high)
        assert _close(cells[5], answer["probability_target_met"][level])
        assert cells[6] == point.decision
    evaluations = [
        row.cells for row in page.rows if row.section == "method" and "data-level" in row.attributes
    ]
    assert len(evaluations) == len(answer["candidates"])
    assert {cells[1] for cells in evaluations} == {
        "queue core on recorded referrals",
        "full model",
    }


def test_capacity_report_says_how_it_was_found_and_embeds_the_curve(capacity_searched):
    answer = json.loads((capacity_searched / "capacity.json").read_text())
    page = read_page(capacity_searched / "report.html")
    assert f"gave a first guess of {answer['first_guess']:g} WTE" in page.text
    assert "The Erlang A formula" in page.text  # the fixture's assessment list has patience
    assert "Screening, then the full model." in page.text
    assert f"{answer['replications_total']} replications in all" in page.text
    assert len(page.images) == 1 and page.images[0].startswith("data:image/png;base64,")
    assert page.references == [] and page.scripts == 0
    assert f"file {SMALL_AGENTS}" in page.text


def test_capacity_report_when_no_capacity_meets_the_target(scenario_file, tmp_path, capsys):
    # 20 a day for 0.15 days each is a load of 3: one or two servers are overwhelmed.
    out = tmp_path / "none"
    argv = ["capacity", str(scenario_file), "--stage", "stage1"]
    argv += ["--target", "p90_wait_days <= 0.01", "--range", "1..2", "--step", "1"]
    assert main([*argv, "-q", "--out", str(out), "--workers", "1", "--report"]) == 1
    assert "report: " in capsys.readouterr().out  # not met: the report is written all the same
    page = read_page(out / "report.html")
    assert "Not met at any capacity tried" in page.text
    assert "up to 2 WTE" in page.text
    assert "The full model throughout." in page.text  # no agents: no screening


@pytest.mark.parametrize("fixture", ["compared", "capacity_searched", "reported"])
def test_hubsim_report_rebuilds_each_kind_from_a_moved_folder(fixture, request, tmp_path, capsys):
    folder = request.getfixturevalue(fixture)
    moved = tmp_path / "moved"
    shutil.copytree(folder, moved)
    (moved / "report.html").unlink()
    assert main(["report", str(moved)]) == 0
    assert f"report: {moved / 'report.html'}" in capsys.readouterr().out
    stamp = re.compile(r"written [^<]+")
    assert stamp.sub("", (moved / "report.html").read_text()) == stamp.sub(
        "", (folder / "report.html").read_text()
    )


@pytest.mark.parametrize(
    ("fixture", "kind"),
    [("compared", COMPARISON), ("capacity_searched", CAPACITY), ("reported", RUN)],
)
def test_the_kind_of_folder_is_told_from_what_it_holds(fixture, kind, request, tmp_path):
    folder = request.getfixturevalue(fixture)
    assert folder_kind(folder) == kind
    out = sim.report(folder, tmp_path / "page.html")  # the Python API, for every kind
    assert out.read_text().startswith("<!DOCTYPE html>")


@pytest.mark.parametrize("fixture", ["compared", "capacity_searched"])
def test_a_folder_without_charts_gets_them_drawn_from_its_tables(fixture, request, tmp_path):
    folder = request.getfixturevalue(fixture)
    lean = tmp_path / "lean"
    shutil.copytree(folder, lean)
    shutil.rmtree(lean / "charts")
    assert main(["report", str(lean)]) == 0
    images = read_page(lean / "report.html").images
    assert len(images) == len(list((folder / "charts").glob("*.png")))
    assert all(src.startswith("data:image/png;base64,") for src in images)


@pytest.mark.parametrize(
    ("manifest", "message"),
    [
        ("{}", "not a folder of hubsim run, compare or capacity"),
        ('{"experiment": {}}', "a sweep's folder"),
        ("not json", "not readable as JSON"),
        ('{"scenarios": [{"name": "x"}]}', "not a folder of hubsim run, compare or capacity"),
    ],
)
def test_a_folder_of_no_known_kind_is_exit_2_with_a_message(manifest, message, tmp_path, capsys):
    folder = tmp_path / "odd"
    folder.mkdir()
    (folder / "manifest.json").write_text(manifest)
    assert main(["report", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"hubsim report: {folder}") and message in err
    assert "Traceback" not in err
    assert not (folder / "report.html").exists()


def test_a_comparison_whose_scenarios_no_longer_validate_is_exit_2(compared, tmp_path, capsys):
    broken = tmp_path / "broken"
    shutil.copytree(compared, broken)
    manifest = json.loads((broken / "manifest.json").read_text())
    manifest["scenarios"][0]["hub"] = {"stages": {}}
    (broken / "manifest.json").write_text(json.dumps(manifest))
    assert main(["report", str(broken)]) == 2
    err = capsys.readouterr().err
    assert "do not validate with this version of hubsim" in err and "Traceback" not in err

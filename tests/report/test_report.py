"""`hubsim report` and `hubsim run --report`: one self-contained page from the folder alone."""

import re
import shutil
from html.parser import HTMLParser

import pytest

import sim
from sim.cli import main
from sim.report.html import report_context


class _Page(HTMLParser):
    """The images, external references and headline cells of a report page."""

    def __init__(self) -> None:
        super().__init__()
        self.images: list[str] = []
        self.references: list[str] = []
        self.scripts = 0

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "img":
            self.images.append(attributes["src"])
        for key in ("src", "href"):
            if key in attributes and not attributes[key].startswith(("data:", "#")):
                self.references.append(attributes[key])
        self.scripts += tag == "script"


def page(path):
    parsed = _Page()
    parsed.feed(path.read_text(encoding="utf-8"))
    return parsed


def test_run_report_embeds_every_chart_and_nothing_external(reported):
    report = reported / "report.html"
    parsed = page(report)
    charts = sorted((reported / "charts").glob("*.png"))
    assert len(charts) >= 7
    assert len(parsed.images) == len(charts)
    assert all(src.startswith("data:image/png;base64,") for src in parsed.images)
    assert parsed.references == [] and parsed.scripts == 0


def test_targets_are_green_when_met_and_red_when_missed_in_every_period(reported):
    context = report_context(sim.load_results(reported))
    rows = {row.kpi: row for row in context["rows"]}
    met, missed = (
        rows["target.stage1_within_1_day.share_within"],
        rows["target.stage2_at_once.share_within"],
    )
    assert [p["name"] for p in context["periods"]] == ["all", "2021", "2022", "first_half"]
    assert {cell.status.colour for cell in met.cells.values()} == {"green"}
    assert {cell.status.colour for cell in missed.cells.values()} == {"red"}
    assert all(cell.interval for cell in met.cells.values())  # 3 runs: a CI
    html = (reported / "report.html").read_text()
    assert html.count('class="num green"') == 4 and html.count('class="num red"') == 4
    assert "2022 (part)" in html  # 2022-01-01 to 2022-03-01


def test_the_page_says_what_ran_and_escapes_the_scenarios_text(reported):
    html = (reported / "report.html").read_text()
    manifest = sim.load_results(reported).manifest
    assert "Report &lt;fixture&gt; &amp; test" in html and "<fixture>" not in html
    assert manifest["scenario_digest"] in html
    assert f"seed {manifest['seed']}" in html
    assert "--set hub.stages.stage2.capacity[0].wte=2" in html
    if manifest["git"]["commit"]:
        assert manifest["git"]["commit"] in html


def test_assumptions_table_gives_sources_overrides_and_defaults(reported):
    table = {
        row["parameter"]: row for row in report_context(sim.load_results(reported))["assumptions"]
    }
    rate = table["demand.referrals[0].per_day"]
    assert (rate["value"], rate["basis"]) == ("20", "sourced")
    assert rate["source"].startswith("DF §3 'Referrals per hub per month'")
    assert rate["where"].startswith("report-fixture.yaml:")
    assert table["hub.stages.stage2.capacity[0].wte"]["basis"] == "changed with --set"
    assert table["targets.stage1_within_1_day.share"]["basis"] == "assumption"
    assert table["hub.stages.stage1.service.mean_days"]["where"].startswith("queue-only.yaml:")
    assert table["hub.stages.stage1.treatment"]["basis"] == "hubsim default"


def test_the_report_is_rebuilt_from_a_moved_folder_alone(reported, scenario_file, tmp_path, capsys):
    moved = tmp_path / "elsewhere"
    shutil.copytree(reported, moved)
    (moved / "report.html").unlink()
    hidden = scenario_file.with_suffix(".gone")
    scenario_file.rename(hidden)  # the scenario file is not needed any more
    try:
        out = tmp_path / "meeting.html"
        assert main(["report", str(moved), "--out", str(out)]) == 0
    finally:
        hidden.rename(scenario_file)
    assert f"report: {out}" in capsys.readouterr().out
    html = out.read_text()
    assert "DF §3 &#39;Referrals per hub per month&#39;" in html
    assert re.sub(r"written [^<]+", "", html) == re.sub(
        r"written [^<]+", "", (reported / "report.html").read_text()
    )


def test_sim_report_is_the_function_that_writes_the_report(reported, tmp_path):
    out = sim.report(reported, tmp_path / "again.html")
    assert out == tmp_path / "again.html" and out.stat().st_size > 10_000
    assert sim.write_report is sim.report.write_report


@pytest.mark.parametrize("kind", ["missing", "unfinished", "not_results"])
def test_a_folder_that_cannot_be_reported_on_is_exit_2_with_a_message(tmp_path, capsys, kind):
    folder = tmp_path / "x"
    if kind == "unfinished":
        folder.mkdir()
        (folder / "INCOMPLETE").write_text("stopped")
    elif kind == "not_results":
        folder.mkdir()
    assert main(["report", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("hubsim report: ") and "Traceback" not in err
    assert str(folder) in err


def test_a_folder_that_kept_no_charts_gets_them_drawn_from_its_tables(scenario_file, tmp_path):
    out = tmp_path / "lean"
    command = ["run", str(scenario_file), "--out", str(out), "-q", "-n", "2", "--workers", "1"]
    assert main([*command, "--set", "outputs.charts=false", "--set", "outputs.report=true"]) == 0
    assert not (out / "charts").exists()
    images = page(out / "report.html").images
    assert len(images) == len(sim.load_results(out).chart_inputs()) >= 7

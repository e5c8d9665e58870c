"""`hubsim check` and `sim.check`: targets files validated like scenarios, each target's
measure against its range, the table printed and written (check.csv)."""

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from sim.calibration.check import check
from sim.calibration.measures import follow_up_share, open_caseload
from sim.calibration.targets import FollowUpShare, OpenCaseload, load_targets
from sim.cli import main
from sim.runner import run
from sim.scenario import load_scenario, variant

FIXTURES = Path(__file__).parent / "fixtures"
SCENARIO = FIXTURES / "shared_queues.yaml"
TARGETS = FIXTURES / "shared_queues_targets.yaml"


@pytest.fixture(scope="module")
def short():
    """The fixture hub over 400 days."""
    return variant(load_scenario(SCENARIO), {"simulation.horizon_days": 400})


def test_check_reports_each_target_with_a_ci_and_its_range(short):
    table, values = check(short, TARGETS, replications=2, seed=1)
    assert table["target"].tolist() == list(load_targets(TARGETS).targets)
    assert values["replication"].tolist() == [0, 1]
    row = table.set_index("target").loc["referrals"]
    assert row["value"] == pytest.approx(4 * 365.25 / 12, rel=0.1)
    assert not row["inside"]  # 122 a month, outside the fixture's made-up 200 to 300
    assert row["ci_low"] <= row["value"] <= row["ci_high"]
    assert table.set_index("target").loc["contact", "inside"]


def test_the_cli_prints_the_table_and_writes_check_csv(tmp_path, capsys):
    short = tmp_path / "short.yaml"
    short.write_text(f"extends: {SCENARIO}\nsimulation: {{horizon_days: 400}}\n")
    out = tmp_path / "check"
    argv = ["check", str(short), "--targets", str(TARGETS), "-n", "2", "--workers", "1"]
    assert main([*argv, "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "referrals: referrals a month" in printed and "OUTSIDE" in printed
    assert "4 of 5 targets inside" in printed
    written = pd.read_csv(out / "check.csv")
    assert written["target"].tolist() == list(load_targets(TARGETS).targets)
    assert (out / "manifest.json").exists() and (out / "check_values.csv").exists()


def test_a_bad_targets_file_is_one_message_per_problem_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    text = TARGETS.read_text()
    text = text.replace("accept: [200, 300]", "accept: [300, 200]")
    text = text.replace("stage: talking_therapies, statistic", "stage: talkin_therapies, statistic")
    text = text.replace(
        "    observed: made up\n    source: test fixture\n  contact:",
        "    observd: made up\n    source: test fixture\n  contact:",
    )
    bad.write_text(text)
    code = main(["check", str(SCENARIO), "--targets", str(bad), "-n", "1"])
    assert code == 2
    err = capsys.readouterr().err
    assert "observd" in err and "did you mean 'observed'" in err
    assert f"{bad}:" in err and "low <= high" in err
    # The unknown stage is found against the scenario once the file itself is valid.
    text = TARGETS.read_text().replace(
        "stage: talking_therapies, statistic", "stage: talkin_therapies, statistic"
    )
    bad.write_text(text)
    assert main(["check", str(SCENARIO), "--targets", str(bad), "-n", "1"]) == 2
    err = capsys.readouterr().err
    line = text[: text.index("talkin_therapies")].count("\n") + 1
    assert f"{bad}:" in err and "unknown stage 'talkin_therapies'" in err
    assert any(f":{n}:" in err for n in range(line - 2, line + 1))


def test_the_follow_up_and_caseload_measures_count_what_they_say(short):
    result = run(short, seed=2)
    visits = result.queue.visits
    referred = result.queue.clients.query("source == 'referral'")
    # Started assessment within 120 days of referral, by hand from the visit table:
    assessed = visits[(visits["stage"] == "assessment") & (visits["source"] == "referral")]
    arrival = referred.set_index("client_id")["arrival"]
    counted = arrival[(arrival.apply(lambda t: int(t)) + 1 + 120) <= 400]
    start = assessed.set_index("client_id")["start"]
    hit = [(c in start.index) and (start[c] - t <= 120) for c, t in counted.items()]
    measure = FollowUpShare(
        kind="follow_up_share", days=120, state="started", stages=("assessment",)
    )
    assert follow_up_share(result, measure) == pytest.approx(sum(hit) / len(hit))
    census = OpenCaseload(kind="open_caseload", date=date(2021, 7, 1), stages=("therapy",))
    t = short.simulation.day(census.date)
    therapy = visits[(visits["stage"] == "therapy") & (visits["source"] == "referral")]
    present = therapy[(therapy["arrive"] <= t) & ~(therapy["end"] <= t)]
    assert open_caseload(result, census) == present["client_id"].nunique() > 0

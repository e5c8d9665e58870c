"""The report's tables: sources of parameters, equity with small numbers suppressed, and
red/amber/green against targets."""

import math

import pandas as pd
import pytest

from sim.report.assumptions import basis
from sim.report.equity import equity_table, shown_count
from sim.report.headline import rag
from sim.scenario import load_scenario
from sim.scenario.sources import parameter_sources


@pytest.mark.parametrize(
    ("comment", "expected"),
    [
        ("DF §3 'Line manager supportive' (S: NHS Staff Survey 2021)", "sourced"),
        ("DF §3 'Wave effect on distress' (D: ICU 51% -> 64%)", "sourced"),
        ("DF §A 'Analogous staff MH service (CPFT)' (S-analogue: ~80%)", "sourced"),
        ("D: throughput 900/56 = 16.1 a day", "sourced"),
        ("DF §3 'Mix NHS / social care / other keyworkers' (A)", "assumption"),
        ("assumption (direction S: DF §B 'Help-seeking determinants')", "assumption"),
        ("referrals come from the keyworker agents", "assumption"),
        ("", "assumption"),
    ],
)
def test_basis_reads_the_domain_facts_label(comment, expected):
    assert basis(comment, written=True) == expected


def test_a_value_no_file_wrote_is_hubsims_default():
    assert basis("", written=False) == "hubsim default"


def test_sources_come_from_each_values_line_its_heading_or_its_parents_file(
    scenario_file, tmp_path
):
    child = tmp_path / "child.yaml"
    child.write_text(
        f"extends: {scenario_file}\n"
        "hub:\n"
        "  stages:\n"
        "    stage1:\n"
        "      patience:           # assumption: staff give up sooner\n"
        "        kind: exponential\n"
        "        mean_days: 7\n"
        "      servers_per_wte: 1  # 'quoted # is text' then a DF §9 'Row' (S)\n"
    )
    table = parameter_sources(load_scenario(child), child).set_index("parameter")
    assert table.loc["hub.stages.stage1.patience.mean_days", "comment"].startswith("assumption")
    assert table.loc["hub.stages.stage1.patience.mean_days", "file"] == str(child)
    spw = table.loc["hub.stages.stage1.servers_per_wte", "comment"]
    assert spw == "'quoted # is text' then a DF §9 'Row' (S)"
    rate = table.loc["demand.referrals[0].per_day"]
    assert rate["file"] == str(scenario_file) and rate["comment"].startswith("DF §3")
    assert pd.isna(table.loc["hub.stages.stage1.treatment", "line"])
    assert "name" not in table.index and not table.index.str.startswith("outputs").any()


def groups(referrals):
    rows = []
    for replication in range(2):
        for group_type, group, workers, count in [
            ("all", "all", 1000, 110 + referrals),
            ("sex", "female", 900, 110),
            ("sex", "male", 100, referrals),
        ]:
            rows.append(
                {
                    "replication": replication,
                    "group_type": group_type,
                    "group": group,
                    "workers": workers,
                    "referrals": count,
                    "person_days_in_need": workers * 150,
                }
            )
    return pd.DataFrame(rows)


def kpis(male_uptake):
    return pd.DataFrame(
        {
            "replication": [0, 1],
            "uptake_per_1000_in_need_year.all.all": [270.0, 290.0],
            "uptake_per_1000_in_need_year.sex.female": [290.0, 310.0],
            "uptake_per_1000_in_need_year.sex.male": [male_uptake, male_uptake],
        }
    )


def test_equity_suppresses_small_counts_and_the_rates_made_from_them():
    table = equity_table(groups(referrals=3), kpis(male_uptake=73.0)).set_index("group")
    assert list(table.index) == ["All staff", "Sex: female", "Sex: male"]
    assert table.loc["Sex: male", "referrals"] == "<5"
    assert table.loc["Sex: male", "uptake"] == "<5" and table.loc["Sex: male", "relative"] == "<5"
    assert table.loc["Sex: female", "referrals"] == "110"
    assert table.loc["Sex: female", "uptake"].startswith("300.0 (")
    assert table.loc["Sex: female", "relative"] == "1.07"


def test_equity_shows_a_group_of_five_or_more():
    table = equity_table(groups(referrals=5), kpis(male_uptake=120.0)).set_index("group")
    assert table.loc["Sex: male", "referrals"] == "5"
    assert table.loc["Sex: male", "relative"] == "0.43"
    assert shown_count(4.4) == "<5" and shown_count(4.6) == "5" and shown_count(0) == "<5"


@pytest.mark.parametrize(
    ("mean", "low", "high", "colour"),
    [
        (0.95, 0.91, 0.99, "green"),
        (0.90, 0.90, 0.95, "green"),
        (0.91, 0.88, 0.94, "amber"),
        (0.80, 0.75, 0.85, "red"),
        (0.95, math.nan, math.nan, "green"),
        (0.85, math.nan, math.nan, "red"),
    ],
)
def test_red_amber_green_follows_the_confidence_interval(mean, low, high, colour):
    status = rag(mean, low, high, target=0.9)
    assert status.colour == colour
    assert ("no interval" in status.words) == math.isnan(low)


def test_an_unknown_share_has_no_status():
    assert rag(math.nan, math.nan, math.nan, target=0.9) is None

"""The KPI declarations: every KPI a run produces resolves to one, by the structure of its
name (never by words in it); the declared clocks are the ones the metrics use; the docs are
rendered from the declarations."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from sim.kpis import KPIS, kpi_markdown, kpi_spec
from sim.metrics import replication_kpis as run_kpis
from sim.runner import run
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[1]
BASELINE = ROOT / "scenarios" / "baseline.yaml"

# Stage and target names that hold KPI words, to show that only the structure counts.
TRICKY = """\
name: Names holding KPI words
description: Two hub stages, shared_care then target, and a target called share_within.
simulation: {start_date: 2021-01-01, horizon_days: 200, warmup_days: 20, replications: 1, seed: 1}
demand:
  mode: poisson
  referrals: [{from_date: 2021-01-01, per_day: 10}]
hub:
  priority_classes: {routine: 1.0}
  stages:
    shared_care:
      capacity: [{from_date: 2021-01-01, wte: 3}]
      servers_per_wte: 1
      service: {kind: exponential, mean_days: 0.25}
      patience: {kind: exponential, mean_days: 2}
      routes: {all: {target: 0.5, exit: 0.5}}
    target:
      capacity: [{from_date: 2021-01-01, wte: 2}]
      servers_per_wte: 1
      service: {kind: exponential, mean_days: 0.3}
targets:
  share_within: {stage: target, within_days: 0.5, share: 0.9}
"""


@pytest.fixture(scope="module")
def tricky_run(tmp_path_factory):
    path = tmp_path_factory.mktemp("kpis") / "tricky.yaml"
    path.write_text(TRICKY)
    return run(load_scenario(path), seed=4)


@pytest.fixture(scope="module")
def agent_run(tmp_path_factory):
    """The baseline with a small workforce: every agent KPI and group, in about 3 s."""
    path = tmp_path_factory.mktemp("kpis") / "agents.yaml"
    path.write_text(f"extends: {BASELINE}\nworkforce: {{size: 500}}\n")
    return run(load_scenario(path), seed=2)


def test_every_kpi_of_a_queue_run_resolves_to_its_stage_or_target(tricky_run):
    kpis = {name: value for name, value in run_kpis(tricky_run).items() if "period." not in name}
    resolved = {(kpi_spec(name).kpi.key, *kpi_spec(name).subject.values()) for name in kpis}
    stage_keys = [kpi.key for kpi in KPIS if kpi.per == "stage"]
    assert resolved == {
        ("referrals_per_month",),
        ("discharged_at_closure",),
        ("transferred_at_closure",),
        ("rerouted_per_month",),
        ("share_within", "share_within"),
        *((key, stage) for key in stage_keys for stage in ("shared_care", "target")),
    }
    wait = kpi_spec("shared_care.wait_mean_days")
    assert (wait.kpi.low, wait.kpi.high) == (0.0, np.inf)
    assert "shared_care" in wait.description and "{" not in wait.description


def test_every_kpi_of_an_agent_run_resolves_and_every_declaration_is_used(agent_run):
    kpis = run_kpis(agent_run)
    specs = [kpi_spec(name) for name in kpis]
    assert {spec.kpi for spec in specs} == set(KPIS), "a declaration no run produces"
    groups = {(s.subject["group_type"], s.subject["group"]) for s in specs if s.kpi.per == "group"}
    expected = agent_run.agents_groups[["group_type", "group"]].itertuples(index=False)
    assert groups == {tuple(row) for row in expected}


def _waits(run, stage: str) -> pd.DataFrame:
    """Visits to `stage` by hub referrals joining it in the measured window, with the wait
    on each clock (inf if never started) and whether still waiting at the end."""
    visits = run.queue.visits
    visits = visits[visits["source"] == "referral"].copy()
    visits["referred"] = visits.groupby("client_id")["arrive"].transform("min")
    visits = visits[visits["stage"] == stage]
    return pd.DataFrame(
        {
            "referred": visits["referred"],
            "joined": visits["arrive"],
            "from joining the stage": (visits["start"] - visits["arrive"]).fillna(np.inf),
            "from referral": (visits["start"] - visits["referred"]).fillna(np.inf),
            "waiting": visits["outcome"] == "waiting",
        }
    )


STATISTICS = {
    "wait_mean_days": np.mean,
    "wait_median_days": np.median,
    "wait_p90_days": lambda waits: np.quantile(waits, 0.9),
}


@pytest.mark.parametrize("key", STATISTICS)
def test_stage_waits_are_measured_on_their_declared_clock(tricky_run, key):
    """The second stage's wait computed on the declared clock matches the KPI; on the other
    clock (which adds the first stage's wait and service) it would not."""
    queue = tricky_run.queue
    waits = _waits(tricky_run, "target")
    waits = waits[(waits["joined"] >= queue.warmup) & (waits["joined"] < queue.end)]
    clock = kpi_spec(f"target.{key}").kpi.clock
    other = ({"from referral", "from joining the stage"} - {clock}).pop()
    started = np.isfinite(waits[clock])
    statistic = STATISTICS[key]
    value = run_kpis(tricky_run)[f"target.{key}"]
    assert value == pytest.approx(statistic(waits[clock][started]))
    assert value != pytest.approx(statistic(waits[other][started]), rel=0.1)


def test_target_share_is_measured_on_its_declared_clock(tricky_run):
    """Share of referrals that started the target's stage within 0.5 days, counting the
    unserved as late and leaving out those still waiting for less than 0.5 days."""
    queue, days = tricky_run.queue, 0.5
    waits = _waits(tricky_run, "target")
    unknown = waits["waiting"] & (queue.end - waits["referred"] < days)
    counted = waits[
        (waits["referred"] >= queue.warmup) & (waits["referred"] < queue.end) & ~unknown
    ]
    clock = kpi_spec("target.share_within.share_within").kpi.clock
    other = ({"from referral", "from joining the stage"} - {clock}).pop()
    share = run_kpis(tricky_run)["target.share_within.share_within"]
    assert share == pytest.approx(np.mean(counted[clock] <= days))
    assert abs(share - np.mean(counted[other] <= days)) > 0.05


# Names the schema allows, biased towards the words of KPI names.
KPI_WORDS = sorted({word for kpi in KPIS for word in kpi.column.split(".") if "{" not in word})
names = st.sampled_from([*KPI_WORDS, "shared_care", "all"]) | st.from_regex(
    r"[a-z][a-z0-9_]{0,39}", fullmatch=True
)


@given(first=names, second=names)
def test_each_declaration_resolves_to_itself_whatever_the_names(first, second):
    for kpi in KPIS:
        column = kpi.column.format(stage=first, target=first, group_type=first, group=second)
        spec = kpi_spec(column)  # raises if no declaration, or more than one, matches
        assert spec.kpi == kpi
        assert spec.name == column


@pytest.mark.parametrize(
    "name",
    [
        "wait",
        "shared_care.wait_mean",  # no such KPI
        "Shared_Care.wait_mean_days",  # not a scenario name
        "a.b.wait_mean_days",  # stage names hold no dots
        "target.first.share_within.extra",
        "uptake_per_1000_in_need_year.sector",  # a group needs its type and name
        "agents.utilisation.x",
    ],
)
def test_an_undeclared_kpi_is_a_key_error_naming_where_kpis_are_declared(name):
    with pytest.raises(KeyError, match=r"is not a declared KPI.*sim/kpis\.py"):
        kpi_spec(name)


def test_a_near_miss_is_told_the_closest_declaration():
    with pytest.raises(KeyError, match=r"did you mean \{stage\}\.wait_mean_days"):
        kpi_spec("shared_care.wait_mean")


def test_docs_kpis_md_is_rendered_from_the_declarations():
    committed = (ROOT / "docs" / "kpis.md").read_text()
    assert committed == kpi_markdown(), (
        "docs/kpis.md is out of date with sim/kpis.py; regenerate it with "
        "./dev python -m sim.kpis > docs/kpis.md"
    )
    for kpi in KPIS:
        assert kpi.key in committed

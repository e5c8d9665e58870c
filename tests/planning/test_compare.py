"""Paired comparison: exactly 0 against itself; common random numbers narrow the CI."""

import pandas as pd
import pytest
from planning_support import write_mmc

from sim.cli import main
from sim.execution import make_executor
from sim.planning.compare import COLUMNS, compare, independent_seed
from sim.scenario import load_scenario, variant

WTE = "hub.stages.stage1.capacity[0].wte"


@pytest.fixture(scope="module")
def mmc_file(tmp_path_factory):
    # Load 0.8 on 5 servers over a year: waits are long enough to vary between replications.
    return write_mmc(
        tmp_path_factory.mktemp("compare"),
        arrivals_per_day=8,
        mean_service_days=0.5,
        servers=5,
        horizon_days=465,
        replications=8,
    )


def test_a_scenario_compared_with_itself_differs_by_exactly_zero(mmc_file):
    base = load_scenario(mmc_file)
    table = compare(base, [base], replications=3).table
    assert list(table.columns) == COLUMNS
    assert len(table) > 5
    assert (table["diff"] == 0).all()
    assert (table["diff_ci_low"] == 0).all() and (table["diff_ci_high"] == 0).all()
    assert (table["rel_diff"] == 0).all()
    assert (table["base_mean"] == table["variant_mean"]).all()


def test_common_random_numbers_narrow_the_ci_of_a_small_capacity_change(mmc_file):
    base = load_scenario(mmc_file)
    more = variant(base, {WTE: 5.5})
    kpi = "stage1.wait_mean_days"
    paired = compare(base, [more], replications=8).table.set_index("kpi").loc[kpi]
    independent = compare(base, [more], replications=8, crn=False).table.set_index("kpi").loc[kpi]
    width = paired["diff_ci_high"] - paired["diff_ci_low"]
    assert paired["diff"] < 0 and paired["diff_ci_high"] < 0  # more staff, shorter waits: sure
    assert width < 0.5 * (independent["diff_ci_high"] - independent["diff_ci_low"])


def test_the_numbers_do_not_depend_on_the_executor(mmc_file):
    base = load_scenario(mmc_file)
    more = variant(base, {WTE: 6})
    serial = compare(base, [more], replications=2).table
    with make_executor(workers=2) as executor:
        parallel = compare(base, [more], replications=2, executor=executor).table
    pd.testing.assert_frame_equal(serial, parallel)


def test_independent_seeds_differ_by_arm_and_keep_the_base():
    assert independent_seed(5, 0) == 5
    seeds = {independent_seed(5, arm) for arm in range(1, 6)}
    assert len(seeds) == 5 and 5 not in seeds and all(0 <= s < 2**63 for s in seeds)


def test_hubsim_compare_writes_the_comparison_and_charts(mmc_file, tmp_path, capsys):
    out = tmp_path / "cmp"
    argv = [
        "compare",
        str(mmc_file),
        "--variant-set",
        f"{WTE}=6",
        "-n",
        "2",
        "--out",
        str(out),
        "--workers",
        "1",
    ]
    assert main(argv) == 0
    printed = capsys.readouterr().out
    assert "stage1.wait_mean_days" in printed and f"results: {out}" in printed
    table = pd.read_csv(out / "comparison.csv")
    assert list(table.columns) == COLUMNS
    assert table["variant"].unique().tolist() == ["M/M/c at 8 a day with " + f"{WTE}=6"]
    assert sorted(p.name for p in (out / "charts").iterdir()) == [
        "forest.png",
        "waiting_stage1.png",
    ]
    kpis = pd.read_csv(out / "kpis.csv")
    assert len(kpis) == 4 and set(kpis["replication"]) == {0, 1}
    assert main(argv) == 2  # the folder exists: never overwritten
    assert "never overwritten" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ([], "at least one VARIANT"),
        (["--variant-set", "hub.stages.stage9.capacity[0].wte=3"], "stage9"),
        (["missing.yaml"], "missing.yaml"),
    ],
)
def test_hubsim_compare_bad_input_exits_2(mmc_file, tmp_path, capsys, extra, message):
    assert main(["compare", str(mmc_file), *extra, "--out", str(tmp_path / "x")]) == 2
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_compare_and_capacity_are_exported_from_sim():
    import sim
    from sim.planning.capacity import capacity

    assert sim.compare is compare
    assert sim.capacity is capacity

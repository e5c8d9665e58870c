"""Results streamed to disk replication by replication, and rebuilt from the folder alone."""

import json
import random
import tracemalloc
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.chart_data import chart_inputs
from sim.cli import main
from sim.metrics import waits_since_referral
from sim.queue import Source
from sim.results import ResultsFolderError, for_people, load, replication_tables, write_results
from sim.runner import run
from sim.scenario import load_scenario
from sim.store import ResultsExistError

QUEUE_ONLY = Path("scenarios/queue-only.yaml").resolve()
STARTED = datetime(2026, 1, 2, 3, 4, 5)


def small_scenario(tmp_path, name="small", **outputs):
    """The queue-only network over 20 weeks after a 4-week warm-up, with a second target."""
    path = tmp_path / f"{name}.yaml"
    flags = ", ".join(f"{key}: {str(value).lower()}" for key, value in outputs.items())
    path.write_text(
        f"extends: {QUEUE_ONLY}\n"
        "simulation: {horizon_days: 168, warmup_days: 28, replications: 4}\n"
        "targets:\n"
        "  stage2_within_3_days: {stage: stage2, within_days: 3, share: 0.5}\n"
        + (f"outputs: {{{flags}}}\n" if flags else "")
    )
    return load_scenario(path)


@pytest.fixture(scope="module")
def scenario(tmp_path_factory):
    return small_scenario(tmp_path_factory.mktemp("scenario"))


@pytest.fixture(scope="module")
def runs(scenario):
    return [run(scenario, replication=r) for r in range(4)]


@pytest.fixture(scope="module")
def pairs(runs):
    return [(each.replication, replication_tables(each)) for each in runs]


def write(path, scenario, pairs):
    return write_results(
        path, scenario, iter(pairs), seed=scenario.simulation.seed, started=STARTED, argv=["t"]
    )


@pytest.fixture(scope="module")
def folder(tmp_path_factory, scenario, pairs):
    return write(tmp_path_factory.mktemp("results") / "run", scenario, pairs)


def test_every_table_is_tagged_and_the_outputs_flags_choose_the_big_ones(tmp_path):
    lean = small_scenario(tmp_path, client_records=False, daily_series=False)
    tables = replication_tables(run(lean, replication=3))
    assert set(tables) == {
        "kpis",
        "timings",
        "waiting",
        "weekly_referrals",
        "monthly_targets",
        "waiting_weeks",
    }
    assert all((frame["replication"] == 3).all() for frame in tables.values())
    assert len(tables["kpis"]) == 1


def test_visits_carry_the_referral_time_of_their_client(runs, pairs):
    visits = pairs[1][1]["visits"]
    records = runs[1].queue.records
    first_stage = visits.groupby("client_id", sort=False)["arrive"].transform("first")
    # A client's first visit is its referral; later visits keep that referral time.
    assert np.array_equal(visits["referred"], first_stage)
    assert np.array_equal(visits["referred"], records.client_arrival[records.visit_client])


def test_parts_one_per_table_and_replication_and_a_manifest_that_counts_them(folder, scenario):
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["replications"] == 4
    assert manifest["tables"]["visits"] == 4
    assert set(manifest["tables"]) >= {"kpis", "daily_pathway", "visits", "waiting"}
    assert sorted(p.name for p in (folder / "visits").iterdir()) == [
        f"part-{r:05d}.parquet" for r in range(4)
    ]
    assert len(manifest["run_seconds"]) == 4
    assert "seconds" not in pd.read_csv(folder / "kpis.csv"), "timings are not KPIs"
    assert load(folder).scenario == scenario


def test_the_order_replications_arrive_in_changes_nothing(tmp_path, scenario, pairs, folder):
    shuffled = pairs[:]
    random.Random(3).shuffle(shuffled)
    assert [r for r, _ in shuffled] != [0, 1, 2, 3]
    other = write(tmp_path / "shuffled", scenario, shuffled)
    for name in ("kpis.csv", "summary.csv"):
        assert (other / name).read_bytes() == (folder / name).read_bytes()
    first, second = load(folder), load(other)
    assert first.tables == second.tables
    for name in first.tables:
        pd.testing.assert_frame_equal(first.table(name), second.table(name))
    assert first.table("kpis")["replication"].tolist() == [0, 1, 2, 3]


def test_load_rebuilds_the_summary_and_every_chart(folder):
    results = load(folder)
    written = pd.read_csv(folder / "summary.csv")
    pd.testing.assert_frame_equal(for_people(results.summary()), written, check_exact=False)
    assert written["scenario"].eq(results.scenario.name).all()
    # summary.csv is for people: 4 significant digits; kpis.csv keeps full precision
    for value in written["mean"].dropna():
        assert float(f"{value:.4g}") == value
    written_kpis = pd.read_csv(folder / "kpis.csv", dtype={"period": str})
    assert any(float(f"{v:.4g}") != v for v in written_kpis.iloc[0, 2:])
    pd.testing.assert_frame_equal(
        results.kpis_by_period(), written_kpis, check_exact=False, rtol=1e-12
    )
    on_disk = sorted(p.stem for p in (folder / "charts").glob("*.png"))
    assert sorted(results.charts()) == on_disk
    assert "target_stage2_within_3_days" in on_disk


def _normal(frame):
    """Columns in one order, types as plain as they compare: text stages, nanosecond dates."""
    out = frame.reset_index(drop=True)[sorted(frame.columns)].copy()
    for column in out:
        if isinstance(out[column].dtype, pd.CategoricalDtype) or out[column].dtype == object:
            out[column] = out[column].astype(str)
        elif out[column].dtype.kind == "M":
            out[column] = out[column].astype("datetime64[ns]")
    return out


def _inputs_from_runs(runs):
    """The chart inputs as hubsim built them from `Run`s in memory before results were
    streamed (the reference the stored series must reproduce)."""
    scenario = runs[0].scenario
    sim = scenario.simulation
    start = pd.Timestamp(sim.start_date)
    daily = pd.concat(
        [each.queue.records.daily().assign(replication=each.replication) for each in runs]
    )
    daily = daily[daily["day"] >= sim.warmup_days]
    daily["date"] = start + pd.to_timedelta(daily["day"], unit="D")
    waiting = daily.groupby(["date", "replication", "stage"], observed=True, as_index=False)[
        "waiting"
    ].sum()
    visits = pd.concat([each.queue.visits.assign(replication=each.replication) for each in runs])
    referrals = visits[
        (visits["stage"] == "stage1")
        & (visits["source"] == Source.REFERRAL.name.lower())
        & (visits["arrive"] >= sim.warmup_days)
    ]
    weeks = (referrals["arrive"] // 7).astype(int)
    whole = (weeks >= -(-sim.warmup_days // 7)) & (weeks < sim.horizon_days // 7)
    weekly = (
        referrals[whole]
        .assign(week=start + pd.to_timedelta(weeks[whole] * 7, unit="D"))
        .groupby(["week", "replication"], as_index=False)
        .size()
        .rename(columns={"size": "referrals"})
    )
    shares = {}
    for name, target in scenario.targets.items():
        rows = []
        for each in runs:
            arrival, waited, _ = waits_since_referral(each.queue, target.stage)
            keep = arrival >= sim.warmup_days
            month = (start + pd.to_timedelta(arrival[keep], unit="D")).to_period("M")
            frame = pd.DataFrame(
                {"month": month.to_timestamp(), "ok": waited[keep] <= target.within_days}
            )
            monthly = frame.groupby("month", as_index=False)["ok"].mean()
            rows.append(
                monthly.rename(columns={"ok": "share"}).assign(replication=each.replication)
            )
        shares[name] = pd.concat(rows, ignore_index=True)
    return waiting, weekly, shares


def test_chart_inputs_from_the_folder_equal_those_from_the_runs_in_memory(folder, runs):
    waiting, weekly, shares = _inputs_from_runs(runs)
    inputs = load(folder).chart_inputs()
    stored = inputs["waiting_stage1"].arguments["waiting"]
    keys = ["date", "replication", "stage"]
    pd.testing.assert_frame_equal(
        _normal(stored.sort_values(keys)), _normal(waiting.sort_values(keys))
    )
    stored = inputs["referrals_vs_capacity"].arguments["weekly"]
    assert (stored["referrals"] > 0).all(), "the reference drops empty weeks"
    pd.testing.assert_frame_equal(
        _normal(stored.sort_values(["week", "replication"])), _normal(weekly)
    )
    for name, expected in shares.items():
        stored = inputs[f"target_{name}"].arguments["shares"]
        pd.testing.assert_frame_equal(_normal(stored), _normal(expected))


def test_charts_are_drawn_without_the_big_tables(tmp_path):
    lean = small_scenario(tmp_path, client_records=False, daily_series=False)
    pairs = [(r, replication_tables(run(lean, replication=r))) for r in range(2)]
    folder = write(tmp_path / "lean", lean, pairs)
    assert not (folder / "visits").exists() and not (folder / "daily_pathway").exists()
    assert sorted(p.stem for p in (folder / "charts").glob("*.png")) == sorted(
        chart_inputs(load(folder))
    )
    assert len(list((folder / "charts").glob("waiting_*.png"))) == 2


def test_a_table_is_read_alone_with_only_the_columns_and_rows_asked_for(folder, tmp_path):
    results = load(folder)
    waits = results.table("visits", columns=["arrive"], filters=[("stage", "==", "stage2")])
    assert list(waits.columns) == ["arrive"]
    visits = results.table("visits")
    assert len(waits) == (visits["stage"] == "stage2").sum() < len(visits)
    with pytest.raises(KeyError, match="stored tables: daily_pathway, kpis"):
        results.table("vists")


def test_other_tables_are_not_read(tmp_path, scenario, pairs):
    folder = write(tmp_path / "run", scenario, pairs)
    (folder / "visits" / "part-00002.parquet").write_bytes(b"damaged")
    results = load(folder)
    assert len(results.table("waiting")) > 0
    assert sorted(results.charts()) == sorted(p.stem for p in (folder / "charts").glob("*.png"))


@pytest.mark.parametrize("stop", [RuntimeError("worker failed"), KeyboardInterrupt()])
def test_a_stopped_run_keeps_its_finished_replications_and_nothing_else(
    tmp_path, scenario, pairs, stop
):
    def items():
        yield pairs[2]
        yield pairs[0]
        raise stop

    target = tmp_path / "run"
    with pytest.raises(type(stop)):
        write(target, scenario, items())
    assert not target.exists(), "an unfinished run must not look finished"
    partial = tmp_path / "run.partial"
    tables = [p for p in partial.iterdir() if p.is_dir()]
    assert {p.name for p in tables} == set(pairs[0][1])
    for table in tables:
        assert sorted(p.name for p in table.iterdir()) == [
            "part-00000.parquet",
            "part-00002.parquet",
        ]
    assert not (partial / "kpis.csv").exists() and not (partial / "manifest.json").exists()
    assert "finished and written (2): 0, 2" in (partial / "INCOMPLETE").read_text()
    assert pd.read_parquet(partial / "kpis")["replication"].tolist() == [0, 2]
    with pytest.raises(ResultsFolderError, match="unfinished run"):
        load(partial)
    with pytest.raises(ResultsExistError, match="never deleted"):
        write(target, scenario, pairs)
    assert (partial / "INCOMPLETE").exists()


def test_load_refuses_what_is_not_a_results_folder(tmp_path):
    with pytest.raises(ResultsFolderError, match="no such folder"):
        load(tmp_path / "missing")
    with pytest.raises(ResultsFolderError, match=r"no manifest\.json"):
        load(tmp_path)


def test_a_replication_written_twice_is_refused(tmp_path, scenario, pairs):
    with pytest.raises(ValueError, match="replication 1 was already written"):
        write(tmp_path / "run", scenario, [pairs[1], pairs[1]])


def _writer_peak(tmp_path, scenario, tables, count):
    """Peak traced memory of writing `count` replications, each one of `tables` re-tagged."""

    def items():
        for r in range(count):
            chosen = tables[r % len(tables)]
            # Deep copies: a shallow one stays tied to the original (pandas copy-on-write
            # keeps a reference per copy), which would measure this test, not the writer.
            yield r, {name: frame.copy().assign(replication=r) for name, frame in chosen.items()}

    tracemalloc.start()
    try:
        folder = write_results(
            tmp_path / f"run-{count}", scenario, items(), seed=1, started=STARTED, argv=[]
        )
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return folder, peak


@pytest.mark.slow
def test_a_thousand_replications_stream_in_bounded_memory(tmp_path):
    path = tmp_path / "tiny.yaml"
    path.write_text(f"extends: {QUEUE_ONLY}\nsimulation: {{horizon_days: 35, warmup_days: 7}}\n")
    tiny = load_scenario(path)
    # The writer is measured, not the simulation: ten real replications stand for all.
    tables = [replication_tables(run(tiny, replication=r)) for r in range(10)]
    _, peak_100 = _writer_peak(tmp_path, tiny, tables, 100)
    folder, peak_1000 = _writer_peak(tmp_path, tiny, tables, 1000)
    # Holding every replication would add a whole replication's tables per replication;
    # streaming adds only the chart inputs' few rows (the daily series the fan charts are
    # drawn from): measured, about 15% of a replication's tables.
    held = sum(frame.memory_usage(deep=True).sum() for t in tables for frame in t.values())
    held_per_replication = held / len(tables)
    growth_per_replication = (peak_1000 - peak_100) / 900
    assert growth_per_replication < 0.25 * held_per_replication, (peak_100, peak_1000, held)
    assert len(list((folder / "visits").glob("part-*.parquet"))) == 1000
    results = load(folder)
    assert results.manifest["replications"] == 1000
    assert results.kpis["replication"].tolist() == list(range(1000))
    assert results.table("visits", columns=["replication"])["replication"].nunique() == 1000


def test_the_cli_refuses_to_write_over_an_unfinished_folder(tmp_path, capsys):
    scenario = tmp_path / "small.yaml"
    scenario.write_text(
        f"extends: {QUEUE_ONLY}\nsimulation: {{horizon_days: 60, warmup_days: 7}}\n"
    )
    stopped = tmp_path / "out.partial"
    stopped.mkdir()
    (stopped / "INCOMPLETE").write_text("finished: 0")
    assert main(["run", str(scenario), "--out", str(tmp_path / "out"), "-q"]) == 2
    assert "never deleted" in capsys.readouterr().err
    assert (stopped / "INCOMPLETE").read_text() == "finished: 0"
    assert not (tmp_path / "out").exists()


def test_every_chart_names_the_scenario_and_the_run_date(folder):
    results = load(folder)
    for name, figure in results.charts().items():
        [ax] = figure.axes
        assert ax.get_title(loc="right") == f"{results.scenario.name} · run 02 Jan 2026", name


def test_weeks_waited_match_a_slow_count_over_the_visits(runs, pairs):
    each, (_, tables) = runs[1], pairs[1]
    visits = each.queue.visits
    start = pd.Timestamp(each.scenario.simulation.start_date)
    stored = tables["waiting_weeks"]
    for row in stored.iloc[::7].itertuples():
        t = (row.week - start).days
        at_stage = visits[visits["stage"] == row.stage]
        left = at_stage["start"].fillna(at_stage["end"]).fillna(np.inf)
        waiting = at_stage[(at_stage["arrive"] <= t) & (left > t)]
        weeks = (t - waiting["arrive"]) / 7
        assert row.waiting == len(waiting)
        if len(waiting):
            assert row.median_weeks == pytest.approx(weeks.median())
            assert row.p90_weeks == pytest.approx(weeks.quantile(0.9))
    assert (stored["waiting"] > 0).any()

import json
from datetime import datetime

import pandas as pd
import pytest

from sim.run_lock import LOCK_FILE
from sim.store import ResultsExistError, ResultsFolder, new_results_path, part_counts


def test_results_appear_only_when_finished(tmp_path):
    target = tmp_path / "run"
    folder = ResultsFolder(target).open()
    folder.table("daily", pd.DataFrame({"day": [0, 1], "waiting": [3, 4]}))
    assert not target.exists(), "an unfinished run must not look finished"
    folder.finish({"seed": 1})
    assert json.loads((target / "manifest.json").read_text())["seed"] == 1
    assert pd.read_parquet(target / "daily.parquet")["waiting"].tolist() == [3, 4]
    assert not (tmp_path / "run.partial").exists()


def test_existing_folder_is_never_overwritten(tmp_path):
    target = tmp_path / "run"
    target.mkdir()
    (target / "precious.csv").write_text("keep me")
    with pytest.raises(ResultsExistError, match="never overwritten"):
        ResultsFolder(target).open()
    assert (target / "precious.csv").read_text() == "keep me"


def test_an_existing_partial_folder_is_refused_not_deleted(tmp_path):
    stopped = tmp_path / "run.partial"
    (stopped / "visits").mkdir(parents=True)
    (stopped / "visits" / "part-00000.parquet").write_text("a stopped run's finished work")
    with pytest.raises(ResultsExistError, match=r"never deleted\. Choose another --out"):
        ResultsFolder(tmp_path / "run").open()
    assert (stopped / "visits" / "part-00000.parquet").read_text().startswith("a stopped")


def frames():
    return {
        "daily": pd.DataFrame({"day": [0, 1], "waiting": [3, 4]}),
        "kpis": pd.DataFrame({"wait": [1.5]}),
    }


def test_a_replications_parts_read_back_as_one_table_per_name(tmp_path):
    folder = ResultsFolder(tmp_path / "run").open()
    for replication in (1, 0):
        folder.parts(
            replication, {k: f.assign(replication=replication) for k, f in frames().items()}
        )
    assert part_counts(folder.work) == {"daily": 2, "kpis": 2}
    daily = pd.read_parquet(folder.work / "daily")
    assert daily["replication"].tolist() == [0, 0, 1, 1]
    with pytest.raises(ValueError, match="replication 1 was already written"):
        folder.parts(1, frames())


def test_a_replication_is_written_whole_or_not_at_all(tmp_path):
    folder = ResultsFolder(tmp_path / "run").open()
    broken = frames() | {"visits": pd.DataFrame({"mixed": [1, "one"]})}  # Parquet refuses
    with pytest.raises(Exception, match="mixed"):
        folder.parts(4, broken)
    written = [p.name for p in folder.work.rglob("*") if p.is_file()]
    assert written == [LOCK_FILE], "no part of replication 4, only the run's lock"


def test_a_stopped_run_says_what_it_finished(tmp_path):
    folder = ResultsFolder(tmp_path / "run").open()
    note = folder.abandon([3, 0, 1], KeyboardInterrupt())
    assert note == tmp_path / "run.partial" / "INCOMPLETE"
    assert "(KeyboardInterrupt" in note.read_text()
    assert "finished and written (3): 0, 1, 3" in note.read_text()


def test_new_names_do_not_collide(tmp_path):
    now = datetime(2026, 1, 2, 3, 4, 5)
    first = new_results_path(tmp_path, "baseline", now)
    first.mkdir()
    second = new_results_path(tmp_path, "baseline", now)
    assert first.name == "baseline-20260102-030405"
    assert second.name == "baseline-20260102-030405-2"

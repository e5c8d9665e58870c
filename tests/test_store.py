import json
from datetime import datetime

import pandas as pd
import pytest

from sim.store import ResultsExistError, ResultsFolder, new_results_path


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


def test_a_crashed_runs_partial_folder_is_replaced(tmp_path):
    stale = tmp_path / "run.partial"
    stale.mkdir()
    (stale / "half.parquet").write_text("garbage")
    folder = ResultsFolder(tmp_path / "run").open()
    assert not (folder.work / "half.parquet").exists()


def test_new_names_do_not_collide(tmp_path):
    now = datetime(2026, 1, 2, 3, 4, 5)
    first = new_results_path(tmp_path, "baseline", now)
    first.mkdir()
    second = new_results_path(tmp_path, "baseline", now)
    assert first.name == "baseline-20260102-030405"
    assert second.name == "baseline-20260102-030405-2"

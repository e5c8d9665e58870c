"""A stale `.partial` is cleared only when a lock file proves it the tool's own and dead
(issue #9): a live run's folder, another host's, or one without a lock is never touched."""

import dataclasses
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest

from sim.cli import main
from sim.run_lock import LOCK_FILE, RunLock
from sim.store import INCOMPLETE, ResultsExistError, ResultsFolder

QUEUE_ONLY = Path("scenarios/queue-only.yaml").resolve()


def a_dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    done = subprocess.Popen([sys.executable, "-c", "pass"])
    done.wait()
    return done.pid


def stopped_run(tmp_path, lock: RunLock | None, *, parts: bool = True) -> Path:
    """A `.partial` folder as a run leaves it when killed: a finished replication's part."""
    work = tmp_path / "out.partial"
    (work / "visits").mkdir(parents=True)
    if parts:
        pd.DataFrame({"replication": [0]}).to_parquet(work / "visits" / "part-00000.parquet")
    if lock is not None:
        lock.write(work)
    return work


def test_a_finished_folder_holds_no_lock_and_a_live_one_names_its_process(tmp_path):
    folder = ResultsFolder(tmp_path / "run").open()
    lock = RunLock.read(folder.work)
    assert lock is not None and lock.pid == RunLock.of_this_process().pid
    assert not lock.is_dead(), "this process is alive"
    folder.finish({"seed": 1})
    assert not (tmp_path / "run" / LOCK_FILE).exists()


def test_a_dead_runs_partial_with_finished_work_is_moved_aside_not_deleted(tmp_path):
    lock = dataclasses.replace(RunLock.of_this_process(), pid=a_dead_pid())
    work = stopped_run(tmp_path, lock)
    note = ResultsFolder(tmp_path / "out").check()
    assert note is not None and f"process {lock.pid}" in note and "moved to" in note
    assert not work.exists()
    (aside,) = tmp_path.glob("out.incomplete-*")
    assert pd.read_parquet(aside / "visits")["replication"].tolist() == [0]
    assert "Parts written per table: {'visits': 1}" in (aside / INCOMPLETE).read_text()
    assert not (aside / LOCK_FILE).exists()


def test_a_dead_runs_partial_without_finished_work_is_removed(tmp_path):
    lock = dataclasses.replace(RunLock.of_this_process(), pid=a_dead_pid())
    work = stopped_run(tmp_path, lock, parts=False)
    note = ResultsFolder(tmp_path / "out").check()
    assert note is not None and "held no finished replication" in note
    assert not work.exists() and not list(tmp_path.glob("out.incomplete-*"))


@pytest.mark.parametrize(
    "change, why",
    [
        ({}, "this very process: alive"),
        ({"host": "another-host.example"}, "another host: this machine cannot tell"),
    ],
)
def test_a_partial_that_is_not_provably_dead_is_refused_and_untouched(tmp_path, change, why):
    work = stopped_run(tmp_path, dataclasses.replace(RunLock.of_this_process(), **change))
    before = sorted(p.relative_to(work) for p in work.rglob("*"))
    with pytest.raises(ResultsExistError, match="another run is writing here"):
        ResultsFolder(tmp_path / "out").check()
    assert sorted(p.relative_to(work) for p in work.rglob("*")) == before, why


@pytest.mark.parametrize("lock_text", [None, "not json", '{"pid": 1}'])
def test_a_partial_without_a_readable_lock_is_never_touched(tmp_path, lock_text):
    work = stopped_run(tmp_path, None)
    if lock_text is not None:
        (work / LOCK_FILE).write_text(lock_text)
    with pytest.raises(ResultsExistError, match="no lock file of a hubsim run"):
        ResultsFolder(tmp_path / "out").open()
    assert (work / "visits" / "part-00000.parquet").is_file()


def test_a_reused_pid_or_a_reboot_proves_the_run_dead():
    mine = RunLock.of_this_process()
    if mine.start_ticks is None or mine.boot is None:
        pytest.skip("needs Linux's /proc")
    assert dataclasses.replace(mine, start_ticks=mine.start_ticks - 1).is_dead()
    assert dataclasses.replace(mine, boot="another-boot").is_dead()
    assert not mine.is_dead()


def test_a_killed_run_is_reported_and_the_next_run_on_its_folder_goes_ahead(tmp_path, capsys):
    scenario = tmp_path / "short.yaml"
    scenario.write_text(
        f"extends: {QUEUE_ONLY}\nsimulation: {{horizon_days: 365, warmup_days: 0}}\n"
    )
    out = tmp_path / "out"
    command = [sys.executable, "-m", "sim", "run", str(scenario), "-q", "--workers", "1"]
    killed = subprocess.Popen([*command, "-n", "200", "--out", str(out)])
    first_part = out.with_name("out.partial") / "visits" / "part-00000.parquet"
    deadline = time.monotonic() + 120
    while not first_part.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    killed.send_signal(signal.SIGKILL)
    killed.wait()
    assert first_part.exists(), "the run wrote a replication before it was killed"
    lock = json.loads((out.with_name("out.partial") / LOCK_FILE).read_text())
    assert lock["pid"] == killed.pid

    assert main(["run", str(scenario), "-q", "-n", "1", "--workers", "1", "--out", str(out)]) == 0
    (aside,) = tmp_path.glob("out.incomplete-*")
    err = capsys.readouterr().err
    assert f"process {killed.pid}" in err and f"moved to {aside}" in err
    assert (aside / "visits" / "part-00000.parquet").is_file(), "the killed run's work is kept"
    assert (out / "manifest.json").is_file() and not (out / LOCK_FILE).exists()

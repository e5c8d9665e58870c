"""Sweeps that survive: Dask (local and a real scheduler), SIGKILL then --resume, a worker
dying mid-task. Slow: each starts processes and runs a few hundred short simulations."""

import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import pytest
from analysis_support import LONG, write

from sim.analysis.experiment import load_experiment
from sim.analysis.store import SweepStore
from sim.analysis.sweep import sweep
from sim.execution import DaskExecutor, ProcessExecutor, SerialExecutor

pytestmark = pytest.mark.slow
ROOT = Path(__file__).resolve().parents[2]
SMOKE = ROOT / "experiments" / "smoke.yaml"


@pytest.fixture(scope="module")
def long_experiment(tmp_path_factory):
    return write(tmp_path_factory.mktemp("long"), LONG)


@pytest.fixture(scope="module")
def uninterrupted(long_experiment):
    return sweep(load_experiment(long_experiment), executor=SerialExecutor())


def _hubsim(*args, **kwargs):
    return subprocess.Popen(
        [sys.executable, "-m", "sim", *args],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **kwargs,
    )


def test_dask_with_two_workers_gives_the_serial_table():
    experiment = load_experiment(SMOKE)
    serial = sweep(experiment, executor=SerialExecutor())
    with DaskExecutor(workers=2) as executor:
        on_dask = sweep(experiment, executor=executor)
    pd.testing.assert_frame_equal(serial, on_dask, check_exact=True)


def test_a_sweep_runs_on_a_real_dask_scheduler_and_two_workers(tmp_path):
    address_file = tmp_path / "scheduler.json"
    dask = Path(sys.executable).with_name("dask")
    common = ["--no-dashboard"]
    scheduler = subprocess.Popen(
        [
            dask,
            "scheduler",
            "--host",
            "127.0.0.1",
            "--port",
            "0",
            "--scheduler-file",
            address_file,
            *common,
        ],
        cwd=ROOT,
        stderr=subprocess.DEVNULL,
    )
    workers = []
    try:
        deadline = time.monotonic() + 60
        while not address_file.exists() and time.monotonic() < deadline:
            time.sleep(0.2)

        address = json.loads(address_file.read_text())["address"]
        assert address.startswith("tcp://127.0.0.1:")
        for _ in range(2):
            workers.append(
                subprocess.Popen(
                    [dask, "worker", address, "--nthreads", "1", "--host", "127.0.0.1", *common],
                    cwd=ROOT,
                    stderr=subprocess.DEVNULL,
                )
            )
        out = tmp_path / "on-cluster"
        done = _hubsim("sweep", str(SMOKE), "--scheduler", address, "--out", str(out), "-q")
        _, stderr = done.communicate(timeout=600)
        assert done.returncode == 0, stderr
        stored = SweepStore(out).runs()
        serial = sweep(load_experiment(SMOKE), executor=SerialExecutor())
        pd.testing.assert_frame_equal(stored, serial, check_exact=True)
    finally:
        for process in [*workers, scheduler]:
            process.terminate()
        for process in [*workers, scheduler]:
            process.wait(timeout=60)


def test_sigkill_midway_then_resume_equals_an_uninterrupted_sweep(
    long_experiment, uninterrupted, tmp_path
):
    out = tmp_path / "killed"
    store = SweepStore(out)
    process = _hubsim("sweep", str(long_experiment), "--workers", "1", "--out", str(out), "-q")
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and not list((store.work / "runs").glob("batch-*")):
        assert process.poll() is None, process.communicate()
        time.sleep(0.1)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    finished = store.finished()
    assert 0 < len(finished) < len(uninterrupted), "the kill came too late to test anything"
    assert not out.exists()
    resumed = _hubsim(
        "sweep", str(long_experiment), "--resume", "--workers", "1", "--out", str(out), "-q"
    )
    _, stderr = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, stderr
    table = SweepStore(out).runs()
    assert not table.duplicated(["point", "replication"]).any()
    pd.testing.assert_frame_equal(table, uninterrupted, check_exact=True)


def _kill_one_later(pids, delay_s):
    def kill():
        time.sleep(delay_s)
        os.kill(pids()[0], signal.SIGKILL)

    thread = threading.Thread(target=kill, daemon=True)
    thread.start()
    return thread


def test_a_local_worker_dying_mid_task_loses_nothing(long_experiment, uninterrupted, capfd):
    experiment = load_experiment(long_experiment)
    with ProcessExecutor(2) as executor:
        time.sleep(5)  # the workers have imported the simulator
        killer = _kill_one_later(lambda: list(executor._pool._processes), 2.0)
        table = sweep(experiment, executor=executor)
        killer.join()
    assert "a worker died" in capfd.readouterr().err
    pd.testing.assert_frame_equal(table, uninterrupted, check_exact=True)


def test_a_dask_worker_dying_mid_task_loses_nothing(long_experiment, uninterrupted):
    experiment = load_experiment(long_experiment)
    with DaskExecutor(workers=2) as executor:
        client = executor._connected()
        pids = list(client.run(os.getpid).values())
        killer = _kill_one_later(lambda: pids, 3.0)
        table = sweep(experiment, executor=executor)
        killer.join()
        assert set(client.run(os.getpid).values()) != set(pids)  # the nanny started another
    pd.testing.assert_frame_equal(table, uninterrupted, check_exact=True)

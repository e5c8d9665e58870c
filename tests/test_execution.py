import json
import math
import os
import pickle
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path

import numpy as np
import pandas as pd
import psutil
import pytest

from sim.cli import main
from sim.execution import (
    TASKS_PER_WORKER,
    DaskExecutor,
    ProcessExecutor,
    SchedulerUnreachableError,
    SerialExecutor,
    default_batch_size,
    make_executor,
)
from sim.metrics import replication_kpis
from sim.runner import replicate, run, run_kpis, run_replications
from sim.scenario import load_scenario

SCENARIOS = Path(__file__).resolve().parents[1] / "scenarios"


def shout(word: str) -> str:
    """A toy task that fails on an empty word (raised inside the worker)."""
    if not word:
        raise ValueError("cannot shout an empty word")
    return word.upper()


# ---------------------------------------------------------------------------------------------
# Executors, shared by the module: each starts its workers once (a few seconds each).


@pytest.fixture(scope="module")
def processes_1():
    with ProcessExecutor(1) as executor:
        yield executor


@pytest.fixture(scope="module")
def processes_2():
    with ProcessExecutor(2) as executor:
        yield executor


@pytest.fixture(scope="module")
def dask_2():
    with DaskExecutor(workers=2) as executor:
        yield executor


# Starting each kind of worker costs seconds: the default suite starts two workers of each
# kind once; one local worker and the agent model on Dask run with -m slow.
EXECUTORS = ["serial", pytest.param("processes_1", marks=pytest.mark.slow), "processes_2", "dask_2"]


def started(request, name: str):
    return SerialExecutor() if name == "serial" else request.getfixturevalue(name)


@pytest.fixture(params=EXECUTORS)
def executor(request):
    return started(request, request.param)


# ---------------------------------------------------------------------------------------------
# Batching and choosing an executor


def test_batches_keep_every_worker_busy_with_few_items_and_amortise_with_many():
    assert default_batch_size(8, workers=2, task_overhead_s=3e-3) == 1, "8 runs: one per task"
    assert default_batch_size(0, workers=2, task_overhead_s=3e-3) == 1
    # Many cheap items: the per-task cost is spread over enough items (0.1 ms each at most).
    size = default_batch_size(100_000, workers=2, task_overhead_s=3e-3)
    assert size == 30 and 3e-3 / size <= 1e-4
    # In between, balance caps the batch: every worker still gets TASKS_PER_WORKER tasks.
    size = default_batch_size(100, workers=2, task_overhead_s=3e-3)
    assert math.ceil(100 / size) >= TASKS_PER_WORKER * 2


def test_make_executor_follows_the_options():
    assert isinstance(make_executor(1), SerialExecutor)
    assert isinstance(make_executor(3), ProcessExecutor) and make_executor(3).workers == 3
    assert isinstance(make_executor(4, items=1), SerialExecutor), "one item: no pool"
    assert make_executor(4, items=2).workers == 2, "no more workers than items"
    assert make_executor().workers == len(os.sched_getaffinity(0)), "default: every core"
    dask = make_executor(scheduler="tcp://127.0.0.1:8786")  # connects only when used
    assert isinstance(dask, DaskExecutor) and dask.scheduler == "tcp://127.0.0.1:8786"
    with pytest.raises(ValueError, match="at least 1"):
        make_executor(0)


# ---------------------------------------------------------------------------------------------
# Toy function: the same results as serial, whatever the batching


@pytest.mark.parametrize(
    ("count", "batch_size"), [(0, None), (1, None), (1, 5), (7, 1), (7, 3), (40, None), (5, 50)]
)
def test_every_item_comes_back_once_with_its_index(executor, count, batch_size):
    words = [f"w{i}" for i in range(count)]
    got = list(executor.map(shout, words, batch_size=batch_size))
    assert sorted(index for index, _ in got) == list(range(count))
    assert dict(got) == {i: word.upper() for i, word in enumerate(words)}


def worker_pid(_: object) -> int:
    return os.getpid()


def test_work_happens_in_this_process_only_when_serial(executor):
    pids = {pid for _, pid in executor.map(worker_pid, range(8), batch_size=1)}
    assert (pids == {os.getpid()}) == isinstance(executor, SerialExecutor)


def test_zero_batch_size_is_refused(executor):
    with pytest.raises(ValueError, match="batch_size must be at least 1"):
        list(executor.map(shout, ["a"], batch_size=0))


def test_a_worker_exception_reraises_with_its_message_and_worker_traceback(executor):
    with pytest.raises(ValueError, match="cannot shout an empty word") as caught:
        list(executor.map(shout, ["a", "b", "", "c"], batch_size=1))
    text = "".join(traceback.format_exception(caught.value))
    assert 'in shout\n    raise ValueError("cannot shout' in text, "the worker's frames are shown"
    # The executor is still usable after a failed map.
    assert dict(executor.map(shout, ["x"])) == {0: "X"}


# ---------------------------------------------------------------------------------------------
# Simulations: bit-identical whatever the executor and the worker count


@pytest.fixture(scope="module")
def agent_scenario(tmp_path_factory):
    """The baseline with 1,500 agents: every mechanism, a second or two a replication."""
    path = tmp_path_factory.mktemp("agents") / "agents.yaml"
    path.write_text(
        f"extends: {SCENARIOS / 'baseline.yaml'}\n"
        "simulation: {replications: 2}\n"
        "workforce: {size: 1500}\n"
    )
    return load_scenario(path)


@pytest.fixture(scope="module")
def queue_scenario(tmp_path_factory):
    path = tmp_path_factory.mktemp("queue") / "queue.yaml"
    path.write_text(
        f"extends: {SCENARIOS / 'queue-only.yaml'}\n"
        "simulation: {horizon_days: 200, warmup_days: 20, replications: 3}\n"
    )
    return load_scenario(path)


def tables(result) -> dict[str, pd.DataFrame]:
    """Every per-replication table of a Run."""
    out = {"visits": result.queue.visits, "daily": result.queue.records.daily()}
    if result.agents_daily is not None:
        out |= {"agents_daily": result.agents_daily, "groups": result.agents_groups}
    return out


def kpi_bytes(kpis: dict[str, float]) -> tuple[list[str], bytes]:
    """Names and exact bits of a KPI dict (NaN-safe, unlike ==)."""
    return list(kpis), np.array(list(kpis.values()), dtype=float).tobytes()


@pytest.fixture(scope="module")
def serial_runs(agent_scenario, queue_scenario):
    return {
        "agents": run_replications(agent_scenario, seed=3),
        "queue": run_replications(queue_scenario, seed=3),
    }


SIMULATIONS = [
    ("serial", "agents"),
    ("serial", "queue"),
    ("processes_2", "agents"),
    ("processes_2", "queue"),
    ("dask_2", "queue"),
    pytest.param("dask_2", "agents", marks=pytest.mark.slow),
    pytest.param("processes_1", "agents", marks=pytest.mark.slow),
    pytest.param("processes_1", "queue", marks=pytest.mark.slow),
]


@pytest.mark.parametrize(("name", "kind"), SIMULATIONS)
def test_tables_and_kpis_are_bit_identical_on_every_executor(
    request, name, kind, agent_scenario, queue_scenario, serial_runs
):
    executor = started(request, name)
    scenario = agent_scenario if kind == "agents" else queue_scenario
    expected = serial_runs[kind]
    runs = dict(replicate(run, scenario, seed=3, executor=executor))
    assert sorted(runs) == list(range(len(expected)))
    for reference in expected:
        got = runs[reference.replication]
        for name, frame in tables(reference).items():
            pd.testing.assert_frame_equal(tables(got)[name], frame, check_exact=True, obj=name)
    lean = dict(replicate(run_kpis, scenario, seed=3, executor=executor))
    for reference in expected:
        assert kpi_bytes(lean[reference.replication]) == kpi_bytes(replication_kpis(reference))


def test_run_kpis_is_small_to_pickle_and_matches_the_full_run(agent_scenario, serial_runs):
    kpis = run_kpis(agent_scenario, seed=3, replication=1)
    assert len(pickle.dumps(kpis)) < 100_000
    assert len(pickle.dumps(serial_runs["agents"][1])) > 10 * len(pickle.dumps(kpis))
    assert kpi_bytes(kpis) == kpi_bytes(replication_kpis(serial_runs["agents"][1]))
    assert all(isinstance(value, float) for value in kpis.values())


# ---------------------------------------------------------------------------------------------
# The command line


@pytest.fixture
def small_queue_file(tmp_path):
    path = tmp_path / "small.yaml"
    path.write_text(
        f"extends: {SCENARIOS / 'queue-only.yaml'}\n"
        "simulation: {horizon_days: 200, warmup_days: 20, replications: 3}\n"
    )
    return path


def test_cli_gives_the_same_kpis_with_one_or_two_workers_or_a_scheduler(
    small_queue_file, tmp_path, dask_2
):
    folders = {}
    for name, options in {
        "serial": ["--workers", "1"],
        "two": ["--workers", "2"],
        "dask": ["--scheduler", dask_2.scheduler_address],
    }.items():
        folders[name] = tmp_path / name
        command = ["run", str(small_queue_file), "-q", "--out", str(folders[name])]
        assert main([*command, *options]) == 0
    serial = (folders["serial"] / "kpis.csv").read_bytes()
    replications = pd.read_csv(folders["serial"] / "kpis.csv")["replication"]
    assert replications.unique().tolist() == [0, 1, 2]
    assert (folders["two"] / "kpis.csv").read_bytes() == serial
    assert (folders["dask"] / "kpis.csv").read_bytes() == serial
    daily = pd.read_parquet(folders["serial"] / "daily_pathway")
    pd.testing.assert_frame_equal(
        pd.read_parquet(folders["two"] / "daily_pathway"), daily, check_exact=True
    )
    # The charts are drawn on the workers (only their PNGs come back): the same files.
    charts = {path.name: path.read_bytes() for path in (folders["serial"] / "charts").iterdir()}
    assert len(charts) >= 5
    for name in ("two", "dask"):
        drawn = {path.name: path.read_bytes() for path in (folders[name] / "charts").iterdir()}
        assert drawn == charts


@pytest.mark.parametrize("workers", ["0", "-2", "two"])
def test_cli_refuses_a_bad_worker_count_with_exit_2(small_queue_file, tmp_path, capsys, workers):
    with pytest.raises(SystemExit) as stopped:
        main(["run", str(small_queue_file), "--workers", workers, "--out", str(tmp_path / "x")])
    assert stopped.value.code == 2
    assert "--workers" in capsys.readouterr().err
    assert not (tmp_path / "x").exists()


def test_cli_refuses_workers_with_a_scheduler(small_queue_file, capsys):
    with pytest.raises(SystemExit) as stopped:
        main(["run", str(small_queue_file), "--workers", "2", "--scheduler", "tcp://1.2.3.4:1"])
    assert stopped.value.code == 2
    assert "not allowed with argument" in capsys.readouterr().err


def test_cli_bad_scheduler_address_exits_2_with_a_message(small_queue_file, tmp_path, capsys):
    out = tmp_path / "x"
    assert main(["run", str(small_queue_file), "--scheduler", "nowhere", "--out", str(out)]) == 2
    assert "no Dask scheduler at 'nowhere'" in capsys.readouterr().err
    assert not out.exists()


def test_unreachable_scheduler_is_reported_after_the_timeout():
    # Port 1 on loopback: nothing listens there.
    with pytest.raises(SchedulerUnreachableError, match=r"tcp://127\.0\.0\.1:1"):
        DaskExecutor(scheduler="tcp://127.0.0.1:1", connect_timeout_s=0.5).__enter__()


# ---------------------------------------------------------------------------------------------
# Ctrl-C


SLEEPER = """
import time
from sim.execution import ProcessExecutor
with ProcessExecutor(2) as executor:
    print("mapping", flush=True)
    for _ in executor.map(time.sleep, [60] * 4):
        pass
"""


def test_ctrl_c_stops_the_workers_at_once_and_leaves_no_process():
    caller = subprocess.Popen(
        [sys.executable, "-c", SLEEPER], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert caller.stdout.readline().strip() == "mapping"
    family = psutil.Process(caller.pid)
    deadline = time.monotonic() + 60
    while len(family.children(recursive=True)) < 3:  # the fork server and two workers
        assert time.monotonic() < deadline, "the workers never started"
        time.sleep(0.1)
    time.sleep(0.5)  # let them pick up their 60-second tasks
    descendants = family.children(recursive=True)
    interrupted = time.monotonic()
    caller.send_signal(signal.SIGINT)
    _, err = caller.communicate(timeout=30)
    assert time.monotonic() - interrupted < 10, "stopped long before the tasks would end"
    assert "KeyboardInterrupt" in err
    _, alive = psutil.wait_procs(descendants, timeout=10)
    assert not alive, f"processes left behind: {alive}"


# ---------------------------------------------------------------------------------------------
# What the workers inherit and what they give back


WARMED_THEN_RUN = """
import json, sys
import sim.worker_preload  # what the fork server does before forking any worker
from numba.core.registry import CPUDispatcher
import sim, sim.behaviour, sim.queue.engine, sim.rules
from sim.results import run_tables

def loaded():
    return {
        f"{module.__name__}.{name}": len(kernel.overloads)
        for module in (sim.behaviour, sim.queue.engine, sim.rules)
        for name, kernel in vars(module).items()
        if isinstance(kernel, CPUDispatcher) and kernel.overloads
    }

warmed = loaded()
for path, overrides in json.loads(sys.argv[1]):
    run_tables(sim.variant(sim.load_scenario(path), overrides), 1, 0)
print(json.dumps({"warmed": warmed, "after": loaded()}))
"""


def test_the_fork_servers_warm_up_loads_every_kernel_a_run_calls():
    # The baseline's structure (agents, waves, outreach, every stage kind: shrunk, its numbers
    # unused) and the queue-only scenario: after the warm-up they load no kernel of their own.
    runs = [
        [str(SCENARIOS / "baseline.yaml"), {"workforce.size": 3000}],
        [str(SCENARIOS / "queue-only.yaml"), {}],
    ]
    env = {key: value for key, value in os.environ.items() if key != "NUMBA_DISABLE_JIT"}
    done = subprocess.run(
        [sys.executable, "-c", WARMED_THEN_RUN, json.dumps(runs)],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    kernels = json.loads(done.stdout.splitlines()[-1])
    assert {"sim.queue.engine.run", "sim.behaviour.step_workers"} <= set(kernels["warmed"])
    assert kernels["after"] == kernels["warmed"]


def test_release_memory_frees_the_cycles_a_replication_leaves():
    import gc

    from sim.execution import release_memory

    class Agent:
        def __init__(self, model):
            self.model = model  # agent -> model -> agents: freed only by the cycle collector

    class Model:
        def __init__(self):
            self.agents = [Agent(self) for _ in range(1000)]

    gc.disable()  # as if the collector's own schedule had not come round yet
    try:
        Model()
        assert any(isinstance(thing, Model) for thing in gc.get_objects())
        release_memory()
        assert not any(isinstance(thing, Model) for thing in gc.get_objects())
    finally:
        gc.enable()


def test_a_process_executor_holds_no_result_it_has_yielded():
    import weakref

    with ProcessExecutor(2) as executor:
        arrived = executor.map(np.ones, [100_000] * 6)
        _, first = next(arrived)
        kept = weakref.ref(first)
        del first
        next(arrived)  # the map goes on: nothing in it may still refer to the first result
        assert kept() is None
        assert len(list(arrived)) == 4

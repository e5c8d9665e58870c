"""Executors: one function over many items, serially, on local processes or on Dask.

`run` uses them for replications; compare, capacity and sweep use the same interface. An
executor's `map(function, items)` yields `(index_in_items, result)` pairs as results arrive.
Results never depend on the executor or the number of workers: every item is computed by
the same pure function of the item (a replication draws from its own named streams, see
`sim.streams`), so only the order of arrival changes.

Batching. Items travel to workers in batches (tasks of several items) so that dispatch costs
little per item. The default batch is `default_batch_size`: big enough to spread each
executor's measured per-task cost (`TASK_OVERHEAD_S`) to at most `DISPATCH_BUDGET_S` an item,
but never so big that a worker gets fewer than `TASKS_PER_WORKER` tasks (the last, unevenly
finishing tasks would then leave workers idle). With few items (such as 8 replications on 2
workers) balance wins and each item is its own task: dispatch then costs a few milliseconds
in all, against seconds for one replication.

Stopping. A worker's exception re-raises in the caller with the worker's traceback text
attached (as ``__cause__`` for local processes; Dask re-attaches the remote frames). Ctrl-C
in the caller cancels the pending work and terminates the workers at once: local workers
ignore SIGINT themselves, so that the caller alone decides, and none is left behind.
"""

from __future__ import annotations

import asyncio
import ctypes
import functools
import gc
import math
import multiprocessing
import os
import signal
import time
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from functools import partial
from itertools import batched
from typing import Protocol, Self

DISPATCH_BUDGET_S = 1e-4
"""Dispatch cost allowed per item once there are enough items to batch (issue #8: < 1 ms)."""
TASKS_PER_WORKER = 4
"""Fewest tasks per worker that batching may leave, so that workers finish close together."""


class Executor(Protocol):
    """Runs a picklable function of one item over many items."""

    workers: int
    """How many items can be computed at the same time."""

    def map[T, R](
        self, function: Callable[[T], R], items: Iterable[T], *, batch_size: int | None = None
    ) -> Iterator[tuple[int, R]]:
        """Yield `(index_in_items, function(item))` for every item, in completion order.

        `function` must be a picklable module-level callable (or a `functools.partial` of
        one); `batch_size` items travel to a worker together (default `default_batch_size`).
        """
        ...

    def close(self) -> None:
        """Release the workers (waiting for running tasks)."""
        ...

    def __enter__(self) -> Self: ...

    def __exit__(self, *exc_info: object) -> None: ...


def available_cores() -> int:
    """Cores this process may run on (its CPU affinity, not the machine's count)."""
    counted = getattr(os, "process_cpu_count", None)  # Python 3.13+
    if counted is not None:
        return counted() or 1
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def default_batch_size(items: int, workers: int, task_overhead_s: float) -> int:
    """Items per task: spread `task_overhead_s` to `DISPATCH_BUDGET_S` an item, but keep at
    least `TASKS_PER_WORKER` tasks per worker (balance wins when there are few items)."""
    amortising = math.ceil(task_overhead_s / DISPATCH_BUDGET_S)
    balancing = math.ceil(items / (TASKS_PER_WORKER * max(1, workers)))  # 0: none joined yet
    return max(1, min(amortising, balancing))


def make_executor(
    workers: int | None = None, scheduler: str | None = None, *, items: int | None = None
) -> Executor:
    """The executor for a command's options.

    Parameters
    ----------
    workers
        Local worker processes (default: every available core); 1 computes in this process.
    scheduler
        Address of a running Dask scheduler (e.g. ``tcp://10.0.0.5:8786``); its workers are
        used and `workers` is ignored.
    items
        How many items will be mapped, if known: no more workers are started than items.
    """
    if scheduler is not None:
        return DaskExecutor(scheduler=scheduler)
    count = local_workers(workers, items)
    return SerialExecutor() if count == 1 else ProcessExecutor(count)


def local_workers(workers: int | None = None, items: int | None = None) -> int:
    """How many local processes `make_executor` uses: `workers`, else every available core,
    and never more than `items` (when known)."""
    if workers is not None and workers < 1:
        raise ValueError(f"workers must be at least 1, found {workers}")
    count = workers or available_cores()
    return count if items is None else max(1, min(count, items))


def _run_batch[T, R](
    function: Callable[[T], R], batch: tuple[tuple[int, T], ...]
) -> list[tuple[int, R]]:
    """A task: `function` over a batch of `(index, item)` pairs (runs on the worker), then
    the memory its items left behind is given back (`release_memory`)."""
    started = time.perf_counter()
    results = [(index, function(item)) for index, item in batch]
    release_memory_after(started)
    return results


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    # glibc's; other C libraries (musl, macOS) have none and return memory their own way.
    return getattr(ctypes.CDLL(None), "malloc_trim", None)


RELEASE_AFTER_S = 0.5
"""Least work (seconds) after which memory is given back: a collection costs milliseconds
to a tenth of a second in a large process, nothing after a replication of seconds but
ruinous after each of 10,000 evaluations of a test function."""


def release_memory_after(started: float) -> None:
    """`release_memory()` if the work begun at `started` (`time.perf_counter()`) took at
    least `RELEASE_AFTER_S`."""
    if time.perf_counter() - started >= RELEASE_AFTER_S:
        release_memory()


def release_memory() -> None:
    """Free the garbage a finished item left and give the freed heap back to the system.

    A replication's Mesa model and its agents refer to each other, so only Python's cycle
    collector frees them, and on its own schedule: left to it, a worker grew by about 60 MB
    with each baseline replication. glibc then keeps freed memory for reuse; `malloc_trim`
    returns it, so a worker's footprint between items is that of its imports.
    """
    gc.collect()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


def _batches[T](
    items: Iterable[T], workers: int, batch_size: int | None, overhead_s: float
) -> Iterator[tuple[tuple[int, T], ...]]:
    indexed = list(enumerate(items))
    if batch_size is None:
        batch_size = default_batch_size(len(indexed), workers, overhead_s)
    elif batch_size < 1:
        raise ValueError(f"batch_size must be at least 1, found {batch_size}")
    return batched(indexed, batch_size)


class _Closing:
    """Context-manager behaviour shared by the executors: `close()` on the way out."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def close(self) -> None:
        """Release the workers (nothing to release here)."""


class SerialExecutor(_Closing):
    """Computes every item in this process, in order (for one worker, debugging and tests)."""

    workers = 1
    TASK_OVERHEAD_S = 0.0

    def map[T, R](
        self, function: Callable[[T], R], items: Iterable[T], *, batch_size: int | None = None
    ) -> Iterator[tuple[int, R]]:
        """Yield `(index, function(item))` in item order (`batch_size` changes nothing)."""
        if batch_size is not None and batch_size < 1:
            raise ValueError(f"batch_size must be at least 1, found {batch_size}")
        for index, item in enumerate(items):
            started = time.perf_counter()
            result = function(item)
            release_memory_after(started)
            yield index, result


START_METHOD = "forkserver"
"""How local workers start. Not fork: the caller may hold threads (tqdm's monitor, a Dask
client), and forking a threaded process can deadlock. The fork server is a fresh process that
imports the simulator and loads its kernels once (`PRELOAD`: `sim.worker_preload`); every
worker forks from it with both done, which starts a worker faster than spawn's fresh
interpreter and shares the kernels' memory (see docs/execution.md)."""
PRELOAD = ["sim.worker_preload"]


def start_fork_server() -> None:
    """Start the fork server of local workers now, without waiting for it.

    It imports the simulator and loads the kernels (`PRELOAD`) in its own process, which
    takes seconds: a command that knows early that it will use local workers calls this
    first, so that the fork server gets ready while the command reads its scenario, and the
    workers of its `ProcessExecutor` fork at once. Calling it again does nothing.
    """
    from multiprocessing import forkserver

    multiprocessing.get_context(START_METHOD).set_forkserver_preload(PRELOAD)
    forkserver.ensure_running()


def _worker_started() -> None:
    # The caller handles Ctrl-C (it cancels and terminates us): a worker interrupted mid-task
    # would instead report KeyboardInterrupt as the task's result and carry on.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


class ProcessExecutor(_Closing):
    """Local worker processes (a `concurrent.futures.ProcessPoolExecutor`).

    The processes start on entering the executor (or on the first `map`) and live until
    `close`, so each imports the simulator and loads the numba cache once (on its first
    task) and keeps the compiled kernels for every later task and map.
    """

    TASK_OVERHEAD_S = 3e-4
    """Measured cost of one task round trip (see docs/execution.md)."""

    def __init__(self, workers: int) -> None:
        if workers < 1:
            raise ValueError(f"workers must be at least 1, found {workers}")
        self.workers = workers
        self._pool: ProcessPoolExecutor | None = None

    def _started(self) -> ProcessPoolExecutor:
        if self._pool is None:
            context = multiprocessing.get_context(START_METHOD)
            context.set_forkserver_preload(PRELOAD)
            self._pool = ProcessPoolExecutor(
                self.workers, mp_context=context, initializer=_worker_started
            )
        return self._pool

    def __enter__(self) -> Self:
        # Start every worker now (the pool would on the first tasks), so that they import
        # the simulator while the caller prepares the work.
        pool = self._started()
        for _ in range(self.workers):
            pool.submit(os.getpid)
        return self

    def map[T, R](
        self, function: Callable[[T], R], items: Iterable[T], *, batch_size: int | None = None
    ) -> Iterator[tuple[int, R]]:
        """Yield `(index, function(item))` as the workers finish them."""
        pool = self._started()
        # A finished future keeps its result: hold only the unfinished ones, so that each
        # result is freed once it has been yielded (memory must not grow with the items).
        pending = {
            pool.submit(_run_batch, function, batch)
            for batch in _batches(items, self.workers, batch_size, self.TASK_OVERHEAD_S)
        }
        try:
            for future in as_completed(pending):
                pending.discard(future)
                yield from future.result()
        except BaseException as stop:
            for future in pending:
                future.cancel()
            if not isinstance(stop, Exception | GeneratorExit):  # Ctrl-C, SystemExit
                self.terminate()
            raise

    def terminate(self) -> None:
        """Stop the workers now, abandoning running tasks (after Ctrl-C)."""
        if self._pool is None:
            return
        pool, self._pool = self._pool, None
        kill = getattr(pool, "terminate_workers", None)  # Python 3.14+
        if kill is not None:
            kill()
        else:
            # Before 3.14 the pool offers no public way to stop a running task.
            for process in list((pool._processes or {}).values()):
                process.terminate()
        pool.shutdown(wait=True, cancel_futures=True)

    def close(self) -> None:
        """Let running tasks finish, then stop the workers."""
        if self._pool is not None:
            pool, self._pool = self._pool, None
            pool.shutdown(wait=True, cancel_futures=True)

    def __exit__(self, *exc_info: object) -> None:
        error = exc_info[1] if exc_info else None
        if error is not None and not isinstance(error, Exception):
            self.terminate()
        else:
            self.close()


class SchedulerUnreachableError(Exception):
    """No Dask scheduler answers at the address given."""


def _knock(address: str, timeout_s: float) -> None:
    """Open and close one connection to `address`, or raise `SchedulerUnreachableError`.

    A `distributed.Client` that fails to connect cannot be disposed of cleanly (its
    finaliser later waits out a timeout and prints a traceback), so the address is tried
    first with Dask's own transport."""
    from distributed.comm import connect

    async def knock() -> None:
        comm = await connect(address, timeout=timeout_s)
        await comm.close()

    try:
        asyncio.run(knock())
    except (OSError, ValueError) as error:
        raise SchedulerUnreachableError(f"no Dask scheduler at {address!r}: {error}") from error


class DaskExecutor(_Closing):
    """Dask workers: a local cluster on this machine, or a running scheduler's workers.

    Parameters
    ----------
    workers
        Worker processes of the local cluster (default: every available core); unused with
        `scheduler`.
    scheduler
        Address of a running scheduler; without it a `distributed.LocalCluster` starts that
        listens on 127.0.0.1 only (one thread per worker process, no dashboard).
    connect_timeout_s
        How long to try to reach `scheduler` before giving up (`SchedulerUnreachableError`).
    """

    TASK_OVERHEAD_S = 3e-3
    """Measured cost of one task round trip on a local cluster (see docs/execution.md)."""

    def __init__(
        self,
        workers: int | None = None,
        scheduler: str | None = None,
        *,
        connect_timeout_s: float = 10.0,
    ) -> None:
        if workers is not None and workers < 1:
            raise ValueError(f"workers must be at least 1, found {workers}")
        self._local_workers = workers or available_cores()
        self.scheduler = scheduler
        self.connect_timeout_s = connect_timeout_s
        self._cluster = None
        self._client = None

    @property
    def workers(self) -> int:
        """Worker threads the scheduler has now (connects if need be)."""
        return sum(self._connected().nthreads().values())

    @property
    def scheduler_address(self) -> str:
        """Address of the scheduler in use (of the local cluster if this executor started
        one), for other clients such as `hubsim run --scheduler`."""
        return self._connected().scheduler.address

    def _connected(self):
        if self._client is None:
            from distributed import Client, LocalCluster  # heavy: only when Dask is used

            if self.scheduler is None:
                self._cluster = LocalCluster(
                    n_workers=self._local_workers,
                    threads_per_worker=1,
                    processes=True,
                    host="127.0.0.1",
                    dashboard_address=None,
                )
                self._client = Client(self._cluster)
            else:
                _knock(self.scheduler, self.connect_timeout_s)
                self._client = Client(self.scheduler, timeout=self.connect_timeout_s)
        return self._client

    def __enter__(self) -> Self:
        self._connected()  # a bad address fails here, before any work
        return self

    def map[T, R](
        self, function: Callable[[T], R], items: Iterable[T], *, batch_size: int | None = None
    ) -> Iterator[tuple[int, R]]:
        """Yield `(index, function(item))` as the workers finish them."""
        from distributed import as_completed as arrived

        client = self._connected()
        task = partial(_run_batch, function)
        batches = _batches(items, self.workers, batch_size, self.TASK_OVERHEAD_S)
        # Holding a finished future keeps its result on the cluster: release each once its
        # result is here (see ProcessExecutor.map).
        pending = {client.submit(task, batch, pure=False) for batch in batches}
        try:
            for future in arrived(pending):
                pending.discard(future)
                result = future.result()
                future.release()
                yield from result
        except BaseException:
            client.cancel(list(pending))
            raise

    def close(self) -> None:
        """Disconnect, and stop the local cluster if this executor started one."""
        client, cluster = self._client, self._cluster
        self._client = self._cluster = None
        if client is not None:
            client.close()
        if cluster is not None:
            cluster.close()

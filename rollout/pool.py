"""The one rollout pool: jobs played by workers that each build their worlds and agents once.

Role in the data flow: `rig eval`, `rig collect`, `rig data review` and `rig eval miniwob` hand
it jobs (a batch of seeds, a source episode, a task's seeds); each worker runs `setup(*args)`
once (making its worlds, agents and browsers) and then `job(state, *item)` for every item it is
given; results come back as they finish, and the caller (the only writer of any store) keeps
them. Two backends, the same results:

- local worker processes (the default): `spawn` processes on this machine, each with the
  threads asked or the cores shared out (`threads_per_worker`), ended with their parent (a
  `kill` of `rig eval` leaves no worker playing on);
- a Ray cluster (`--ray ADDRESS`, the `ray` extra): one actor per worker, spread over the
  cluster's nodes, each with rig installed; actors end with the driver that owns them.

Episodes depend only on their seeds, never on which worker played them or how many there were,
so both backends give the same episodes for the same seeds (tests/test_rollout_pool.py).
`workers=0` means one per core (local) or per CPU of the cluster (Ray); `inline=True` runs the
jobs in this process, one after another, with no worker at all.
"""

from __future__ import annotations

import os
import sys
import time
from typing import Any, Callable, Iterable, Iterator

from rig.config import ConfigError, RigError

Setup = Callable[..., Any]   # setup(*args) -> the worker's state
Job = Callable[..., Any]     # job(state, *item) -> a result


def threads_per_worker(workers: int) -> int:
    """The default torch threads of a worker: the cores shared out, at least one (one each
    when there are as many workers as cores: more threads than cores across processes
    collapse throughput, measured 8-25 against 150-189 tokens/s)."""
    return max(1, (os.cpu_count() or 1) // max(1, workers))


def set_threads(threads: int = 1) -> None:
    """Give this process `threads` torch/BLAS threads (0: leave torch's default)."""
    if not threads:
        return
    os.environ.setdefault("OMP_NUM_THREADS", str(threads))
    try:
        import torch

        torch.set_num_threads(threads)
    except ImportError:
        pass


def single_threaded_worker(threads: int = 1) -> None:
    """Call first in a local worker process: its threads (`set_threads`, one by default) and,
    on Linux, the worker ends with its parent: a `kill` of `rig collect` or `rig eval` must not
    leave workers playing out their episodes on cores that the next run needs."""
    if sys.platform.startswith("linux"):
        import ctypes
        import signal

        try:  # PR_SET_PDEATHSIG = 1
            ctypes.CDLL(None, use_errno=True).prctl(1, int(signal.SIGTERM), 0, 0, 0)
        except (OSError, AttributeError):
            pass  # no prctl in this libc: workers then end when their current task does
    set_threads(threads)


# -- local worker processes ------------------------------------------------------------------------
_STATE: dict = {}  # a local worker's state, built once by its initializer


def _init_local(setup: Setup | None, args: tuple, barrier, threads: int = 1) -> None:
    single_threaded_worker(threads)
    _STATE["state"] = setup(*args) if setup is not None else None
    _STATE["barrier"] = barrier


def _ready(_: int) -> bool:
    """Wait until every worker has built its state (each runs this once: `start`)."""
    _STATE["barrier"].wait(timeout=600)
    return True


def _run_local(job: Job, item: tuple):
    return job(_STATE["state"], *item)


# -- Ray ----------------------------------------------------------------------------------------
def _ray():
    try:
        import ray
    except ImportError:
        raise ConfigError("--ray needs Ray: pip install 'rig[ray]' (or pip install ray) on this "
                          "machine and on every node of the cluster") from None
    return ray


def _ray_worker_class(ray):
    @ray.remote(num_cpus=1)
    class RayWorker:
        def __init__(self, setup: Setup | None, args: tuple, threads: int = 1):
            set_threads(threads)
            self.state = setup(*args) if setup is not None else None

        def ready(self) -> bool:
            return True

        def run(self, job: Job, item: tuple):
            return job(self.state, *item)

    return RayWorker


def _reachable(address: str) -> None:
    """A RigError now, not after Ray's minutes of retries, when nothing listens at `address`
    (`host:port`, the head's GCS port; "auto" and ray:// addresses are left to Ray)."""
    import socket

    host, _, port = address.rpartition(":")
    if address == "auto" or "://" in address or not port.isdigit():
        return
    try:
        socket.create_connection((host or "127.0.0.1", int(port)), timeout=5).close()
    except OSError as error:
        raise RigError(f"cannot reach the Ray cluster at {address} ({error.strerror or error}); "
                       "start one with `ray start --head` and pass the address it prints") \
            from None


class RolloutPool:
    """Workers that build their state once and play jobs (see the module docstring).

        with RolloutPool(make_worlds, (world, agent), workers=2) as pool:
            for result in pool.imap_unordered(play_seeds, [(seeds,) for seeds in batches]):
                ...
    """

    def __init__(self, setup: Setup | None = None, args: tuple = (), workers: int = 0,
                 ray_address: str | None = None, inline: bool = False, jobs: int | None = None,
                 threads: int = 0):
        self.setup, self.args = setup, tuple(args)
        self.requested_threads = int(threads)
        self.ray_address, self.inline = ray_address or None, bool(inline)
        self._executor, self._actors, self._state = None, None, None
        if self.ray_address:
            # Ray's notice about GPU visibility concerns actors that ask for GPUs; ours do not
            os.environ.setdefault("RAY_ACCEL_ENV_VAR_OVERRIDE_ON_ZERO", "0")
            ray = _ray()
            if not ray.is_initialized():
                _reachable(self.ray_address)  # Ray itself would retry for minutes
                try:
                    ray.init(address=self.ray_address, log_to_driver=False,
                             logging_level="warning", configure_logging=False)
                except (ConnectionError, ValueError, RuntimeError) as error:
                    raise RigError(f"cannot reach the Ray cluster at {self.ray_address} "
                                   f"({error}); start one with `ray start --head` and pass "
                                   "its address") from None
            cpus = int(ray.cluster_resources().get("CPU", 1))
            self.workers = max(1, workers or cpus)
        else:
            self.workers = 1 if self.inline else max(1, workers or os.cpu_count() or 1)
        if jobs:  # never more workers than jobs
            self.workers = min(self.workers, max(1, int(jobs)))

    @property
    def threads(self) -> int:
        """Torch threads of each worker: as asked, else the cores shared out (local), or one
        per actor (Ray: an actor asks the cluster for one CPU)."""
        if self.requested_threads:
            return self.requested_threads
        return 1 if self.backend == "ray" else threads_per_worker(self.workers)

    def __enter__(self) -> "RolloutPool":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    @property
    def backend(self) -> str:
        return "ray" if self.ray_address else "inline" if self.inline else "local"

    def describe(self) -> str:
        """The workers in words, for the line a command prints before it starts."""
        if self.backend == "ray":
            return f"{self.workers} Ray worker(s) at {self.ray_address}"
        if self.backend == "inline":
            return "this process"
        return f"{self.workers} worker(s), {self.threads} torch thread(s) each"

    def _start(self) -> None:
        if self.backend == "inline":
            if self._state is None:
                # this process is the worker: its threads as asked (left alone when not: a
                # command's own process keeps the threads its user gave it)
                set_threads(self.requested_threads)
                self._state = (self.setup(*self.args) if self.setup is not None else None,)
        elif self.backend == "local":
            if self._executor is None:
                import concurrent.futures as futures
                import multiprocessing

                context = multiprocessing.get_context("spawn")
                barrier = context.Barrier(self.workers)
                self._executor = futures.ProcessPoolExecutor(
                    self.workers, mp_context=context, initializer=_init_local,
                    initargs=(self.setup, self.args, barrier, self.threads))
        elif self._actors is None:
            ray = _ray()
            worker = _ray_worker_class(ray)
            self._actors = [worker.remote(self.setup, self.args, self.threads)
                            for _ in range(self.workers)]

    def start(self) -> None:
        """Start every worker and wait until each has built its state: what a benchmark calls
        before its clock runs (otherwise workers start with the first jobs)."""
        self._start()
        if self.backend == "local":
            list(self._executor.map(_ready, range(self.workers)))
        elif self.backend == "ray":
            _ray().get([actor.ready.remote() for actor in self._actors])

    def imap_unordered(self, job: Job, items: Iterable[tuple]) -> Iterator[Any]:
        """`job(state, *item)` for every item, on the workers; results as they finish."""
        items = [tuple(item) for item in items]
        self._start()
        if self.backend == "inline":
            for item in items:
                yield job(self._state[0], *item)
        elif self.backend == "local":
            import concurrent.futures as futures

            pending = [self._executor.submit(_run_local, job, item) for item in items]
            try:
                for done in futures.as_completed(pending):
                    yield done.result()
            finally:
                for future in pending:
                    future.cancel()
        else:
            from ray.util import ActorPool

            pool = ActorPool(self._actors)
            yield from pool.map_unordered(lambda actor, item: actor.run.remote(job, item), items)

    def submit(self, job: Job, item: tuple = ()):
        """Start `job(state, *item)` on a worker and return a `concurrent.futures.Future` of
        its result at once, so the caller goes on working (training plays its checkpoints this
        way); inline and on Ray the job runs before the future is returned, done."""
        import concurrent.futures as futures

        self._start()
        if self.backend == "local":
            return self._executor.submit(_run_local, job, tuple(item))
        future = futures.Future()
        try:
            future.set_result(next(iter(self.imap_unordered(job, [tuple(item)]))))
        except Exception as error:  # the caller sees it when it asks for the result
            future.set_exception(error)
        return future

    def map(self, job: Job, items: Iterable[tuple]) -> list[Any]:
        """`job(state, *item)` for every item; results in the order of the items."""
        items = [tuple(item) for item in items]
        indexed = [(index, job, item) for index, item in enumerate(items)]
        results: dict[int, Any] = {}
        for index, result in self.imap_unordered(_indexed, indexed):
            results[index] = result
        return [results[i] for i in range(len(items))]

    def close(self) -> None:
        if self._executor is not None:
            self._executor.shutdown(wait=True, cancel_futures=True)
            self._executor = None
        if self._actors is not None:
            ray = _ray()
            for actor in self._actors:
                ray.kill(actor)
            self._actors = None
        self._state = None


def torch_threads(state, *_) -> int:
    """A job that reports the torch threads its worker runs with (for checks and benches)."""
    import torch

    return torch.get_num_threads()


def _indexed(state, index: int, job: Job, item: tuple):
    return index, job(state, *item)


class _ProgressLines:
    """The progress bar's stand-in when the console is not a terminal (a log file, a pipe):
    rich draws nothing there until the end, so a background run's log would say nothing for
    hours. Prints one plain line each twentieth of the way (and at the end) instead."""

    def __init__(self, console, label: str, total: int):
        self.console, self.label, self.total = console, label, max(int(total), 1)
        self.step = max(1, self.total // 20)
        self.done, self.start, self.next_line = 0, 0.0, self.step

    def __enter__(self):
        self.start = time.perf_counter()
        return self

    def __exit__(self, *exc):
        return False

    def update(self, task, advance: int = 1, status: str = "") -> None:
        self.done += advance
        if self.done < self.next_line and self.done < self.total:
            return
        self.next_line = (self.done // self.step + 1) * self.step
        elapsed = time.perf_counter() - self.start
        left = elapsed / self.done * (self.total - self.done)  # done >= 1 here
        self.console.print(f"{self.label} {self.done}/{self.total} {status} "
                           f"({elapsed / 60:.1f} min, ~{left / 60:.1f} min left)",
                           highlight=False, soft_wrap=True)


def progress_bar(console, label: str, total: int, status: str = ""):
    """The progress bar of every pool command: label, bar, done/total, a status line (a rich
    `{task.fields[status]}`), elapsed and remaining time; plain lines instead where the console
    is not a terminal. Returns (progress, task id)."""
    if not console.is_terminal:
        return _ProgressLines(console, label, total), None
    from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                               TimeElapsedColumn, TimeRemainingColumn)

    progress = Progress(TextColumn(label), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.fields[status]}"), TimeElapsedColumn(),
                        TimeRemainingColumn(), console=console)
    task = progress.add_task(label, total=total, status=status)
    return progress, task

"""Run a batch on a Dask distributed cluster (optional extra: ``pip install thomas-cv[dask]``).

The scheduler hands out one task per few photos (:func:`batches`: enough tasks to keep every
worker busy to the end, few enough that the scheduler is never the bottleneck); each worker
process keeps one pose model for all its tasks. Results stream back to the machine that
started the batch, which writes ``results.csv`` exactly as a local run does, so ``--resume``
works the same. Workers must see the input folder and the output folder at the same paths (a
shared file system).
"""

from __future__ import annotations

import contextlib
import itertools
import os
import threading
import time
import uuid
from typing import Iterator, Optional

from ..core.errors import ClusterLostError, InvalidOptionError, SchedulerUnreachableError

#: how long to wait for a --scheduler to answer before giving up
CONNECT_TIMEOUT_S = 20.0
#: a task whose worker dies this many times becomes a worker_crashed row (Dask's own
#: default, 3, would end the whole batch with KilledWorker)
ALLOWED_FAILURES = 1

#: how long a LocalCluster waits for a dead worker's replacement before closing its nanny for
#: good: for ever in effect. Dask's default (distributed.deploy.lost-worker-timeout, 15 s) closed
#: the nanny when no worker of its name was registered 15 s after a death, which a poison file
#: killing the restarted worker again, or a restart slower than that under load, brings about;
#: the batch then waited for ever on a cluster without workers
LOST_WORKER_TIMEOUT = "3650 days"

#: Dask settings for a LocalCluster the batch starts (its workers get them from their nannies):
#: the statistical profiler (a thread in every worker sampling the task's stack every 10 ms, with
#: the GIL) and the system monitor (every 0.5 s) cost CPU on the cores the photos need; nobody
#: reads their figures here (no dashboard)
LOCAL_CLUSTER_CONFIG = {
    "distributed.worker.profile.enabled": False,
    "distributed.admin.system-monitor.interval": "5s",
}

#: a batch ends (rows so far saved, ``--resume`` does the rest) when the cluster has had no
#: worker for this long (a remote cluster shut down, workers that cannot start); a Dask client
#: otherwise waits for ever for one to come back
NO_WORKER_LIMIT_S = 120.0
#: how often the batch looks for finished tasks and living workers
POLL_S = 0.05

#: tasks kept in flight per worker thread (bounds scheduler memory for huge batches)
IN_FLIGHT_PER_WORKER = 8
#: photos in one task at most, and tasks per worker thread at least among the photos still to
#: hand out: a task costs the scheduler a round trip, a photo about 0.1 s
MAX_PHOTOS_PER_TASK = 8
MIN_TASKS_PER_THREAD = 4


def batches(todo: list, n_threads: int) -> list:
    """``todo`` cut into consecutive tasks of at most :data:`MAX_PHOTOS_PER_TASK` photos, each
    task at most 1 / (:data:`MIN_TASKS_PER_THREAD` x ``n_threads``) of the photos still to hand
    out, so the tasks shrink to single photos at the end: the last tasks spread over every
    worker and no worker is left measuring a long task while the others are idle (with tasks
    of a fixed size the batch's end waited for up to a whole task on one worker); every photo
    once, in order.

    >>> batches(list("abcdefghij"), 2)
    [['a', 'b'], ['c'], ['d'], ['e'], ['f'], ['g'], ['h'], ['i'], ['j']]
    >>> [len(b) for b in batches(list(range(100)), 2)]
    [8, 8, 8, 8, 8, 8, 7, 6, 5, 5, 4, 4, 3, 3, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1]
    >>> batches(["a"], 4)
    [['a']]
    """
    per = max(1, n_threads) * MIN_TASKS_PER_THREAD
    out, i = [], 0
    while i < len(todo):
        size = min(MAX_PHOTOS_PER_TASK, -(-(len(todo) - i) // per))  # ceil: at least one
        out.append(list(todo[i:i + size]))
        i += size
    return out

_WORKER_STATE: dict = {}
#: one task at a time in a worker process: a worker of a remote cluster may run several threads,
#: and the process's one pose model (and the worker module's state) is not thread-safe
_WORKER_LOCK = threading.Lock()


def _process_on_worker(rels: list, opts: dict) -> list:
    """Runs inside a Dask worker process: one estimator per process, loaded on its first task
    of a batch and reused. Keyed on the batch's token (``opts["worker_key"]``, made once by
    :func:`run_on_dask`): every task unpickles its own copy of ``opts``, so anything keyed on
    the factory object itself (its ``id()``) would load the model again for every photo."""
    from . import worker

    with _WORKER_LOCK:
        key = opts["worker_key"]
        if _WORKER_STATE.get("key") != key:
            worker.init_worker(opts)
            _WORKER_STATE["key"] = key
        worker._OPTS = opts
        return [worker.process_one(rel) for rel in rels]


def _connect(scheduler: str):
    """A Client for ``scheduler`` within CONNECT_TIMEOUT_S, whatever the other end does (a
    silent server that accepts the connection and never answers included)."""
    from dask.distributed import Client

    box: dict = {}

    def attempt():
        try:
            box["client"] = Client(scheduler, timeout=f"{CONNECT_TIMEOUT_S:.0f}s", set_as_default=False)
        except Exception as exc:  # noqa: BLE001 - reported below as one clear line
            box["error"] = exc

    t = threading.Thread(target=attempt, daemon=True, name="thomas-cv-dask-connect")
    t.start()
    t.join(CONNECT_TIMEOUT_S + 5)
    if "client" in box:
        return box["client"]
    why = box.get("error")
    detail = f"{why.__class__.__name__}: {' '.join(str(why).split())[:160]}" if why else "no answer"
    raise SchedulerUnreachableError(
        f"cannot reach the Dask scheduler at {scheduler} within {CONNECT_TIMEOUT_S:.0f} s ({detail}). "
        "Check the address (tcp://HOST:8786) and that the scheduler is running.")


class _WorkerWatch:
    """Ends a batch whose cluster has had no worker for :data:`NO_WORKER_LIMIT_S` (a worker
    that never came back after a crash, a remote cluster shut down): without it, the client
    waits for ever."""

    def __init__(self, client, limit_s: float = None, clock=time.monotonic):
        self.client, self.clock = client, clock
        self.limit_s = NO_WORKER_LIMIT_S if limit_s is None else limit_s
        self.since: Optional[float] = None
        self.next_look = 0.0

    def check(self, left: int) -> None:
        now = self.clock()
        if now < self.next_look:
            return
        self.next_look = now + 1.0  # ask the scheduler once a second, not every poll
        if self.client.nthreads():
            self.since = None
            return
        self.since = now if self.since is None else self.since
        if now - self.since >= self.limit_s:
            raise ClusterLostError(
                f"the Dask cluster has had no worker for {self.limit_s:.0f} s, with {left} photo(s) left; "
                "the rows measured so far are saved: start the workers again and run the same "
                "command with --resume.")


def run_on_dask(todo: list[str], opts: dict, scheduler: Optional[str], workers: Optional[int]) -> Iterator[dict]:
    """Yield result rows as the cluster finishes them.

    ``scheduler``: address of a running scheduler (``tcp://host:8786``); None starts a
    LocalCluster of ``workers`` single-threaded processes on this machine.
    """
    try:
        import dask
        from dask.distributed import Client, LocalCluster, as_completed
        from dask.distributed import TimeoutError as DaskTimeoutError
        from distributed.scheduler import KilledWorker
    except ImportError as exc:
        raise InvalidOptionError(
            "--executor dask needs Dask: pip install 'thomas-cv[dask]' (dask[distributed])."
        ) from exc
    from .worker import error_row
    from ..core.errors import WorkerCrashedError
    from ..outputs import display_name

    # one token per batch: a worker loads the model on its first task of this batch only; one
    # OpenCV thread in each single-threaded worker process, as Dask's nanny does for OpenMP and
    # BLAS (worker.opencv_threads)
    opts = dict(opts, worker_key=uuid.uuid4().hex, opencv_threads=1)
    cluster = None
    # a poison file may kill its worker once more, then it is a row, not the end of the batch
    # (read by a scheduler started here; a remote scheduler keeps its own setting)
    # read while the batch runs (when a worker dies), so set for the whole batch
    local_config = contextlib.ExitStack()
    if scheduler:
        client = _connect(scheduler)
    else:
        n = workers or os.cpu_count() or 1
        local_config.enter_context(dask.config.set({"distributed.deploy.lost-worker-timeout": LOST_WORKER_TIMEOUT}))
        try:
            with dask.config.set({"distributed.scheduler.allowed-failures": ALLOWED_FAILURES, **LOCAL_CLUSTER_CONFIG}):
                cluster = LocalCluster(
                    n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
                    dashboard_address=None, silence_logs=40,
                )
            client = Client(cluster)
        except BaseException:
            if cluster is not None:
                cluster.close()
            local_config.close()
            raise
    try:
        n_threads = max(1, sum(client.nthreads().values()))
        limit = n_threads * IN_FLIGHT_PER_WORKER
        pending = iter(batches(todo, n_threads))
        ac = as_completed()
        names: dict = {}
        watch = _WorkerWatch(client)
        n_done = 0  # rows yielded (the nested helpers read it for the watch's message)
        serial = itertools.count()

        def submit(rels, key):
            fut = client.submit(_process_on_worker, rels, opts, key=f"{key}-{next(serial)}-{rels[0]}", pure=False)
            names[fut.key] = rels
            ac.add(fut)

        def outcome(fut):
            """The task's rows, or KilledWorker. A finished task's result still lives on its worker
            and is lost (the task run again) if a poison file kills that worker first, so it is
            awaited in short steps, with an eye on the workers."""
            while True:
                try:
                    return fut.result(timeout=1.0)
                except KilledWorker as exc:
                    return exc
                except DaskTimeoutError:
                    watch.check(len(todo) - n_done)

        def finished():
            """(rels, rows or KilledWorker) of each task as it ends; never waits on a cluster
            without workers for longer than NO_WORKER_LIMIT_S."""
            while not ac.is_empty():
                done = ac.next_batch(block=False)
                if not done:
                    watch.check(len(todo) - n_done)
                    time.sleep(POLL_S)
                    continue
                for fut in done:
                    res = outcome(fut)
                    yield names.pop(fut.key), res
                    fut.release()

        for rels in pending:
            submit(rels, "thomas-cv")
            if ac.count() >= limit:
                break
        # photos of a task whose worker died: any one of them, or a task that happened to share
        # the dying worker, may be the cause, so none is blamed yet
        suspects: list = []
        for rels, res in finished():
            if isinstance(res, KilledWorker):
                suspects.extend(rels)
            else:
                n_done += len(res)
                yield from res
            nxt = next(pending, None)
            if nxt is not None:
                submit(nxt, "thomas-cv")
        # each suspect alone, with nothing else on the cluster: a worker that dies now died of
        # this file, and every other photo still gets its own reading
        for rel in suspects:
            submit([rel], "thomas-cv-alone")
            for _, res in finished():
                if isinstance(res, KilledWorker):
                    res = [error_row(rel, WorkerCrashedError(
                        f"{display_name(rel)}: measuring this file killed the Dask worker {ALLOWED_FAILURES + 1} "
                        "times (out of memory or a fault in a native library); it was given up."))]
                n_done += 1
                yield from res
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
        local_config.close()

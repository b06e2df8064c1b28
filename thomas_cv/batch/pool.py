"""Local worker processes with a per-file time limit and crash isolation.

Each worker process measures one file at a time, so the batch always knows which file a
worker holds: a worker that takes longer than the time limit on one file is killed and
that file gets a ``timeout`` row; a worker that dies (a segfault in a native library, the
out-of-memory killer) is replaced and its file tried once more, then given a
``worker_crashed`` row. The batch goes on either way; nothing hangs, nothing is lost.
"""

from __future__ import annotations

import multiprocessing as mp
import time
from collections import Counter, deque
from multiprocessing.connection import wait
from typing import Iterator, Optional

from ..core.errors import FileTimeoutError, InternalError, ThomasCVError, WorkerCrashedError
from ..outputs import display_name
from . import worker

#: a worker that has not loaded the model after this long is taken as broken
START_TIMEOUT_S = 600.0
#: a file whose worker died this many times gets a worker_crashed row
MAX_ATTEMPTS = 2
#: workers in a row that died before finishing any file: the batch stops (e.g. out of memory)
MAX_BARREN_STARTS = 3


def _worker_main(conn, opts: dict) -> None:  # pragma: no cover - runs in the child
    worker.init_worker(opts, watch_parent=True)
    if worker._INIT_ERROR is not None:
        conn.send(("fatal", worker._INIT_ERROR))
        return
    conn.send(("ready", None))
    while True:
        try:
            rel = conn.recv()
        except EOFError:
            return
        if rel is None:
            return
        conn.send(("row", worker.process_one(rel)))


class _Worker:
    def __init__(self, ctx, opts: dict):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, args=(child, opts), daemon=True, name="thomas-cv-worker")
        self.proc.start()
        child.close()
        self.ready = False
        self.rel: Optional[str] = None
        self.since = time.monotonic()

    def send(self, rel: str) -> None:
        self.conn.send(rel)
        self.rel = rel
        self.since = time.monotonic()

    def kill(self) -> None:
        if self.proc.is_alive():
            self.proc.kill()
        self.proc.join(5)
        self.conn.close()


def run_pool(todo: list[str], opts: dict, n: int, time_limit: Optional[float]) -> Iterator[dict]:
    """Yield a row for every file of ``todo`` as it finishes, on ``n`` worker processes."""
    ctx = mp.get_context("spawn")  # mediapipe graphs are not fork-safe
    queue = deque(todo)
    attempts: Counter = Counter()
    n = max(1, min(n, len(todo)))
    # the cores shared out: OpenCV's default pool (a thread per core) in every worker kept
    # threads spinning beside the other workers' models (worker.opencv_threads)
    opts = dict(opts, opencv_threads=worker.opencv_threads(n))
    workers = [_Worker(ctx, opts) for _ in range(n)]
    barren = 0
    try:
        while queue or any(w.rel is not None for w in workers):
            for w in workers:
                if w.ready and w.rel is None and queue:
                    w.send(queue.popleft())
            now = time.monotonic()
            deadlines = [w.since + (time_limit if w.ready else START_TIMEOUT_S) for w in workers
                         if (w.rel is not None and time_limit) or not w.ready]
            timeout = max(0.0, min(deadlines) - now) if deadlines else None
            wait([w.conn for w in workers] + [w.proc.sentinel for w in workers], timeout)
            now = time.monotonic()
            for i, w in enumerate(workers):
                msg = None
                if w.conn.poll():
                    try:
                        msg = w.conn.recv()
                    except (EOFError, OSError):
                        msg = None
                if msg is not None:
                    kind, value = msg
                    if kind == "fatal":
                        raise value
                    if kind == "ready":
                        w.ready = True
                    elif kind == "row":
                        w.rel = None
                        barren = 0
                        yield value
                    continue
                if not w.proc.is_alive():  # died: a native crash, the OOM killer
                    rel = w.rel
                    w.kill()
                    if rel is not None:
                        attempts[rel] += 1
                        if attempts[rel] >= MAX_ATTEMPTS:
                            barren = 0
                            yield worker.error_row(rel, WorkerCrashedError(
                                f"{display_name(rel)}: measuring this file crashed the worker process {attempts[rel]} "
                                "times (out of memory or a fault in a native library); it was given up."))
                        else:
                            queue.appendleft(rel)
                    barren += 1
                    if barren > MAX_BARREN_STARTS + n:
                        raise InternalError(
                            "the worker processes keep dying before measuring anything (out of memory?). "
                            "Try --workers 1; rerun with --resume to continue.")
                    workers[i] = _Worker(ctx, opts)
                    continue
                if w.rel is not None and time_limit and now - w.since > time_limit:
                    rel = w.rel
                    w.kill()
                    yield worker.error_row(rel, FileTimeoutError(
                        f"{display_name(rel)}: measuring this file took longer than {time_limit:.0f} s; it was "
                        "stopped (raise --time-limit to allow more)."))
                    workers[i] = _Worker(ctx, opts)
                elif not w.ready and now - w.since > START_TIMEOUT_S:
                    raise InternalError(f"a worker process did not start within {START_TIMEOUT_S:.0f} s.")
    finally:
        for w in workers:
            try:
                if w.proc.is_alive() and w.rel is None and w.ready:
                    w.conn.send(None)
            except (OSError, ValueError):
                pass
        for w in workers:
            w.proc.join(0.5)
            w.kill()


__all__ = ["run_pool", "ThomasCVError"]

"""Run a batch on a Dask distributed cluster (optional extra: ``pip install thomas-cv[dask]``).

The scheduler hands out one task per photo; each worker process keeps one pose model for
all its tasks. Results stream back to the machine that started the batch, which writes
``results.csv`` exactly as a local run does, so ``--resume`` works the same. Workers must
see the input folder and the output folder at the same paths (a shared file system).
"""

from __future__ import annotations

import os
from typing import Iterator, Optional

from .errors import InvalidOptionError

#: tasks kept in flight per worker thread (bounds scheduler memory for huge batches)
IN_FLIGHT_PER_WORKER = 8

_WORKER_STATE: dict = {}


def _process_on_worker(rel: str, opts: dict) -> dict:
    """Runs inside a Dask worker process: one estimator per process, reused."""
    from . import batch

    key = (opts.get("model"), id(opts.get("estimator_factory")) if opts.get("estimator_factory") else None)
    if _WORKER_STATE.get("key") != key:
        batch._init_worker(opts)
        _WORKER_STATE["key"] = key
    batch._OPTS = opts
    return batch.process_one(rel)


def run_on_dask(todo: list[str], opts: dict, scheduler: Optional[str], workers: Optional[int]) -> Iterator[dict]:
    """Yield result rows as the cluster finishes them.

    ``scheduler``: address of a running scheduler (``tcp://host:8786``); None starts a
    LocalCluster of ``workers`` single-threaded processes on this machine.
    """
    try:
        from dask.distributed import Client, LocalCluster, as_completed
    except ImportError as exc:
        raise InvalidOptionError(
            "--executor dask needs Dask: pip install 'thomas-cv[dask]' (dask[distributed])."
        ) from exc
    cluster = None
    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except (OSError, TimeoutError) as exc:
            raise InvalidOptionError(f"Cannot reach the Dask scheduler at {scheduler}: {exc}") from exc
    else:
        n = workers or os.cpu_count() or 1
        cluster = LocalCluster(
            n_workers=n, threads_per_worker=1, processes=True, host="127.0.0.1",
            dashboard_address=None, silence_logs=40,
        )
        client = Client(cluster)
    try:
        n_threads = max(1, sum(client.nthreads().values()))
        limit = n_threads * IN_FLIGHT_PER_WORKER
        pending = iter(todo)
        ac = as_completed()
        for rel in pending:
            ac.add(client.submit(_process_on_worker, rel, opts, key=f"thomas-cv-{rel}", pure=False))
            if ac.count() >= limit:
                break
        for fut in ac:
            row = fut.result()
            fut.release()
            yield row
            nxt = next(pending, None)
            if nxt is not None:
                ac.add(client.submit(_process_on_worker, nxt, opts, key=f"thomas-cv-{nxt}", pure=False))
    finally:
        client.close()
        if cluster is not None:
            cluster.close()

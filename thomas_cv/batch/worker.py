"""One batch worker: loads the pose model once, then turns a relative path into a CSV row.

The same code runs in the local worker processes (:mod:`.pool`), on Dask workers
(:mod:`thomas_cv.batch.cluster`) and in-process. ``opts`` is a plain dict (picklable).
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path
from typing import Optional

from ..pipeline.photo import Horizon, Result, analyze_pair_paths, analyze_path
from ..core.errors import InternalError, InvalidOptionError, OutputWriteError, ThomasCVError
from ..outputs import display_name, overlay_name

OVERLAYS = "overlays"

_ESTIMATOR = None
_OPTS: dict = {}
_INIT_ERROR: Optional[ThomasCVError] = None
_ZIP = None  # (path, ZipFile) kept open per process

#: environment variable: OpenCV threads in each batch worker process, overriding
#: :func:`opencv_threads` (a number; ``default``: OpenCV's own, one per core)
OPENCV_THREADS_ENV = "THOMAS_CV_WORKER_OPENCV_THREADS"


def opencv_threads(n_workers: int, cores: Optional[int] = None) -> int:
    """OpenCV threads for each of ``n_workers`` worker processes sharing ``cores`` (default:
    this machine's): the cores shared out, at least one.

    OpenCV's own default is a thread per core in every process, and between two jobs its pool
    threads wait for the next one by yielding the core in a loop, so they stay in the run
    queue: on 2 cores, 2 workers each kept such a thread beside the other worker's model
    (``benchmarks/speed.py --batch-only`` prints the threads' CPU and run-queue time).

    >>> opencv_threads(2, cores=2), opencv_threads(1, cores=2), opencv_threads(3, cores=8), opencv_threads(4, cores=2)
    (1, 2, 2, 1)
    """
    cores = cores or os.cpu_count() or 1
    return max(1, cores // max(1, n_workers))


def limit_threads(n_threads: Optional[int]) -> None:
    """Give OpenCV ``n_threads`` threads in this (worker) process, unless
    :data:`OPENCV_THREADS_ENV` says otherwise; ``None``: leave OpenCV as it is. The count does
    not change a row (``tests/test_batch_threads.py``)."""
    env = os.environ.get(OPENCV_THREADS_ENV, "").strip().lower()
    if env == "default":
        return
    if env:
        try:
            n_threads = max(1, int(env))
        except ValueError:
            raise InvalidOptionError(f"{OPENCV_THREADS_ENV}={env!r}: give a number of threads or 'default'.") from None
    if n_threads is None:
        return
    import cv2

    cv2.setNumThreads(int(n_threads))


def _exit_with_parent() -> None:
    """In a worker: exit when the batch process is gone (e.g. killed with SIGKILL), instead
    of lingering with the model loaded."""
    parent = os.getppid()

    def watch():
        while True:
            time.sleep(0.5)
            if os.getppid() != parent:
                os._exit(1)

    threading.Thread(target=watch, daemon=True, name="thomas-cv-parent-watch").start()


def init_worker(opts: dict, watch_parent: bool = False) -> None:
    """Load the estimator once per worker. A failure (bad --model file, ...) is kept in
    ``_INIT_ERROR``; the caller stops the batch with that one clear line. ``opts["opencv_threads"]``:
    OpenCV's threads in this process (:func:`limit_threads`; absent: left as they are)."""
    global _ESTIMATOR, _OPTS, _INIT_ERROR
    _OPTS = opts
    _INIT_ERROR = None
    if watch_parent:
        _exit_with_parent()
    try:
        limit_threads(opts.get("opencv_threads"))
        factory = opts.get("estimator_factory")
        if factory is not None:
            _ESTIMATOR = factory()
        else:
            from ..vision.pose import make_estimator

            _ESTIMATOR = make_estimator(opts.get("model"), static=True)
    except ThomasCVError as exc:
        _INIT_ERROR = exc
    except Exception as exc:  # noqa: BLE001
        _INIT_ERROR = InternalError(f"the pose model could not be loaded ({exc.__class__.__name__}: {exc}).")


def error_row(rel: str, exc: ThomasCVError) -> dict:
    row = Result(file=display_name(rel), error=exc).to_row()
    row["overlay"] = None
    return row


def process_one(rel: str) -> dict:
    """Measure one file (in a worker); returns its CSV row. Never raises: an unexpected
    failure becomes an ``internal_error`` row and the batch goes on. (Only a worker that
    could not load the model raises: that stops the whole batch.)"""
    if _INIT_ERROR is not None:
        raise _INIT_ERROR
    try:
        return _process_one(rel)
    except ThomasCVError as exc:
        return error_row(rel, exc)
    except Exception as exc:  # noqa: BLE001 - one bad file must not stop 500 others
        msg = " ".join(str(exc).split())[:200]
        return error_row(rel, InternalError(
            f"{display_name(Path(rel).name)}: unexpected failure ({exc.__class__.__name__}: {msg}). Please report this file."))


def _source(rel: str):
    """The path of ``rel`` below a folder, or its bytes read from the zip."""
    global _ZIP
    opts = _OPTS
    if not opts.get("zip"):
        return Path(opts["root"], rel)
    from .safezip import open_zip, read_member

    if _ZIP is None or _ZIP[0] != opts["root"]:
        _ZIP = (opts["root"], open_zip(Path(opts["root"])))
    return read_member(_ZIP[1], rel)


def _process_one(rel: str) -> dict:
    opts = _OPTS
    src = _source(rel)
    common = dict(side=opts.get("side"), horizon=opts.get("horizon", Horizon()), pain=opts.get("pain"),
                  with_overlay=opts.get("overlays", True), flip=opts.get("flip", True))
    front_rel = (opts.get("pairs") or {}).get(rel)
    if front_rel is not None:  # NAME_side + NAME_front: one test, one row
        res: Result = analyze_pair_paths(src, _source(front_rel), _ESTIMATOR, name=display_name(rel),
                                         front_name=display_name(front_rel), **common)
    else:
        res = analyze_path(src, _ESTIMATOR, name=display_name(rel), **common)
    row = res.to_row()
    row["file"] = display_name(rel)
    if front_rel is not None:
        row["front_file"] = display_name(front_rel)
    row["overlay"] = None
    try:
        if res.front_overlay is not None and front_rel is not None:
            _save_overlay(front_rel, res.front_overlay, res.front_landmarks, res.front_other_faces)
        if res.overlay is not None:
            row["overlay"] = _save_overlay(rel, res.overlay, res.landmarks, res.other_faces)
    except OutputWriteError as exc:
        return error_row(rel, OutputWriteError(
            f"{display_name(rel)}: measured, but its overlay could not be saved ({exc}); rerun with --resume "
            "once there is room."))
    return row


def _save_overlay(rel: str, img, landmarks, others: tuple = ()) -> str:
    """Save an overlay (every face blurred unless asked otherwise) under its unique name."""
    from ..media import save_image

    if _OPTS.get("blur_faces", True):
        from ..vision.privacy import blur_faces

        img = blur_faces(img, landmarks, others)
    name = overlay_name(rel)
    save_image(img, Path(_OPTS["out"], OVERLAYS, name))
    return f"{OVERLAYS}/{name}"

"""Batch workers share the cores out: OpenCV's threads in each worker process (issue 17), and
the thread count does not change a row."""

from __future__ import annotations

import csv
import os
from functools import partial
from pathlib import Path

import numpy as np
import pytest

from synthetic_landmarks import FakeEstimator, make_landmarks
from test_pipeline_fake import _folder
from thomas_cv.batch import RESULTS, run_batch
from thomas_cv.batch.worker import OPENCV_THREADS_ENV, opencv_threads
from thomas_cv.core.errors import InvalidOptionError

ROOT = Path(__file__).resolve().parents[1]


def threads_factory(log, thigh, knee):
    """A fake model that notes, when it is loaded, the OpenCV threads of its process."""
    import cv2

    with open(log, "a", encoding="utf-8") as fh:
        fh.write(f"{os.getpid()} {cv2.getNumThreads()}\n")
    return FakeEstimator(make_landmarks(thigh=thigh, knee=knee))


def _rows(out):
    with open(out / RESULTS, encoding="utf-8", newline="") as fh:
        return {r["file"]: {k: v for k, v in r.items() if k != "overlay"} for r in csv.DictReader(fh)}


def _logged(log):
    return [tuple(int(v) for v in line.split()) for line in log.read_text(encoding="utf-8").splitlines()]


def test_two_pool_workers_each_get_their_share_of_the_cores(tmp_path):
    src = _folder(tmp_path, n=6)
    log = tmp_path / "threads.txt"
    s = run_batch(src, tmp_path / "pool", workers=2, estimator_factory=partial(threads_factory, str(log), -7.0, 72.0))
    assert (s.measured, s.failed) == (6, 1)
    loads = _logged(log)
    assert len({pid for pid, _ in loads}) == 2  # two worker processes, neither of them this one
    assert os.getpid() not in {pid for pid, _ in loads}
    assert {n for _, n in loads} == {max(1, (os.cpu_count() or 1) // 2)}
    # same rows as one worker measuring in this process (OpenCV's threads untouched here)
    one = run_batch(src, tmp_path / "one", workers=1, estimator_factory=partial(threads_factory, str(tmp_path / "x"), -7.0, 72.0))
    assert one.measured == 6
    assert _rows(tmp_path / "pool") == _rows(tmp_path / "one")


@pytest.mark.parametrize("value,expected", [("3", 3), ("default", None)])
def test_the_environment_overrides_the_workers_thread_count(tmp_path, monkeypatch, value, expected):
    import subprocess
    import sys

    monkeypatch.setenv(OPENCV_THREADS_ENV, value)
    src = _folder(tmp_path, n=2, bad=())
    log = tmp_path / "threads.txt"
    run_batch(src, tmp_path / "pool", workers=2, estimator_factory=partial(threads_factory, str(log), -7.0, 72.0))
    if expected is None:  # OpenCV's own default in a fresh process
        expected = int(subprocess.run([sys.executable, "-c", "import cv2; print(cv2.getNumThreads())"],
                                      capture_output=True, text=True, check=True).stdout)
    assert {n for _, n in _logged(log)} == {expected}


def test_a_bad_thread_count_in_the_environment_is_one_clear_error(tmp_path, monkeypatch):
    monkeypatch.setenv(OPENCV_THREADS_ENV, "many")
    src = _folder(tmp_path, n=2, bad=())
    with pytest.raises(InvalidOptionError, match=OPENCV_THREADS_ENV):
        run_batch(src, tmp_path / "pool", workers=2, estimator_factory=partial(FakeEstimator, make_landmarks()))


def test_thread_share_rule():
    assert [opencv_threads(n, cores=2) for n in (1, 2, 3)] == [2, 1, 1]
    assert [opencv_threads(n, cores=16) for n in (1, 2, 3, 5)] == [16, 8, 5, 3]


@pytest.mark.slow
def test_dask_workers_run_one_opencv_thread(tmp_path):
    pytest.importorskip("dask.distributed")
    src = _folder(tmp_path, n=4, bad=())
    log = tmp_path / "threads.txt"
    s = run_batch(src, tmp_path / "dask", workers=2, executor="dask",
                  estimator_factory=partial(threads_factory, str(log), -7.0, 72.0))
    assert s.measured == 4
    assert {n for _, n in _logged(log)} == {1}


@pytest.mark.model
def test_opencv_thread_count_does_not_change_a_reading_or_an_overlay(photo_model):
    """The real model and pipeline on sample photos with OpenCV's default threads and with one:
    the same row and the same overlay, pixel for pixel."""
    import cv2

    from thomas_cv.pipeline.photo import analyze_path

    photos = sorted((ROOT / "sample_images").glob("*.jpg"))[:3]
    if not photos:
        pytest.skip("no sample photos")
    default = cv2.getNumThreads()
    if default < 2:
        pytest.skip("OpenCV runs one thread here already")
    try:
        runs = []
        for n in (default, 1):
            cv2.setNumThreads(n)
            runs.append([analyze_path(p, photo_model) for p in photos])
    finally:
        cv2.setNumThreads(default)
    for a, b in zip(*runs):
        assert repr(a.to_row()) == repr(b.to_row())
        assert (a.overlay is None) == (b.overlay is None)
        if a.overlay is not None:
            assert np.array_equal(a.overlay, b.overlay)

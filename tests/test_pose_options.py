"""Model options that must fail with a clear message, and the lying-person choice."""

import subprocess
import sys

import pytest

from synthetic_landmarks import make_landmarks
from thomas_cv.core.errors import InvalidOptionError
from thomas_cv.vision.pose import make_estimator, pick_lying_person


def test_missing_task_model_is_a_clear_error(tmp_path):
    with pytest.raises(InvalidOptionError, match="not found"):
        make_estimator(str(tmp_path / "nope.task"))


@pytest.mark.model
def test_bogus_task_model_is_a_clear_error(tmp_path):
    bogus = tmp_path / "bogus.task"
    bogus.write_bytes(b"not a model at all")
    with pytest.raises(InvalidOptionError, match="not a usable"):
        make_estimator(str(bogus))


def test_cli_reports_bad_model_in_one_line(tmp_path):
    img = tmp_path / "x.png"
    img.write_bytes(b"")
    p = subprocess.run(
        [sys.executable, "-m", "thomas_cv", "measure", str(img), "--model", str(tmp_path / "none.task")],
        capture_output=True, text=True, timeout=120,
    )
    assert p.returncode == 2
    assert "Traceback" not in p.stderr
    assert p.stderr.strip().count("\n") == 0 and "invalid_option" in p.stderr


def test_pick_lying_person_prefers_horizontal_trunk():
    standing = make_landmarks(trunk_tilt=85.0)
    lying = make_landmarks()
    assert pick_lying_person([standing, lying]) is lying
    assert pick_lying_person([]) is None


def test_importing_the_fake_model_app_leaves_the_real_model_alone():
    """Regression: pytest's doctest collection imports tests/fake_model_app.py; it replaced
    thomas_cv.vision.pose.make_estimator for every later test."""
    import importlib

    import thomas_cv.vision.pose

    real = thomas_cv.vision.pose.make_estimator
    importlib.import_module("fake_model_app")
    assert thomas_cv.vision.pose.make_estimator is real


@pytest.mark.model
def test_an_unclosed_model_leaves_no_traceback_at_exit():
    """Regression: a batch worker keeps its model until the process ends; MediaPipe's own
    finaliser then ran after its modules were torn down and printed a TypeError traceback."""
    code = ("import numpy as np; from thomas_cv.vision.pose import BlazePose; "
            "e = BlazePose(); e.estimate(np.zeros((64, 96, 3), np.uint8))")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    assert "Traceback" not in p.stderr and "Exception ignored" not in p.stderr, p.stderr


@pytest.mark.model
@pytest.mark.parametrize("static", [True, False], ids=["photo", "video"])
def test_a_dropped_model_in_a_reference_cycle_does_not_hang_the_collector(static):
    """Regression (a CI run never ended): a model dropped inside a reference cycle reached
    MediaPipe's own finaliser only through the cycle collector, after the collector had
    already taken the landmarker's call thread; its close then waited for ever."""
    code = ("import gc, numpy as np; from thomas_cv.vision.pose import BlazePose\n"
            f"e = BlazePose(static={static}); e.estimate(np.zeros((64, 96, 3), np.uint8))\n"
            "e.me = e; del e\n"  # only the cycle collector can free it now
            "gc.collect(); print('collected', flush=True)\n")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0 and "collected" in p.stdout, p.stderr
    assert "Traceback" not in p.stderr and "Exception ignored" not in p.stderr, p.stderr

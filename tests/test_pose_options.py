"""Model options that must fail with a clear message, and the lying-person choice."""

import subprocess
import sys

import pytest

from synthetic_landmarks import make_landmarks
from thomas_cv.errors import InvalidOptionError
from thomas_cv.pose import make_estimator, pick_lying_person


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

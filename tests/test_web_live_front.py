"""The Live view's second capture (issue 14): a front photo of the captured position joins the
side capture as ``measure --front`` does. A fake pose model returns the renderer's own joints of
a committed front sample, so the geometry (not BlazePose) decides; no browser, no model."""
from __future__ import annotations

import contextlib
import json
import threading
from pathlib import Path

import numpy as np
import pytest

from synthetic_landmarks import FakeEstimator, make_landmarks

pytest.importorskip("streamlit")
from thomas_cv.pipeline.photo import Horizon, analyze_landmarks  # noqa: E402
from thomas_cv.core.landmarks import NUM_LANDMARKS, Landmarks, PoseLandmark as P  # noqa: E402
from thomas_cv.web.live import with_front  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
FRONT = ROOT / "sample_images" / "front" / "thomas_r_front_normal_front"


class St:
    """The little of Streamlit that with_front uses."""

    def __init__(self):
        self.session_state: dict = {}

    @staticmethod
    def spinner(text):
        return contextlib.nullcontext()


def truth_landmarks(meta: dict) -> Landmarks:
    """The renderer's joints as landmarks (visibility 1); unnamed ones at the hips' centre."""
    kp = meta["keypoints_px"]
    xy = np.tile(np.mean([kp["left_hip"], kp["right_hip"]], axis=0), (NUM_LANDMARKS, 1)).astype(float)
    for k, v in kp.items():
        xy[P[k.upper()]] = v
    return Landmarks(xy=xy, visibility=np.ones(NUM_LANDMARKS), image_size=(meta["width"], meta["height"]))


def side_capture():
    """A side-view capture of the right leg in the test position (thigh 8, knee 92)."""
    lm = make_landmarks(thigh=8.0, knee=92.0, tested_label="right")
    res = analyze_landmarks(np.zeros((960, 1280, 3), np.uint8), lm, horizon=Horizon.parse("image"), with_overlay=False)
    assert res.ok and res.measurement.side == "right", res.to_dict()
    return res


def test_a_front_photo_joins_the_live_capture():
    meta = json.loads(FRONT.with_suffix(".json").read_text())
    data = FRONT.with_suffix(".jpg").read_bytes()
    cap = side_capture()
    est = FakeEstimator(truth_landmarks(meta))
    st = St()
    res = with_front(st, lambda: (est, threading.Lock()), cap, data, "front.jpg", None)
    assert res.ok and res.front is not None, res.to_dict()
    d = res.to_dict()
    # the side angles stay the capture's, the front angles come from the front photo
    assert d["thigh_angle_deg"] == cap.to_dict()["thigh_angle_deg"]
    assert d["front_file"] == "front.jpg" and d["side"] == "right"
    assert abs(d["thigh_abduction_deg"] - meta["truth_3d"]["thigh_abduction_deg"]) < 3.0
    assert res.findings["tfl_itb"].status == "normal"  # 3 deg true abduction, cut-off 10
    assert d["thigh_angle_corrected_deg"] is not None
    # measured once per (capture, photo): a rerun of the page reuses it
    assert with_front(st, lambda: pytest.fail("measured twice"), cap, data, "front.jpg", None) is res


def test_a_front_photo_the_model_cannot_read_leaves_the_capture_standing():
    data = FRONT.with_suffix(".jpg").read_bytes()
    cap = side_capture()
    est = FakeEstimator(None)  # nobody found in the front photo
    res = with_front(St(), lambda: (est, threading.Lock()), cap, data, "front.jpg", None)
    assert res.ok and res.front is None
    d = res.to_dict()
    assert d["front_error_code"] == "no_person_found"
    assert d["thigh_angle_deg"] == cap.to_dict()["thigh_angle_deg"]
    assert res.findings["tfl_itb"].status == "not_assessable"
    assert "front photo could not be measured" in res.findings["tfl_itb"].reason


def test_a_side_photo_given_as_the_front_is_a_clear_error_not_a_number():
    data = FRONT.with_suffix(".jpg").read_bytes()
    cap = side_capture()
    est = FakeEstimator(make_landmarks(size=(1280, 960)))  # the model sees a side view
    res = with_front(St(), lambda: (est, threading.Lock()), cap, data, "front.jpg", None)
    assert res.ok and res.front is None and res.to_dict()["front_error_code"] == "wrong_view"


def test_the_second_capture_uses_the_captured_thigh_angle_as_measure_front_does():
    """One rule for both (analyze.add_front_view): the front view is read with the side's thigh
    angle, not the typical one assumed for a front photo alone."""
    from thomas_cv.core import constants as C
    from thomas_cv.pipeline.photo import analyze_front_landmarks

    meta = json.loads(FRONT.with_suffix(".json").read_text())
    lm = truth_landmarks(meta)
    # shoulders not seen: the camera's elevation then comes from the thigh and its angle
    lm.visibility[[P.LEFT_SHOULDER, P.RIGHT_SHOULDER]] = 0.0
    cap = analyze_landmarks(np.zeros((960, 1280, 3), np.uint8), make_landmarks(thigh=22.0, knee=92.0, tested_label="right"),
                            horizon=Horizon.parse("image"), with_overlay=False)
    assert abs(cap.measurement.thigh_angle_deg - C.FRONT_ASSUMED_THIGH_ANGLE_DEG) > 10
    res = with_front(St(), lambda: (FakeEstimator(lm), threading.Lock()), cap,
                     FRONT.with_suffix(".jpg").read_bytes(), "front.jpg", None)
    from thomas_cv.media import load_image

    focal = load_image(FRONT.with_suffix(".jpg")).focal_35mm  # the photo's EXIF, as the page reads it
    kw = dict(side="right", focal_35mm=focal, with_overlay=False)
    with_side = analyze_front_landmarks(None, lm, thigh_angle_deg=cap.measurement.thigh_angle_deg, **kw).front
    alone = analyze_front_landmarks(None, lm, **kw).front
    assert res.front.camera_elevation_deg == pytest.approx(with_side.camera_elevation_deg)
    assert res.front.camera_elevation_deg != pytest.approx(alone.camera_elevation_deg, abs=1.0)

"""The front-view methods benchmark's bookkeeping (benchmarks/front_methods.py): turning landmarks
found on a turned photo back, aligning left and right before a median, and the joint error in hip
widths, on hand-made points (no rendering, no model)."""
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import front_methods as FM  # noqa: E402
from thomas_cv.core.landmarks import NUM_LANDMARKS, Landmarks, PoseLandmark as P  # noqa: E402


@pytest.mark.parametrize("k", [0, 1, 2, 3])
def test_a_point_found_on_the_turned_photo_maps_back_to_its_pixel(k):
    W, H = 7, 4
    img = np.zeros((H, W), np.uint8)
    x, y = 5, 1
    img[y, x] = 255
    turned = np.rot90(img, k)
    ty, tx = np.argwhere(turned == 255)[0]
    # pixel centres: the model reports continuous coordinates
    back = FM.rot_back(np.array([[tx + 0.5, ty + 0.5]]), k, W, H)
    assert back[0] == pytest.approx([x + 0.5, y + 0.5])


def _rec(xy, vis=1.0):
    return {"xy": np.asarray(xy, float).tolist(), "vis": [vis] * NUM_LANDMARKS, "size": [100, 100]}


def test_fuse_aligns_swapped_labels_before_the_median():
    a = np.zeros((NUM_LANDMARKS, 2))
    a[P.LEFT_HIP], a[P.RIGHT_HIP] = (10, 0), (-10, 0)
    a[P.LEFT_KNEE], a[P.RIGHT_KNEE] = (12, 30), (-10, -20)
    a[P.LEFT_ANKLE], a[P.RIGHT_ANKLE] = (12, 60), (-10, -40)
    b = FM.swap(a + 1.0)  # the same person, labels swapped, 1 px off
    c = a - 1.0
    _, fused = FM.fuse([("x", _rec(a)), ("y", _rec(b)), ("z", _rec(c))])
    assert np.asarray(fused["xy"]) == pytest.approx(a)  # median of a-1, a, a+1 per landmark


def test_joint_error_takes_the_nearer_label_in_hip_widths():
    kp = {"left_hip": [0, 0], "right_hip": [100, 0], "right_knee": [100, 200], "right_ankle": [100, 400]}
    meta = {"keypoints_px": kp, "tested_side": "right"}
    xy = np.zeros((NUM_LANDMARKS, 2))
    xy[P.RIGHT_HIP], xy[P.LEFT_HIP] = (0, 0), (110, 0)       # labels swapped: 10 px off the right hip
    xy[P.LEFT_KNEE], xy[P.RIGHT_KNEE] = (100, 230), (0, 0)   # 30 px off
    xy[P.LEFT_ANKLE], xy[P.RIGHT_ANKLE] = (100, 400), (100, 400)
    lm = Landmarks(xy=xy, visibility=np.ones(NUM_LANDMARKS), image_size=(200, 500))
    e = FM.joint_err(lm, meta)
    assert e == pytest.approx({"hip": 0.1, "knee": 0.3, "ankle": 0.0, "ohip": 0.0})

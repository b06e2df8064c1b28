"""One reading, one skeleton (thomas_cv.core.fusion): looks combined as whole skeletons, and the
printed angles, side, flags and overlay all from the same final landmarks."""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest

from synthetic_landmarks import make_landmarks
from thomas_cv.core import constants as C
from thomas_cv.pipeline.photo import Horizon, analyze_image
from thomas_cv.core.errors import LandmarkNotVisibleError
from thomas_cv.core.fusion import agree, fuse_looks, relabel
from thomas_cv.core.geometry import inner_angle, to_canonical, segment_angle_below_horizontal
from thomas_cv.core.landmarks import Landmarks, PoseLandmark as P
from thomas_cv.core.measure import measure, with_calibrated_uncertainty
from thomas_cv.vision.person import MIRROR

measure_fn = partial(measure, horizon_deg=0.0)


def _angles_from_points(m):
    """Thigh angle and knee flexion recomputed from the landmarks the overlay draws."""
    pts = np.array([m.points[k] for k in ("hip", "knee", "ankle")], float)
    can = to_canonical(pts, m.horizon_deg, head_right=m.head_towards == "right")
    return segment_angle_below_horizontal(can[0], can[1]), 180.0 - inner_angle(*can)


def test_agreeing_looks_are_averaged_as_skeletons():
    a, b = make_landmarks(thigh=10.0, knee=90.0), make_landmarks(thigh=12.0, knee=94.0)
    f = fuse_looks([a, b], measure_fn)
    assert f.used == (0, 1) and f.discarded == ()
    assert f.spread_thigh_deg == pytest.approx(2.0, abs=0.01)
    assert f.spread_knee_deg == pytest.approx(4.0, abs=0.01)
    np.testing.assert_allclose(f.landmarks.xy, (a.xy + b.xy) / 2)
    again = measure_fn(f.landmarks)  # the reading is the measurement of the fused skeleton
    assert f.measurement.thigh_angle_deg == pytest.approx(again.thigh_angle_deg, abs=1e-9)
    assert f.measurement.knee_flexion_deg == pytest.approx(again.knee_flexion_deg, abs=1e-9)
    assert 10.0 < f.measurement.thigh_angle_deg < 12.0 and 90.0 < f.measurement.knee_flexion_deg < 94.0
    assert not f.measurement.looks_disagreed


def test_regression_two_wrong_looks_do_not_outvote_a_right_one():
    """Issue #13: a correct first look (knee 102 deg) was outvoted by two looks that measured a
    straight leg and the tool printed 26 deg, 'rectus femoris short', confidence 0.92."""
    right = make_landmarks(thigh=5.0, knee=102.0)
    wrong = [make_landmarks(thigh=2.0, knee=26.0), make_landmarks(thigh=3.0, knee=27.0)]
    f = fuse_looks([right, *wrong], measure_fn)
    assert f.used == (0,) and f.discarded == (1, 2)
    assert f.measurement.knee_flexion_deg == pytest.approx(102.0, abs=0.01)
    assert f.measurement.looks_disagreed
    alone = measure_fn(right)
    assert f.measurement.confidence == pytest.approx(alone.confidence * C.LOOKS_DISAGREE_CONFIDENCE_FACTOR)
    # the disagreement widens the uncertainty
    wide = with_calibrated_uncertainty(f.measurement)
    narrow = with_calibrated_uncertainty(alone)
    assert wide.knee_flexion_uncertainty_deg > narrow.knee_flexion_uncertainty_deg
    assert wide.thigh_angle_uncertainty_deg > narrow.thigh_angle_uncertainty_deg


def test_a_look_on_another_leg_is_discarded_not_mixed():
    """The median of each angle on its own mixed legs; a look whose hanging knee and ankle lie
    elsewhere is discarded, the majority of agreeing looks kept."""
    a, b = make_landmarks(thigh=8.0, knee=88.0), make_landmarks(thigh=9.0, knee=90.0)
    other = make_landmarks(thigh=20.0, knee=60.0)
    f = fuse_looks([other, a, b], measure_fn)
    assert f.used == (1, 2) and f.discarded == (0,)
    assert 8.0 <= f.measurement.thigh_angle_deg <= 9.0


def test_looks_with_swapped_labels_are_put_in_one_labelling():
    a = make_landmarks(thigh=10.0, knee=90.0)
    b = make_landmarks(thigh=11.0, knee=92.0, swap_legs=True)  # BlazePose called the legs the other way
    ma, mb = measure_fn(a), measure_fn(b)
    assert ma.leg_labels != mb.leg_labels and agree(ma, mb)
    assert relabel(b, mb, ma.leg_labels).xy[P.RIGHT_KNEE].tolist() == b.xy[P.LEFT_KNEE].tolist()
    f = fuse_looks([a, b], measure_fn)
    assert f.used == (0, 1)
    assert 10.0 < f.measurement.thigh_angle_deg < 11.0 and 90.0 < f.measurement.knee_flexion_deg < 92.0


def test_looks_on_different_sides_do_not_agree():
    near = make_landmarks()
    far = Landmarks(xy=near.xy, visibility=near.visibility, image_size=near.image_size,
                    depth=np.where(np.arange(33) == P.RIGHT_KNEE, 0.2, 0.0))  # hanging knee behind
    near_d = Landmarks(xy=near.xy, visibility=near.visibility, image_size=near.image_size, depth=np.zeros(33))
    assert measure_fn(far).side != measure_fn(near_d).side
    assert not agree(measure_fn(far), measure_fn(near_d))


def test_regression_nan_look_is_never_used():
    good = make_landmarks(thigh=10.0, knee=90.0)
    vis = good.visibility.copy()
    vis[P.RIGHT_KNEE] = np.nan
    bad = Landmarks(xy=good.xy, visibility=vis, image_size=good.image_size)
    f = fuse_looks([bad, good], measure_fn)
    assert f.used == (1,) and np.all(np.isfinite(f.landmarks.visibility))
    with pytest.raises(LandmarkNotVisibleError):
        fuse_looks([bad], measure_fn)


class _ThreeLooks:
    """A model that sees the photo one way and its mirror image slightly differently."""

    def __init__(self, photo: Landmarks, mirror: Landmarks):
        self.photo, self.mirror, self.first = photo, mirror, None

    def estimate(self, rgb, timestamp_ms=None):
        if self.first is None:
            self.first = rgb
        if rgb.shape != self.first.shape:
            return None  # the crop: nothing found
        if rgb is not self.first and np.array_equal(rgb, self.first[:, ::-1]):
            w = rgb.shape[1]
            xy = self.mirror.xy.copy()
            xy[:, 0] = w - xy[:, 0]
            return Landmarks(xy=xy[MIRROR], visibility=self.mirror.visibility[MIRROR], image_size=(w, rgb.shape[0]))
        return self.photo


def test_regression_overlay_draws_the_landmarks_behind_the_printed_angles():
    """Issue #13: the overlay drew the first look's landmarks, not those behind the printed
    numbers (median of each angle): 5% of photos differed by more than 5 deg."""
    rgb = np.zeros((960, 1280, 3), np.uint8)
    rgb[:, :640] = 40  # not symmetric: the mirror image is another image
    est = _ThreeLooks(make_landmarks(thigh=6.0, knee=84.0), make_landmarks(thigh=9.0, knee=91.0))
    res = analyze_image(rgb, est, horizon=Horizon("image"), refine=False)
    m = res.measurement
    assert m.flip_delta_thigh_deg == pytest.approx(3.0, abs=0.01)
    thigh, knee = _angles_from_points(m)
    assert thigh == pytest.approx(m.thigh_angle_deg, abs=1e-6)
    assert knee == pytest.approx(m.knee_flexion_deg, abs=1e-6)
    # and the result's landmarks are the ones measured
    again = measure(res.landmarks, horizon_deg=m.horizon_deg)
    assert again.thigh_angle_deg == pytest.approx(m.thigh_angle_deg, abs=1e-9)
    assert again.side == m.side
    assert 6.0 < m.thigh_angle_deg < 9.0 and 84.0 < m.knee_flexion_deg < 91.0

"""measure(): angles recovered from analytically placed landmarks (pure, no model)."""

import itertools

import numpy as np
import pytest

from synthetic_landmarks import make_landmarks
from thomas_cv.core.errors import NotTestPositionError
from thomas_cv.core.measure import measure

TOL = 1e-6

ANGLE_TABLE = list(itertools.product([-15.0, -4.0, 0.0, 10.0, 25.0], [40.0, 79.0, 90.0, 110.0]))


@pytest.mark.parametrize("thigh,knee", ANGLE_TABLE)
@pytest.mark.parametrize("head", ["left", "right"])
def test_thigh_and_knee_recovered(thigh, knee, head):
    m = measure(make_landmarks(thigh=thigh, knee=knee, head=head))
    assert m.thigh_angle_deg == pytest.approx(thigh, abs=TOL)
    assert m.knee_flexion_deg == pytest.approx(knee, abs=TOL)
    assert m.knee_inner_angle_deg == pytest.approx(180 - knee, abs=TOL)
    assert m.hip_extension_to_trunk_deg == pytest.approx(thigh, abs=TOL)  # trunk level here
    assert m.head_towards == head


@pytest.mark.parametrize("roll", [-6.0, -3.0, 3.0, 6.0])
@pytest.mark.parametrize("head", ["left", "right"])
def test_roll_shifts_thigh_by_roll_unless_horizon_given(roll, head):
    lm = make_landmarks(thigh=10.0, knee=90.0, head=head, roll=roll)
    naive = measure(lm)  # image axis as horizontal
    fixed = measure(lm, horizon_deg=roll, horizon_source="angle")
    assert fixed.thigh_angle_deg == pytest.approx(10.0, abs=TOL)
    # a camera rolled so level lines rise to the right: the picture turns with it
    expected_shift = roll if head == "left" else -roll
    assert naive.thigh_angle_deg == pytest.approx(10.0 - expected_shift, abs=TOL)
    # knee flexion and the trunk-relative angles do not depend on the horizon
    assert naive.knee_flexion_deg == pytest.approx(90.0, abs=TOL)
    assert naive.hip_extension_to_trunk_deg == pytest.approx(fixed.hip_extension_to_trunk_deg, abs=TOL)


@pytest.mark.parametrize("hug", [95.0, 120.0, 135.0])
def test_hugged_hip_flexion(hug):
    m = measure(make_landmarks(hug=hug))
    assert m.hugged_hip_flexion_deg == pytest.approx(hug, abs=TOL)
    assert "hugged_knee_not_drawn_up" not in m.flag_codes


def test_hugged_knee_not_drawn_up_flagged():
    m = measure(make_landmarks(hug=70.0))
    assert "hugged_knee_not_drawn_up" in m.flag_codes


@pytest.mark.parametrize("tilt", [5.0, 15.0])
def test_hip_extension_relative_to_trunk(tilt):
    m = measure(make_landmarks(thigh=5.0, trunk_tilt=tilt))
    assert m.thigh_angle_deg == pytest.approx(5.0, abs=TOL)
    assert m.hip_extension_to_trunk_deg == pytest.approx(5.0 - tilt, abs=TOL)
    assert m.trunk_angle_deg == pytest.approx(tilt, abs=TOL)


def test_trunk_not_flat_flag():
    assert "trunk_not_flat" in measure(make_landmarks(trunk_tilt=30.0)).flag_codes
    assert "trunk_not_flat" not in measure(make_landmarks(trunk_tilt=5.0)).flag_codes


def test_standing_person_refused():
    with pytest.raises(NotTestPositionError, match="lie down"):
        measure(make_landmarks(trunk_tilt=80.0))


@pytest.mark.parametrize("head,side", [("left", "right"), ("right", "left")])
def test_side_is_the_near_side_of_a_supine_person(head, side):
    assert measure(make_landmarks(head=head)).side == side


@pytest.mark.parametrize("swap", ["swap_legs", "swap_ankles"])
@pytest.mark.parametrize("head", ["left", "right"])
def test_hanging_leg_found_even_when_labels_are_swapped(head, swap):
    lm = make_landmarks(thigh=12.0, knee=85.0, head=head, **{swap: True})
    m = measure(lm)
    assert m.thigh_angle_deg == pytest.approx(12.0, abs=TOL)
    assert m.knee_flexion_deg == pytest.approx(85.0, abs=TOL)
    assert m.side == ("right" if head == "left" else "left")  # the near side, not the label


def test_side_override_flags_disagreement():
    m = measure(make_landmarks(head="left"), side="left")
    assert m.side == "left"
    assert "side_overridden" in m.flag_codes
    assert "side_overridden" not in measure(make_landmarks(head="left"), side="right").flag_codes


def test_low_visibility_lowers_confidence_and_flags():
    m = measure(make_landmarks(visibility=0.3))
    assert m.confidence < 0.5
    assert {"landmark_not_visible", "low_confidence"} <= set(m.flag_codes)


def test_frontal_view_flagged():
    m = measure(make_landmarks(hip_sep=150.0))
    assert "not_side_view" in m.flag_codes


def test_to_dict_rounds_to_one_decimal():
    d = measure(make_landmarks(thigh=10.04, knee=90.06)).to_dict()
    assert d["thigh_angle_deg"] == 10.0 and d["knee_flexion_deg"] == 90.1
    assert isinstance(d["flags"], list)
    assert all(np.isfinite(v) for k, v in d.items() if k.endswith("_deg") and v is not None)


def test_regression_denormal_knee_offset_is_a_clear_error():
    """Found by hypothesis: a knee 2e-313 px from its hip passed the non-zero check but its
    length underflowed to 0 inside the angle maths (ValueError instead of our own error)."""
    from thomas_cv.core.errors import ThomasCVError
    from thomas_cv.core.landmarks import Landmarks

    xy = np.zeros((33, 2))
    xy[12] = (1.0, 0.0)
    xy[25] = (0.0, 1.0)
    xy[26] = (2.2250738585e-313, 0.0)
    lm = Landmarks(xy=xy, visibility=np.zeros(33), image_size=(640, 480))
    with pytest.raises(ThomasCVError):
        measure(lm)


def test_more_plausible_prefers_the_reading_with_body_proportions():
    from thomas_cv.core.measure import more_plausible

    good = measure(make_landmarks(thigh=10.0, knee=90.0, shank_len=200.0))
    bad = measure(make_landmarks(thigh=10.0, knee=60.0, shank_len=330.0))  # ankle misplaced far away
    assert more_plausible(good, bad) is good
    assert more_plausible(bad, good) is good
    # equally plausible: the better-seen reading wins
    dim = measure(make_landmarks(thigh=10.0, knee=90.0, visibility=0.6))
    assert more_plausible(dim, good) is good

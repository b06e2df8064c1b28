"""Front view (issue 14): analytic 3-D poses projected by a pinhole camera at the foot end or
above the thigh; the measurement must recover the angles within explicit tolerances."""

import numpy as np
import pytest

from synthetic_front import front_landmarks
from synthetic_landmarks import make_landmarks
from thomas_cv.core.errors import LandmarkNotVisibleError, WrongViewError
from thomas_cv.core.front import measure_front, recognise_view, require_view

F_PX = 1100.0
EXACT_BODY = dict(hip_width=0.43 / 2.4, trunk_len=0.43 * 1.18 * np.cos(np.radians(2.3)))


@pytest.mark.parametrize("place,elevation", [("foot_end", 0.0), ("foot_end", 12.0), ("above", 55.0), ("above", 80.0)])
@pytest.mark.parametrize("side", ["left", "right"])
@pytest.mark.parametrize("abduction,deviation", [(0.0, 0.0), (12.0, -15.0), (20.0, 18.0), (-5.0, 8.0)])
def test_recovers_angles_when_the_body_matches_the_proportions(place, elevation, side, abduction, deviation):
    lm = front_landmarks(place, abduction, deviation, side=side, elevation=elevation, f_px=F_PX, **EXACT_BODY)
    m = measure_front(lm, f_px=F_PX)
    assert m.side == side
    assert m.place == place
    # exact geometry: only the shoulders' 2.3 deg rise above the hips is not modelled
    assert m.thigh_abduction_deg == pytest.approx(abduction, abs=0.6)
    assert m.shank_deviation_deg == pytest.approx(deviation, abs=1.0)


def test_signs_follow_the_convention():
    """+ abduction = knee away from the midline, + deviation = foot swung outwards."""
    out = measure_front(front_landmarks("foot_end", 15.0, 15.0, f_px=F_PX), f_px=F_PX)
    inw = measure_front(front_landmarks("foot_end", -8.0, -15.0, f_px=F_PX), f_px=F_PX)
    assert out.thigh_abduction_deg > 10 and out.shank_deviation_deg > 10
    assert inw.thigh_abduction_deg < -4 and inw.shank_deviation_deg < -10


def test_swapped_labels_and_roll_do_not_change_the_reading():
    """BlazePose swaps left and right on views from the foot end: geometry decides."""
    a = measure_front(front_landmarks("foot_end", 14.0, -10.0, side="left", f_px=F_PX), f_px=F_PX)
    b = measure_front(front_landmarks("foot_end", 14.0, -10.0, side="left", swap_labels=True, roll=6.0, f_px=F_PX),
                      f_px=F_PX)
    assert b.side == a.side == "left"
    assert b.thigh_abduction_deg == pytest.approx(a.thigh_abduction_deg, abs=0.3)
    assert b.shank_deviation_deg == pytest.approx(a.shank_deviation_deg, abs=0.3)


def _random_views(place, n, yaw_max, seed=3):
    rng = np.random.default_rng(seed)
    rows = []
    while len(rows) < n:
        abd, dev = rng.uniform(0, 20), rng.uniform(-20, 20)
        side = str(rng.choice(["left", "right"]))
        elev = rng.uniform(-3, 15) if place == "foot_end" else rng.uniform(50, 80)
        lm = front_landmarks(
            place, abd, dev, side=side, elevation=elev, thigh=rng.uniform(-10, 20), knee=rng.uniform(60, 100),
            yaw=rng.uniform(-yaw_max, yaw_max), roll=rng.uniform(-5, 5), distance=rng.uniform(1.3, 2.2),
            hip_width=0.43 / 2.4 * rng.normal(1, 0.1), shank_len=0.43 * rng.normal(1, 0.08),
            f_px=F_PX * rng.normal(1, 0.1), size=(1600, 1200),
        )
        if not lm.inside()[[23, 24, 25, 26, 27, 28]].all():
            continue
        try:
            m = measure_front(lm, f_px=F_PX)
        except LandmarkNotVisibleError:  # refused: proportions off more than the body allows
            rows.append((np.nan,) * 5)
            continue
        rows.append((m.thigh_abduction_deg - abd, m.shank_deviation_deg - dev, m.thigh_abduction_uncertainty_deg,
                     m.shank_deviation_uncertainty_deg, m.side == side))
    return np.array(rows, float)


@pytest.mark.parametrize("place,abd_mae,dev_mae", [("foot_end", 1.5, 2.0), ("above", 1.5, 3.5)])
def test_unknown_bodies_and_cameras_stay_within_tolerance(place, abd_mae, dev_mae):
    """Body proportions +-10%, focal length +-10%, camera yaw +-10 deg, roll +-5 deg: the
    errors stay small and the stated uncertainty covers at least 90% of them."""
    e = _random_views(place, 150, yaw_max=10.0)
    refused = np.isnan(e[:, 0])
    assert refused.mean() <= 0.05  # only the tails of the body spread are refused
    e = e[~refused]
    assert np.abs(e[:, 0]).mean() <= abd_mae
    assert np.abs(e[:, 1]).mean() <= dev_mae
    assert (np.abs(e[:, 0]) <= e[:, 2]).mean() >= 0.9
    assert (np.abs(e[:, 1]) <= e[:, 3]).mean() >= 0.9
    assert e[:, 4].all()


def test_view_recognition():
    side = make_landmarks(thigh=10, knee=90)
    assert recognise_view(side).view == "side"
    for place, elev in (("foot_end", 5.0), ("above", 70.0)):
        g = recognise_view(front_landmarks(place, 10.0, 5.0, elevation=elev, f_px=F_PX))
        assert g.view == "front"
    with pytest.raises(WrongViewError) as exc:
        require_view(side, "front")
    assert exc.value.code == "wrong_view"
    with pytest.raises(WrongViewError):
        measure_front(side)
    with pytest.raises(WrongViewError):
        require_view(front_landmarks("foot_end", 5.0, 0.0, f_px=F_PX), "side")


def test_between_the_two_places_is_flagged_oblique():
    m = measure_front(front_landmarks("foot_end", 10.0, 0.0, elevation=36.0, f_px=F_PX), f_px=F_PX)
    assert "oblique_front_view" in m.flag_codes
    ok = measure_front(front_landmarks("foot_end", 10.0, 0.0, elevation=5.0, f_px=F_PX), f_px=F_PX)
    assert "oblique_front_view" not in ok.flag_codes
    assert m.thigh_abduction_uncertainty_deg > ok.thigh_abduction_uncertainty_deg


def test_midline_and_points_for_the_overlay():
    lm = front_landmarks("foot_end", 15.0, 10.0, side="right", f_px=F_PX)
    m = measure_front(lm, f_px=F_PX)
    (x0, y0), (x1, y1) = m.points["midline"]
    assert np.allclose([x0, y0], m.points["hip"])
    assert y1 > y0  # the midline runs down from the hip, towards the hanging leg
    d = m.to_dict()
    assert set(d) >= {"thigh_abduction_deg", "shank_deviation_deg", "thigh_abduction_uncertainty_deg",
                      "shank_deviation_uncertainty_deg", "view_place"}

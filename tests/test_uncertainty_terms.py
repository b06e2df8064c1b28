"""The uncertainty's terms for what a photo shows of the camera and the leg (issue 13): each
term alone, with analytic expectations (pure, no model)."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest

from synthetic_landmarks import make_landmarks
from thomas_cv.core import constants as C
from thomas_cv.pipeline.photo import Horizon, Reference, measure_with_reference, resolve_reference
from thomas_cv.core.measure import (camera_distance_trunks, measure, uncertainty_cues, uncertainty_deg,
                               with_calibrated_uncertainty)
from thomas_cv.core.perspective import pitch_from_vertical

TERMS = ("YAW", "VIEW_UNKNOWN", "PITCH", "NEAR", "SHORT_THIGH", "OBLIQUE", "LOOKS_DISAGREE", "FAR_SIDE")


def consts(**over):
    """The shipped constants with every additive term off, then ``over``."""
    k = SimpleNamespace(**{n: getattr(C, n) for n in dir(C) if n.isupper()})
    for t in TERMS:
        setattr(k, f"THIGH_UNC_{t}_DEG", 0.0)
        setattr(k, f"KNEE_UNC_{t}_DEG", 0.0)
    k.THIGH_UNC_BASE_DEG, k.KNEE_UNC_BASE_DEG = 5.0, 7.0
    k.THIGH_UNC_PER_FLIP_DELTA = k.KNEE_UNC_PER_FLIP_DELTA = 0.0
    k.__dict__.update(over)
    return k


def u(k, **cues):
    cues.setdefault("view_yaw_deg", 0.0)
    return uncertainty_deg(1.0, 1.0, k=k, **cues)


def test_no_cue_gives_the_base():
    assert u(consts()) == (5.0, 7.0)


@pytest.mark.parametrize("yaw,factor", [(0.0, 0.0), (10.0, 0.25), (20.0, 1.0), (30.0, 2.25)])
def test_yaw_term_grows_with_the_square_of_the_yaw(yaw, factor):
    k = consts(THIGH_UNC_YAW_DEG=4.0, KNEE_UNC_YAW_DEG=2.0)
    assert u(k, view_yaw_deg=yaw) == pytest.approx((5.0 + 4.0 * factor, 7.0 + 2.0 * factor))


def test_unknown_view_adds_its_term_and_no_yaw_term():
    k = consts(THIGH_UNC_VIEW_UNKNOWN_DEG=1.5, KNEE_UNC_VIEW_UNKNOWN_DEG=2.5, THIGH_UNC_YAW_DEG=9.0)
    assert u(k, view_yaw_deg=None) == pytest.approx((6.5, 9.5))
    assert u(k, view_yaw_deg=0.0) == pytest.approx((5.0, 7.0))


@pytest.mark.parametrize("pitch,factor", [(None, 0.0), (-10.0, 0.0), (10.0, 0.25), (20.0, 1.0)])
def test_pitch_term_grows_with_the_square_of_a_downward_pitch(pitch, factor):
    k = consts(THIGH_UNC_PITCH_DEG=2.0, KNEE_UNC_PITCH_DEG=6.0)
    assert u(k, view_pitch_deg=pitch) == pytest.approx((5.0 + 2.0 * factor, 7.0 + 6.0 * factor))


@pytest.mark.parametrize("dist,factor", [(None, 0.0), (1.0, 2.0), (2.0, 1.0), (4.0, 0.5)])
def test_near_term_grows_with_the_inverse_distance(dist, factor):
    k = consts(THIGH_UNC_NEAR_DEG=3.0, KNEE_UNC_NEAR_DEG=4.0, UNC_NEAR_REF_TRUNKS=2.0)
    assert u(k, camera_distance_trunks=dist) == pytest.approx((5.0 + 3.0 * factor, 7.0 + 4.0 * factor))


@pytest.mark.parametrize("ratio,factor", [(None, 0.0), (0.95, 0.0), (0.85, 0.0), (0.75, 1.0), (0.55, 3.0)])
def test_short_thigh_term_per_tenth_of_foreshortening(ratio, factor):
    k = consts(THIGH_UNC_SHORT_THIGH_DEG=1.0, KNEE_UNC_SHORT_THIGH_DEG=0.5, UNC_THIGH_TO_TRUNK=0.85)
    assert u(k, thigh_to_trunk=ratio) == pytest.approx((5.0 + 1.0 * factor, 7.0 + 0.5 * factor))


def test_terms_add_up():
    k = consts(THIGH_UNC_YAW_DEG=4.0, THIGH_UNC_PITCH_DEG=2.0, THIGH_UNC_NEAR_DEG=3.0, UNC_NEAR_REF_TRUNKS=2.0)
    ut, _ = u(k, view_yaw_deg=20.0, view_pitch_deg=20.0, camera_distance_trunks=2.0)
    assert ut == pytest.approx(5.0 + 4.0 + 2.0 + 3.0)


def test_shipped_terms_are_not_negative():
    for t in TERMS:
        assert getattr(C, f"THIGH_UNC_{t}_DEG") >= 0 and getattr(C, f"KNEE_UNC_{t}_DEG") >= 0


@pytest.mark.parametrize("p", [0.0, 5.0, 17.0, -4.0])
def test_pitch_from_vertical(p):
    r = np.radians(p)
    assert pitch_from_vertical([0.0, np.cos(r), np.sin(r)]) == pytest.approx(p, abs=1e-9)
    assert pitch_from_vertical([0.0, -np.cos(r), -np.sin(r)]) == pytest.approx(p, abs=1e-9)  # either sign
    # a rolled camera: the vertical leans in the image, the pitch stays
    roll = np.radians(5.0)
    d = [np.sin(roll) * np.cos(r), np.cos(roll) * np.cos(r), np.sin(r)]
    assert pitch_from_vertical(d) == pytest.approx(p, abs=1e-9)


def test_camera_distance_and_proportions_from_the_landmarks():
    m = measure(make_landmarks(thigh_len=200.0, shank_len=190.0, trunk_len=260.0, hip_sep=0.0))
    assert camera_distance_trunks(m, 780.0) == pytest.approx(3.0)
    assert camera_distance_trunks(m, None) is None
    assert m.proportions["thigh"] == pytest.approx(200.0 / 260.0)
    assert m.proportions["shank"] == pytest.approx(190.0 / 260.0)
    assert m.to_dict()["proportions"]["thigh"] == pytest.approx(0.769, abs=1e-3)


def test_reference_carries_the_focal_length_and_the_reading_the_distance():
    rgb = np.zeros((960, 1280, 3), np.uint8)
    lm = make_landmarks(trunk_len=260.0, hip_sep=0.0)
    ref = resolve_reference(rgb, lm, Horizon.parse("0"), focal_35mm=43.27)  # 1600 px on 1280 x 960
    assert ref.f_px == pytest.approx(1600.0, rel=1e-4)
    m = measure_with_reference(lm, side=None, ref=ref)
    assert m.camera_distance_trunks == pytest.approx(1600.0 / 260.0, rel=1e-4)
    assert m.view_pitch_deg is None
    m2 = measure_with_reference(lm, side=None, ref=Reference(0.0, "angle", f_px=1600.0, pitch_deg=12.0))
    assert m2.view_pitch_deg == 12.0


def test_calibrated_uncertainty_uses_every_cue():
    """Regression: the cues a reading carries reach the uncertainty (one place: uncertainty_cues)."""
    m = measure(make_landmarks())
    m = dataclasses.replace(m, view_yaw_deg=20.0, view_pitch_deg=20.0, camera_distance_trunks=2.0)
    cues = uncertainty_cues(m)
    assert cues["view_pitch_deg"] == 20.0 and cues["camera_distance_trunks"] == 2.0
    assert cues["thigh_to_trunk"] == pytest.approx(m.proportions["thigh"])
    far = dataclasses.replace(m, camera_distance_trunks=20.0, view_pitch_deg=0.0, view_yaw_deg=0.0)
    a, b = with_calibrated_uncertainty(m), with_calibrated_uncertainty(far)
    assert a.thigh_angle_uncertainty_deg >= b.thigh_angle_uncertainty_deg
    assert a.knee_flexion_uncertainty_deg >= b.knee_flexion_uncertainty_deg


@pytest.mark.parametrize("cue", ["view_yaw_deg", "view_pitch_deg", "camera_distance_trunks", "thigh", "near_side_drop"])
def test_a_cue_that_is_not_a_number_counts_as_not_seen_never_as_a_nan_uncertainty(cue):
    """A cue that could not be read (NaN, inf) must not turn the uncertainty into NaN, which no
    gate would catch (NaN compares false): it counts as not seen. Before, a NaN pitch gave a NaN
    band even with the pitch term at 0 (0 x NaN)."""
    m = measure(make_landmarks())
    if cue in ("thigh", "near_side_drop"):
        bad = dataclasses.replace(m, proportions={**m.proportions, cue: float("nan")})
        seen_as = dataclasses.replace(m, proportions={k: v for k, v in m.proportions.items() if k != cue})
    else:
        bad = dataclasses.replace(m, **{cue: float("nan")})
        seen_as = dataclasses.replace(m, **{cue: None})
    u = with_calibrated_uncertainty(bad)
    assert np.isfinite(u.thigh_angle_uncertainty_deg) and np.isfinite(u.knee_flexion_uncertainty_deg)
    v = with_calibrated_uncertainty(seen_as)
    assert (u.thigh_angle_uncertainty_deg, u.knee_flexion_uncertainty_deg) == \
        (v.thigh_angle_uncertainty_deg, v.knee_flexion_uncertainty_deg)
    inf = dataclasses.replace(m, **{cue: float("inf")}) if cue not in ("thigh", "near_side_drop") else None
    if inf is not None:
        assert np.isfinite(with_calibrated_uncertainty(inf).thigh_angle_uncertainty_deg)

"""benchmarks/calibrate_uncertainty.py: the refit works with the terms for disagreeing looks
and far-side views (synthetic dump, no model)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "benchmarks"))

import calibrate_uncertainty as cal  # noqa: E402


def _dump(path, n=240, seed=0):
    rng = np.random.default_rng(seed)
    with open(path, "w") as fh:
        for i in range(n):
            far = i % 4 == 0
            disagreed = i % 5 == 0
            scale = 6.0 if far else 2.0
            et, ek = rng.normal(0, scale * 0.6), rng.normal(0, scale)
            x = {"ok": True, "thigh_angle_deg": 5 + et, "knee_flexion_deg": 90 + ek, "flip_delta_thigh_deg": 1.0,
                 "flip_delta_knee_deg": 1.0, "view_yaw_deg": None, "horizon_source": "table_edge",
                 "flags": ["far_side_view"] if far else [], "looks_disagreed": disagreed}
            rec = {"meta": {"truth_3d": {"thigh_angle_deg": 5.0, "knee_flexion_deg": 90.0}},
                   "results": {"auto": x, "auto+noflip": dict(x, flip_delta_thigh_deg=None, flip_delta_knee_deg=None)}}
            fh.write(json.dumps(rec) + "\n")


def test_refit_reaches_the_target_and_prices_the_far_side(tmp_path):
    p = tmp_path / "t.jsonl"
    _dump(p)
    rows = cal.load([p], "auto")
    assert len(rows) == 240 and sum(r["far"] for r in rows) == 60 and sum(r["disagreed"] for r in rows) == 48
    width, cover, consts = cal.fit(rows, "ek", 1, 0.9, samples=300)
    assert cover >= 0.9
    assert consts["KNEE_UNC_FAR_SIDE_DEG"] > 2.0  # far-side errors are three times larger here
    far = np.array([r["far"] for r in rows])
    u = cal.widths(rows, consts)[1]
    err = np.array([r["ek"] for r in rows])
    assert (err[far] <= u[far]).mean() > 0.75  # the far side is not left uncovered


def _dump_groups(path, n=200, seed=1):
    """Far-side photos (a condition group) err 3x more; no cue says so but the far-side flag,
    and half of them do not carry it (a cue that misses)."""
    rng = np.random.default_rng(seed)
    with open(path, "w") as fh:
        for i in range(n):
            far = i % 4 == 0
            flagged = far and i % 8 == 0
            e = rng.normal(0, 6.0 if far else 2.0)
            x = {"ok": True, "thigh_angle_deg": 5 + e, "knee_flexion_deg": 90 + e, "flip_delta_thigh_deg": None,
                 "flip_delta_knee_deg": None, "view_yaw_deg": 3.0, "horizon_source": "image_fallback" if i % 3 else "table_edge",
                 "flags": (["far_side_view"] if flagged else []) + (["landmark_not_visible"] if i % 7 == 0 else []),
                 "looks_disagreed": False}
            rec = {"meta": {"truth_3d": {"thigh_angle_deg": 5.0, "knee_flexion_deg": 90.0}, "camera": {"far_side": far}},
                   "results": {"auto": x}}
            fh.write(json.dumps(rec) + "\n")


def test_group_target_covers_every_group(tmp_path):
    p = tmp_path / "g.jsonl"
    _dump_groups(p)
    rows = cal.load([p], "auto")
    far = np.array([("camera side", "far side") in r["groups"] for r in rows])
    assert far.sum() == 50
    err = np.array([r["et"] for r in rows])
    plain = cal.fit(rows, "et", 0, 0.9, samples=200)
    grouped = cal.fit(rows, "et", 0, 0.9, group_target=0.9, samples=200)
    u = cal.widths(rows, grouped[2])[0]
    assert (err[far] <= u[far]).mean() >= 0.9 and (err[~far] <= u[~far]).mean() >= 0.9
    assert grouped[0] >= plain[0]  # a floor in every group costs width
    u_plain = cal.widths(rows, plain[2])[0]
    assert (err <= u_plain).mean() >= 0.9


def test_fast_search_matches_uncertainty_deg(tmp_path):
    """The fit's vectorised widths (features from uncertainty_deg, then the roll and poor-view
    widening) equal uncertainty_deg's on rows with and without both widenings."""
    p = tmp_path / "g.jsonl"
    _dump_groups(p)
    rows = cal.load([p], "auto")
    assert any(r["fallback"] for r in rows) and any(r["poor"] for r in rows)
    consts = {"THIGH_UNC_NOFLIP_DEG": 4.0, "THIGH_UNC_FAR_SIDE_DEG": 2.5, "THIGH_UNC_YAW_DEG": 1.5}
    names = ["THIGH_UNC_NOFLIP_DEG", "THIGH_UNC_FAR_SIDE_DEG", "THIGH_UNC_YAW_DEG"]
    lin = cal._features(rows, names, 0) @ np.array([consts[n] for n in names])
    assert cal._widen(lin, rows, 0) == pytest.approx(cal.widths(rows, consts)[0])

"""The accuracy benchmark's bookkeeping (benchmarks/accuracy.py): groups, clear-cut findings,
opposite calls and coverage, on hand-made truth/result pairs (no rendering, no model)."""
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))

import accuracy as A  # noqa: E402


def meta(thigh, knee, **cam):
    c = {"yaw_deg": 0.0, "roll_deg": 0.0, "pitch_deg": 5.0, "orientation": "landscape", "far_side": False,
         "small_subject": False, "helper": False, "focal_35mm": 26.0}
    c.update(cam)
    return {"image": "x.jpg", "tested_side": "right", "camera": c,
            "truth_3d": {"thigh_angle_deg": thigh, "knee_flexion_deg": knee, "hip_abduction_deg": 12.0,
                         "hip_rotation_deg": -3.0},
            "body": {"shape": {"weight": 0.9, "gender": 0.1}, "stature_m": 1.55}}


def result(thigh, knee, ilio, rf, side="right", u=(2.0, 3.0)):
    return {"ok": True, "side": side, "thigh_angle_deg": thigh, "knee_flexion_deg": knee,
            "thigh_angle_uncertainty_deg": u[0], "knee_flexion_uncertainty_deg": u[1],
            "findings": {"iliopsoas": {"status": ilio}, "rectus_femoris": {"status": rf}}}


def test_clear_cut_agreement_and_opposite_calls():
    rows = [
        (meta(10.0, 95.0), result(9.0, 96.0, "normal", "normal")),       # both clear, both agree
        (meta(-8.0, 60.0), result(2.0, 85.0, "normal", "normal")),       # both clear, both opposite
        (meta(2.0, 78.0), result(-1.0, 81.0, "short", "normal")),        # neither clear: not graded
        (meta(12.0, 100.0), result(11.0, 99.0, "borderline", "normal")),  # borderline: not agree, not opposite
    ]
    s = A.side_stats(rows)
    assert s["clear"] == 6 and s["agree"] == 3 and s["opposite"] == 2
    assert s["found"] == 4 and s["side_ok"] == 4
    assert np.isclose(np.mean(s["et"]), (-1 + 10 - 3 - 1) / 4)
    # coverage: |error| <= reported uncertainty (thigh errors 1, 10, 3, 1 with u = 2)
    assert np.isclose(s["cov_t"], 50.0)


def test_not_found_and_wrong_side_and_nan_are_counted_not_graded():
    bad = {"ok": False, "side": None, "thigh_angle_deg": None, "knee_flexion_deg": None, "findings": {}}
    rows = [(meta(10.0, 95.0), bad), (meta(10.0, 95.0), result(10.0, 95.0, "normal", "normal", side="left")),
            (meta(10.0, 95.0), result(float("nan"), 95.0, "normal", "normal"))]
    s = A.side_stats(rows)
    assert s["n"] == 3 and s["found"] == 2 and s["side_ok"] == 1
    assert s["et"].size == 1 and np.isfinite(s["et"]).all()


def test_groups_cover_the_mixed_conditions():
    g = dict(A.groups_of(meta(3.0, 90.0, yaw_deg=-22.0, pitch_deg=18.0, far_side=True, orientation="portrait",
                              focal_35mm=14.0, helper=True, small_subject=True)))
    assert g["|yaw| deg"] == ">=20" and g["pitch deg"] == ">=16" and g["camera side"] == "far side"
    assert g["frame"] == "portrait" and g["focal 35mm"].startswith("ultrawide") and g["helper"] == "helper"
    assert g["subject"] == "small" and g["abduction deg"] == ">=10" and g["body weight"].startswith("heavy")
    assert g["thigh near cut-off"] == "within 5" and g["stature m"] == "<1.60" and g["sex"] == "female"
    line = A.side_line("x", A.side_stats([(meta(10.0, 95.0), result(9.0, 96.0, "normal", "normal"))]))
    assert line.endswith("n<20")


def test_front_truth_findings_follow_the_cutoffs():
    from thomas_cv.core import constants as C

    cut, rot = C.TFL_ABDUCTION_CUTOFF_DEG, C.SARTORIUS_EXTERNAL_ROTATION_DEG

    def m(abd, dev):
        return {"truth_3d": {"thigh_abduction_deg": abd, "shank_deviation_deg": dev}}

    assert A.true_status(m(cut + 6, 0.0), "tfl_itb") == ("short", True)
    assert A.true_status(m(cut - 6, 0.0), "tfl_itb") == ("normal", True)
    assert A.true_status(m(cut + 1, 0.0), "tfl_itb") == ("short", False)
    # sartorius: abducted AND turned out (shank swung inwards = negative deviation)
    assert A.true_status(m(cut + 6, -(rot + 6)), "sartorius") == ("short", True)
    assert A.true_status(m(cut + 6, -(rot + 2)), "sartorius") == ("short", False)
    assert A.true_status(m(cut + 6, 0.0), "sartorius") == ("normal", True)       # not turned out
    assert A.true_status(m(cut - 2, -(rot + 8)), "sartorius") == ("normal", False)  # abduction near its cut-off


@pytest.mark.model
@pytest.mark.slow
def test_before_after_scores_each_checkout_on_the_same_photos(tmp_path, monkeypatch, capsys):
    """benchmarks/before_after.py with this checkout on both sides (run from another folder, as
    with a relative --images): both summary rows are the same and every photo was read (its
    first version ran the other checkout in its own folder and found no photo: 0% found)."""
    import before_after as B

    photos = sorted((ROOT / "sample_images").glob("thomas_*_0[12].jpg"))[:3]
    for p in photos:
        for ext in (".jpg", ".json"):
            (tmp_path / "set").mkdir(exist_ok=True)
            (tmp_path / "set" / (p.stem + ext)).write_bytes(p.with_suffix(ext).read_bytes())
    monkeypatch.chdir(tmp_path)
    assert B.main(["--images", "set", "--old-tree", str(ROOT), "--old-python", sys.executable, "--old-label", "same"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if line.startswith(("| same |", "| this checkout |"))]
    assert len(rows) == 2
    strip = lambda r: r.split("|")[2:-2]  # noqa: E731 - the label and the time a photo aside
    assert strip(rows[0]) == strip(rows[1])
    assert strip(rows[0])[0].strip() != "0.0%"

"""End to end with the real BlazePose model on the bundled sample images and clip.

Ground truth comes from each image's JSON sidecar, written by the renderer
(tools/synth) from the posed rig's joint centres: independent of the tool.
"""

import csv
import json
import shutil
import subprocess
import sys

import pytest

from conftest import SAMPLES

pytestmark = pytest.mark.model

THIGH_TOL_DEG = 3.0  # issue 3: perpendicular samples, thigh within 3 deg of the true angle
KNEE_TOL_DEG = 4.0   # ... knee flexion within 4 deg


def _samples():
    out = []
    for js in sorted(SAMPLES.glob("*.json")):
        meta = json.loads(js.read_text())
        if "truth_3d" in meta:
            out.append((SAMPLES / meta["image"], meta))
    return out


SAMPLE_SET = _samples()
#: a leg turned out of the image plane (abduction or rotation beyond this) is not "seen
#: perpendicular": its photo cannot show the true 3D angles (the projected truth of
#: thomas_r_normal_abducted_01, 12 deg abducted and 8 deg rotated, is 4.5 deg off the 3D knee
#: flexion), so it is checked against the projected truth instead
IN_PLANE_MAX_DEG = 5.0


def _perpendicular_camera(m):
    return abs(m["camera"]["yaw_deg"]) < 1e-6 and abs(m["camera"]["roll_deg"]) < 1e-6 and not m["camera"].get("far_side")


def _leg_in_plane(m):
    t = m["truth_3d"]
    return abs(t.get("hip_abduction_deg", 0)) <= IN_PLANE_MAX_DEG and abs(t.get("hip_rotation_deg", 0)) <= IN_PLANE_MAX_DEG


PERPENDICULAR = [(p, m) for p, m in SAMPLE_SET if _perpendicular_camera(m) and _leg_in_plane(m)]
OUT_OF_PLANE = [(p, m) for p, m in SAMPLE_SET if _perpendicular_camera(m) and not _leg_in_plane(m)]
needs_samples = pytest.mark.skipif(not SAMPLE_SET, reason="sample_images/ has no rendered samples")


def run_cli(*args, check=True):
    proc = subprocess.run([sys.executable, "-m", "thomas_cv.cli", *map(str, args)], capture_output=True, text=True, timeout=600)
    assert "Traceback" not in proc.stderr, proc.stderr
    if check:
        assert proc.returncode == 0, proc.stderr
    return proc


@pytest.fixture(scope="module")
def estimator():
    from thomas_cv.vision.pose import BlazePose

    with BlazePose(static=True) as est:
        yield est


@needs_samples
def test_samples_cover_the_cases():
    kinds = {(m["findings"]["iliopsoas"], m["findings"]["rectus_femoris"]) for _, m in SAMPLE_SET}
    assert {("normal", "normal"), ("short", "normal"), ("normal", "short"), ("short", "short")} <= kinds
    assert {m["tested_side"] for _, m in SAMPLE_SET} == {"left", "right"}
    assert {m["head_towards"] for _, m in SAMPLE_SET} == {"left", "right"}


@needs_samples
@pytest.mark.parametrize("path,meta", PERPENDICULAR, ids=[p.name for p, _ in PERPENDICULAR])
def test_perpendicular_sample_within_tolerance(path, meta, estimator):
    from thomas_cv.pipeline.photo import analyze_path

    d = analyze_path(path, estimator).to_dict()
    t = meta["truth_3d"]
    assert d["ok"], d["error"]
    assert d["side"] == meta["tested_side"]
    assert d["head_towards"] == meta["head_towards"]
    assert abs(d["thigh_angle_deg"] - t["thigh_angle_deg"]) <= THIGH_TOL_DEG
    assert abs(d["knee_flexion_deg"] - t["knee_flexion_deg"]) <= KNEE_TOL_DEG


@pytest.mark.parametrize("path,meta", OUT_OF_PLANE, ids=[p.name for p, _ in OUT_OF_PLANE])
def test_out_of_plane_leg_matches_what_the_photo_shows(path, meta, estimator):
    from thomas_cv.pipeline.photo import analyze_path

    d = analyze_path(path, estimator).to_dict()
    t = meta["truth_image"]
    assert d["ok"] and d["side"] == meta["tested_side"]
    assert abs(d["thigh_angle_deg"] - t["thigh_angle_deg"]) <= THIGH_TOL_DEG
    assert abs(d["knee_flexion_deg"] - t["knee_flexion_deg"]) <= KNEE_TOL_DEG


@needs_samples
@pytest.mark.parametrize("path,meta", [(p, m) for p, m in SAMPLE_SET if not _perpendicular_camera(m)],
                         ids=[p.name for p, m in SAMPLE_SET if not _perpendicular_camera(m)])
def test_marked_samples_side_and_roll(path, meta, estimator):
    """Rolled or yawed cameras: the side is still right; the auto horizon finds the roll."""
    from thomas_cv.pipeline.photo import analyze_path

    d = analyze_path(path, estimator).to_dict()
    assert d["ok"] and d["side"] == meta["tested_side"]
    if abs(meta["camera"]["roll_deg"]) > 0:
        assert d["horizon_source"] == "table_edge"
        assert abs(d["horizon_deg"] - meta["horizon_deg"]) <= 1.0
        assert abs(d["thigh_angle_deg"] - meta["truth_3d"]["thigh_angle_deg"]) <= THIGH_TOL_DEG


#: Known regression since the Tasks-API landmarks (#12), kept visible rather than loosened: on
#: this square-on sample (true yaw 0) the line search takes the body's outline on the pad (0.6
#: deg off level) for a table line and reads a yaw of 3.2 deg (the legacy landmarks put the
#: search band where it read under 3). strict: the test fails once the estimate is right again.
YAW_KNOWN_MISS = {"thomas_r_normal_abducted_01.jpg"}


def _yaw_cases():
    for p, m in SAMPLE_SET:
        marks = [pytest.mark.xfail(strict=True, reason="body outline read as a table line (yaw 3.2 deg at 0)")] \
            if p.name in YAW_KNOWN_MISS else []
        yield pytest.param(p, m, id=p.name, marks=marks)


@needs_samples
@pytest.mark.parametrize("path,meta", list(_yaw_cases()))
def test_view_yaw_is_estimated_and_flagged(path, meta, estimator):
    """Camera yaw from the table's converging lines (the renders' EXIF gives the focal
    length): within 3 deg of the render's, and flagged beyond 15 deg."""
    from thomas_cv.pipeline.photo import analyze_path

    d = analyze_path(path, estimator).to_dict()
    assert d["ok"], d["error"]
    true_yaw = abs(meta["camera"]["yaw_deg"])
    if true_yaw > 0:
        assert d["view_yaw_deg"] is not None and abs(d["view_yaw_deg"] - true_yaw) <= 3.0
    elif d["view_yaw_deg"] is not None:
        assert d["view_yaw_deg"] <= 3.0
    assert ("oblique_view" in d["flags"]) == (d["view_yaw_deg"] is not None and d["view_yaw_deg"] > 15)


@needs_samples
def test_cli_measure_json_contract(tmp_path):
    paths = [p for p, _ in SAMPLE_SET[:3]]
    proc = run_cli("measure", *paths, "--format", "json", "--out", tmp_path)
    lines = [json.loads(x) for x in proc.stdout.splitlines()]
    assert len(lines) == 3
    for d in lines:
        for k in ("file", "ok", "error", "side", "thigh_angle_deg", "knee_flexion_deg", "knee_inner_angle_deg",
                  "hip_extension_to_trunk_deg", "hugged_hip_flexion_deg", "horizon_deg", "confidence", "flags", "findings"):
            assert k in d
        assert set(d["findings"]) == {"iliopsoas", "rectus_femoris", "tfl_itb", "sartorius"}
        assert d["thigh_angle_deg"] == round(d["thigh_angle_deg"], 1)
    assert len(list(tmp_path.glob("*_overlay.jpg"))) == 3  # JPEG by default


@needs_samples
def test_cli_measure_table_and_csv():
    p = SAMPLE_SET[0][0]
    out = run_cli("measure", p).stdout
    assert "thigh angle" in out and "not a diagnosis" in out
    rows = list(csv.DictReader(run_cli("measure", p, "--format", "csv").stdout.splitlines()))
    assert rows[0]["ok"] == "True" and rows[0]["iliopsoas_status"] in {"normal", "borderline", "short"}


@needs_samples
def test_cli_batch_on_samples(tmp_path):
    """The side-view samples (sample_images/*.jpg; the front views sit in front/ and include
    the camera place above the thigh, which BlazePose does not read) all measured in a batch."""
    src, out = tmp_path / "samples", tmp_path / "out"
    src.mkdir()
    for p in SAMPLES.glob("*.jpg"):
        shutil.copy(p, src / p.name)
    run_cli("batch", src, "--out", out, "--workers", "2")
    rows = list(csv.DictReader(open(out / "results.csv", encoding="utf-8")))
    assert len(rows) == len(list(SAMPLES.glob("*.jpg")))
    assert all(r["ok"] == "True" for r in rows), [(r["file"], r["error"]) for r in rows if r["ok"] != "True"]
    assert len(list((out / "overlays").iterdir())) == len(rows)


CLIP = SAMPLES / "clip" / "thomas_settle.mp4"


@pytest.mark.skipif(not CLIP.exists(), reason="no rendered clip")
def test_cli_video_finds_the_held_position(tmp_path):
    truth = json.loads(CLIP.with_suffix(".json").read_text())
    held = truth["final"]["truth_3d"]
    proc = run_cli("video", CLIP, "--out", tmp_path, "--format", "json")
    d = json.loads(proc.stdout)
    assert d["ok"] and d["stable_stretch"] is not None
    assert d["stable_stretch"]["end_s"] - d["stable_stretch"]["start_s"] >= 1.0
    assert abs(d["thigh_angle_deg"] - held["thigh_angle_deg"]) <= THIGH_TOL_DEG
    assert abs(d["knee_flexion_deg"] - held["knee_flexion_deg"]) <= KNEE_TOL_DEG
    assert (tmp_path / "frames.csv").exists() and (tmp_path / "overlay.png").exists()

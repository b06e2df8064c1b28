"""The front photo measured from points placed by hand (issue 14): ``measure --front`` and
``assess --front-left/--front-right`` with ``--landmarks``. Without the model: a fake model that
finds nobody in the front photos (today's usual case with BlazePose) and the sample photos' true
joints in the side ones; the hand-placed points are the front samples' true joints
(``keypoints_px`` of the sidecars), rounded to whole pixels as a click would place them."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sidecar_landmarks import SampleEstimator, sidecar_landmarks
from synthetic_landmarks import FakeEstimator
from thomas_cv import cli
from thomas_cv.core import constants as C
from thomas_cv.clinic.assessment import load_landmarks_file
from thomas_cv.core.landmarks import BODY_JOINTS, LANDMARK_NAMES, Landmarks, PoseLandmark as P

FRONT_DIR = Path(__file__).resolve().parents[1] / "sample_images" / "front"
FRONTS = sorted(p for p in FRONT_DIR.glob("*.jpg") if json.loads(p.with_suffix(".json").read_text())["view"] == "front")
PAIR_SIDE = FRONT_DIR / "thomas_pair_foot_end_side.jpg"
PAIR_FRONT = FRONT_DIR / "thomas_pair_foot_end_front.jpg"
MINIMAL = [LANDMARK_NAMES[i] for i in BODY_JOINTS]
#: the thigh / hip-width ratio of the renderer's bodies (constants.py, THIGH_TO_HIP_WIDTH's note):
#: the condition under which the README states the front geometry's accuracy on true joint
#: positions (benchmarks/front.py --truth-points --hip-ratio 1.89 on seeds 12 and 13: abduction
#: MAE 1.20 deg, shank deviation MAE 2.64 deg, the uncertainty covering the truth 100% / 98%)
RENDER_HIP_RATIO = 1.89


def meta(photo: Path) -> dict:
    return json.loads(photo.with_suffix(".json").read_text())


def hand_points(photo: Path, names=MINIMAL) -> dict:
    """A points file entry as a clinician writes it: the photo's name, its size, whole pixels."""
    m = meta(photo)
    return {"file": photo.name, "landmarks": {"image_size": [m["width"], m["height"]], "points": {
        n: [round(m["keypoints_px"][n][0]), round(m["keypoints_px"][n][1])] for n in names}}}


class FrontBlind(SampleEstimator):
    """The side photos' true joints; nobody found in any other photo (a front view today)."""

    def estimate(self, image_rgb, timestamp_ms=None):
        if not any(rgb.shape == image_rgb.shape and np.array_equal(rgb, image_rgb) for rgb, _ in self.items):
            if not any(rgb.shape == image_rgb.shape and np.array_equal(rgb[:, ::-1], image_rgb) for rgb, _ in self.items):
                self.current = None
                return None
        return super().estimate(image_rgb, timestamp_ms)


@pytest.fixture
def model(monkeypatch):
    import thomas_cv.vision.pose

    est = FrontBlind([PAIR_SIDE])
    monkeypatch.setattr(thomas_cv.vision.pose, "make_estimator", lambda *a, **k: est)
    return est


def run(capsys, *argv) -> tuple[int, list[dict], str]:
    code = cli.main([str(a) for a in argv])
    out = capsys.readouterr()
    rows = [json.loads(line) for line in out.out.splitlines() if line.startswith("{")]
    return code, rows, out.err


def write(tmp_path, data, name="points.json") -> Path:
    f = tmp_path / name
    f.write_text(json.dumps(data))
    return f


@pytest.mark.parametrize("photo", FRONTS, ids=lambda p: p.stem)
def test_hand_placed_front_points_read_the_true_angles_within_the_stated_uncertainty(photo, tmp_path, capsys, model,
                                                                                     monkeypatch):
    monkeypatch.setattr(C, "THIGH_TO_HIP_WIDTH", RENDER_HIP_RATIO)
    code, (d,), _ = run(capsys, "measure", photo, "--landmarks", write(tmp_path, hand_points(photo)), "--format", "json")
    t = meta(photo)["truth_3d"]
    assert code == 0 and d["ok"] and d["view"] == "front" and d["side"] == meta(photo)["tested_side"]
    assert abs(d["thigh_abduction_deg"] - t["thigh_abduction_deg"]) <= d["thigh_abduction_uncertainty_deg"]
    assert abs(d["shank_deviation_deg"] - t["shank_deviation_deg"]) <= d["shank_deviation_uncertainty_deg"]
    for k in ("thigh_angle_deg", "knee_flexion_deg", "hip_extension_to_trunk_deg"):
        assert d[k] is None  # never a side-view number read off a front photo
    assert d["corrected"] is True and d["model_reading"]["error_code"] == "no_person_found"
    # the points used are written back in the same format (the stand-ins for the joints not given unseen)
    pts = d["landmarks"]["points"]
    assert pts["left_knee"]["x"] == hand_points(photo)["landmarks"]["points"]["left_knee"][0]
    assert pts["nose"]["visibility"] == 0.0 and pts["left_knee"]["visibility"] == 1.0


def test_the_samples_mean_errors_stay_within_the_geometrys_stated_figures(monkeypatch):
    """All 8 front samples together, through the path a points file takes: MAE at most the
    README's geometry figures on true joints (abduction 1.20, shank deviation 2.64 deg)."""
    from thomas_cv.pipeline.photo import analyze_corrected
    from thomas_cv.media import load_image

    monkeypatch.setattr(C, "THIGH_TO_HIP_WIDTH", RENDER_HIP_RATIO)
    abd, dev = [], []
    for photo in FRONTS:
        img = load_image(photo)
        r = analyze_corrected(img.rgb, hand_points(photo)["landmarks"], None, file=photo.name, with_overlay=False,
                              focal_35mm=img.focal_35mm, view="front")
        t = meta(photo)["truth_3d"]
        abd.append(r.front.thigh_abduction_deg - t["thigh_abduction_deg"])
        dev.append(r.front.shank_deviation_deg - t["shank_deviation_deg"])
    assert len(abd) == 8
    assert np.mean(np.abs(abd)) <= 1.20 and np.mean(np.abs(dev)) <= 2.64


def test_pair_with_front_points_is_marked_by_hand_keeps_the_models_reading_and_round_trips(tmp_path, capsys, model):
    pts = write(tmp_path, hand_points(PAIR_FRONT))
    out = tmp_path / "out"
    code, (d,), _ = run(capsys, "measure", PAIR_SIDE, "--front", PAIR_FRONT, "--landmarks", pts, "--format", "json",
                        "--horizon", "image", "--out", out)
    assert code == 0 and d["ok"] and d["view"] == "side" and d["thigh_abduction_deg"] is not None
    assert d["corrected"] is False and d["front_corrected"] is True  # only the front photo's points were given
    assert d["front_model_reading"] == {"ok": False, "error": d["front_model_reading"]["error"],
                                        "error_code": "no_person_found"}
    assert d["thigh_angle_corrected_deg"] is not None and d["findings"]["tfl_itb"]["status"] != "not_assessable"
    assert (out / json.loads((out / "results.json").read_text())[0]["front_overlay"]).exists()
    # the JSON the tool wrote, fed back: both photos' points taken from it, the same readings
    fed = write(tmp_path, d, "fed.json")
    assert set(load_landmarks_file(fed)) >= {PAIR_SIDE.name, PAIR_FRONT.name}
    code, (e,), _ = run(capsys, "measure", PAIR_SIDE, "--front", PAIR_FRONT, "--landmarks", fed, "--format", "json",
                        "--horizon", "image")
    assert code == 0 and e["corrected"] is True and e["front_corrected"] is True
    for k in ("thigh_angle_deg", "knee_flexion_deg", "thigh_abduction_deg", "shank_deviation_deg"):
        assert e[k] == pytest.approx(d[k], abs=0.15)
    # a point moved in it moves the reading: the hanging (left) knee 40 px further out (image right)
    e["front_landmarks"]["points"]["left_knee"]["x"] += 40
    code, (f,), _ = run(capsys, "measure", PAIR_SIDE, "--front", PAIR_FRONT, "--landmarks", write(tmp_path, e, "m.json"),
                        "--format", "json", "--horizon", "image")
    assert code == 0 and f["thigh_abduction_deg"] > e["thigh_abduction_deg"] + 3


def test_table_output_says_the_front_points_were_placed_by_hand(tmp_path, capsys, model):
    code = cli.main(["measure", str(PAIR_SIDE), "--front", str(PAIR_FRONT), "--landmarks",
                     str(write(tmp_path, hand_points(PAIR_FRONT))), "--horizon", "image"])
    table = capsys.readouterr().out
    assert code == 0
    assert "front photo      points placed by hand (the model's own reading: none [no_person_found])" in table


def test_side_view_points_given_for_the_front_photo_are_wrong_view(tmp_path, capsys, model):
    side_pts = hand_points(PAIR_SIDE, names=list(meta(PAIR_SIDE)["keypoints_px"]))
    side_pts["file"] = PAIR_FRONT.name  # the side photo's points, under the front photo's name
    f = write(tmp_path, side_pts)
    code, (d,), _ = run(capsys, "measure", PAIR_SIDE, "--front", PAIR_FRONT, "--landmarks", f, "--format", "json",
                        "--horizon", "image")
    assert code == 1 and not d["ok"] and d["error_code"] == "wrong_view" and d["thigh_abduction_deg"] is None
    assert "points placed by hand" in d["error"] and PAIR_FRONT.name in d["error"]
    # assess: the side result stands, the front photo is refused with the same code
    code, (a,), _ = run(capsys, "assess", "--left", PAIR_SIDE, "--front-left", PAIR_FRONT, "--landmarks", f,
                        "--format", "json", "--horizon", "image", "--out", tmp_path / "a")
    left = a["sides"]["left"]
    assert left["ok"] and left["front_error_code"] == "wrong_view" and left["thigh_abduction_deg"] is None
    assert left["front_corrected"] is True


def test_assess_takes_the_front_points_too(tmp_path, capsys, model):
    code, (a,), _ = run(capsys, "assess", "--left", PAIR_SIDE, "--front-left", PAIR_FRONT, "--landmarks",
                        write(tmp_path, hand_points(PAIR_FRONT)), "--format", "json", "--horizon", "image",
                        "--out", tmp_path / "a")
    left = a["sides"]["left"]
    assert code == 0 and left["front_corrected"] is True and left["corrected"] is False
    assert left["front_model_reading"]["error_code"] == "no_person_found"
    assert left["thigh_abduction_deg"] is not None and a["findings"]["left"]["tfl_itb"]["status"] != "not_assessable"
    assert "points placed by hand" in (tmp_path / "a" / "report.html").read_text()
    fhir = json.loads((tmp_path / "a" / "fhir.json").read_text())
    assert "front photo's points were placed by hand" in json.dumps(fhir)


def test_one_front_points_entry_is_never_taken_for_the_side_photo(tmp_path, capsys, model):
    """With a side and a front photo, points match by file name only: a file with one entry
    for the front photo leaves the side photo to the model."""
    code, (d,), _ = run(capsys, "assess", "--left", PAIR_SIDE, "--front-left", PAIR_FRONT, "--landmarks",
                        write(tmp_path, hand_points(PAIR_FRONT)), "--format", "json", "--horizon", "image",
                        "--out", tmp_path / "a")
    assert code == 0 and d["sides"]["left"]["corrected"] is False


@pytest.mark.parametrize("content,says", [
    ('{"file": "F", "landmarks": {"image_size": [960, 1280], "points": {"left_knee": "535, 513"}}}',
     "is not an x, y pair: write it as"),
    ("left_knee 535 513", "not a readable JSON file"),
    ('{"file": "F", "landmarks": {"image_size": [960, 1280], "points": {"knee_left": [535, 513]}}}',
     "use BlazePose's names, e.g. left_knee"),
    ('{"file": "other.jpg", "landmarks": {"image_size": [960, 1280], "points": {"left_knee": [535, 513]}}}',
     "set each entry's 'file'"),
    ('{"file": "F", "landmarks": [535, 513]}', "must be an object with 'image_size' and 'points'"),
    ('{"points": {"left_knee": [535, 513]}}', "no 'landmarks' field found"),
])
def test_a_malformed_points_file_is_one_line_saying_what_is_wrong_and_what_to_do(content, says, tmp_path, capsys, model):
    f = tmp_path / "points.json"
    f.write_text(content.replace('"F"', json.dumps(PAIR_FRONT.name)))
    code = cli.main(["measure", str(PAIR_SIDE), "--front", str(PAIR_FRONT), "--landmarks", str(f)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith(f"thomas-cv: error [invalid_option]: --landmarks {f}")
    assert says in err[0]


def test_without_a_model_reading_the_points_must_give_the_body_joints(tmp_path, capsys, model):
    part = hand_points(PAIR_FRONT, names=[n for n in MINIMAL if n != "right_ankle"])
    code, (d,), _ = run(capsys, "measure", PAIR_SIDE, "--front", PAIR_FRONT, "--landmarks", write(tmp_path, part),
                        "--format", "json", "--horizon", "image")
    assert code == 0 and d["ok"] and d["front_error_code"] == "invalid_option"  # the side result stands
    assert "right_ankle" in d["front_error"] and "give at least both shoulders, hips, knees and ankles" in d["front_error"]
    assert "\n" not in d["front_error"] and d["front_corrected"] is True


def test_minimal_points_become_landmarks_with_unseen_stand_ins():
    d = hand_points(PAIR_FRONT)["landmarks"]
    lm = Landmarks.from_dict(d)
    given = [int(i) for i in BODY_JOINTS]
    assert np.all(lm.visibility[given] == 1.0) and np.all(np.delete(lm.visibility, given) == 0.0)
    sh = (lm.xy[P.LEFT_SHOULDER] + lm.xy[P.RIGHT_SHOULDER]) / 2
    hip = (lm.xy[P.LEFT_HIP] + lm.xy[P.RIGHT_HIP]) / 2
    # the face beyond the shoulders, away from the hips (where a saved overlay blurs it)
    assert np.linalg.norm(lm.xy[P.NOSE] - hip) > np.linalg.norm(sh - hip)
    assert lm.xy[P.LEFT_HEEL].tolist() == lm.xy[P.LEFT_ANKLE].tolist()
    d["points"]["nose"] = [400, 300]  # a face point given: the face goes there
    assert Landmarks.from_dict(d).xy[LANDMARK_NAMES.index("left_eye")].tolist() == [400.0, 300.0]


def test_a_refused_front_photo_alone_writes_its_points_to_be_corrected_and_read_back(tmp_path, capsys, monkeypatch):
    """The model finds the person but puts the hugged knee down beside the hanging one: the
    front photo is refused (not the test position); its JSON carries the model's points, the
    clinician moves that knee to where it is, and the photo is measured from the file."""
    import thomas_cv.vision.pose

    lm = sidecar_landmarks(PAIR_FRONT)  # the left leg hangs: the right knee is the hugged one
    xy = lm.xy.copy()
    true_knee = xy[P.RIGHT_KNEE].copy()
    xy[P.RIGHT_KNEE] = xy[P.LEFT_KNEE] + (-120.0, 0.0)
    wrong = Landmarks(xy=xy, visibility=lm.visibility, image_size=lm.image_size)
    monkeypatch.setattr(thomas_cv.vision.pose, "make_estimator", lambda *a, **k: FakeEstimator(wrong))
    code, (d,), _ = run(capsys, "measure", PAIR_FRONT, "--format", "json", "--no-flip")
    assert code == 1 and d["error_code"] == "not_test_position" and d["landmarks"] is not None
    d["landmarks"]["points"]["right_knee"] = {"x": float(true_knee[0]), "y": float(true_knee[1])}
    code, (e,), _ = run(capsys, "measure", PAIR_FRONT, "--landmarks", write(tmp_path, d), "--format", "json", "--no-flip")
    assert code == 0 and e["ok"] and e["view"] == "front" and e["corrected"] is True
    assert e["model_reading"]["error_code"] == "not_test_position"
    # only the moved knee given: the rest comes from the model's (refused) reading of the photo
    part = {"file": PAIR_FRONT.name, "landmarks": {"image_size": d["landmarks"]["image_size"],
                                                   "points": {"right_knee": d["landmarks"]["points"]["right_knee"]}}}
    code, (f,), _ = run(capsys, "measure", PAIR_FRONT, "--landmarks", write(tmp_path, part, "p.json"), "--format", "json",
                        "--no-flip")
    assert code == 0 and f["thigh_abduction_deg"] == e["thigh_abduction_deg"]


def test_a_front_photo_alone_with_side_view_points_says_the_model_saw_a_front_view(tmp_path, capsys, monkeypatch):
    """No slot demands a view for a photo alone, so the points decide (as the model's do); when
    the model saw the other view in the photo, the result says so."""
    import thomas_cv.vision.pose

    monkeypatch.setattr(thomas_cv.vision.pose, "make_estimator", lambda *a, **k: FakeEstimator(sidecar_landmarks(PAIR_FRONT)))
    side_pts = hand_points(PAIR_SIDE, names=list(meta(PAIR_SIDE)["keypoints_px"]))
    code, (d,), _ = run(capsys, "measure", PAIR_FRONT, "--landmarks", write(tmp_path, side_pts), "--format", "json",
                        "--no-flip", "--horizon", "image")
    assert d["corrected"] is True
    assert any(n.startswith("The model saw a front view in this photo, the points placed by hand show a side view")
               for n in d["notes"])


def test_a_bystanders_face_in_the_front_photo_is_blurred_in_the_saved_front_overlay(tmp_path, capsys, monkeypatch):
    """Regression: the front photo's overlay blurred only the measured person's face; a helper
    standing in the front photo kept a sharp face in the saved image (the side photo's did not).
    The front photo gets the side photo's rule: look again with the subject hidden, blur whoever
    else is found."""
    import thomas_cv.vision.pose
    from PIL import Image

    from synthetic_landmarks import make_landmarks
    from thomas_cv.vision.person import head_box

    rgb = np.asarray(Image.open(PAIR_FRONT).convert("RGB")).copy()
    h, w = rgb.shape[:2]
    small = make_landmarks(size=(w, h))
    helper = Landmarks(small.xy * 0.15 + np.array([w * 0.80, h * 0.01]), small.visibility, (w, h))
    x0, y0, x1, y1 = head_box(helper)
    yy, xx = np.mgrid[y0:y1, x0:x1]
    rgb[y0:y1, x0:x1] = (((yy // 4 + xx // 4) % 2) * 255)[..., None]  # a sharp "face"
    front = tmp_path / "front_with_helper.png"
    Image.fromarray(rgb).save(front)
    sharp = rgb[y0:y1, x0:x1].astype(float).std()
    original = rgb.copy()

    class HelperInFront(FrontBlind):
        """Nobody lying read in the front photo (as today), but the helper once the measured
        person is hidden and as long as the helper's face is not."""

        def estimate(self, image_rgb, timestamp_ms=None):
            if image_rgb.shape == original.shape and not np.array_equal(image_rgb, original):
                face = image_rgb[y0:y1, x0:x1].astype(float)
                return helper if face.std() > 0.9 * sharp else None
            return super().estimate(image_rgb, timestamp_ms)

    monkeypatch.setattr(thomas_cv.vision.pose, "make_estimator", lambda *a, **k: HelperInFront([PAIR_SIDE]))
    pts = hand_points(PAIR_FRONT)
    pts["file"] = front.name
    out = tmp_path / "out"
    code, (d,), _ = run(capsys, "measure", PAIR_SIDE, "--front", front, "--landmarks", write(tmp_path, pts),
                        "--format", "json", "--horizon", "image", "--out", out)
    assert code == 0 and d["ok"] and d["front_corrected"] is True
    saved = np.asarray(Image.open(out / d["front_overlay"]).convert("RGB")).astype(float)
    assert saved.shape[:2] == (h, w)
    assert saved[y0:y1, x0:x1].std() < 0.3 * sharp

"""The clinic's workflow without the model: both sides as one assessment, hand-corrected
points, report, history (SQLite), FHIR. The fake model answers with the sample photos'
true joint positions (tests/sidecar_landmarks.py)."""

from __future__ import annotations

import json
import math
import sqlite3
import threading

import numpy as np
import pytest

from sidecar_landmarks import SAMPLES, SampleEstimator, sidecar_landmarks
from thomas_cv import cli
from thomas_cv.pipeline.photo import Horizon
from thomas_cv.clinic import fhir, history, report
from thomas_cv.clinic.assessment import assess, compare_values, measure_side, pair_photos
from thomas_cv.clinic.correction import move_points
from thomas_cv.core.landmarks import Landmarks

LEFT = SAMPLES / "thomas_l_normal_01.jpg"          # left leg: thigh ~12, knee ~96
RIGHT = SAMPLES / "thomas_r_short_rectus_01.jpg"   # right leg: knee ~60 (short rectus femoris)
IMAGE = Horizon("image")  # the samples' cameras are level: the image x axis is the true horizontal


@pytest.fixture
def est():
    return SampleEstimator([LEFT, RIGHT])


@pytest.fixture
def fake_model(monkeypatch, est):
    import thomas_cv.vision.pose

    monkeypatch.setattr(thomas_cv.vision.pose, "make_estimator", lambda *a, **k: est)
    return est


def truth(photo):
    return json.loads(photo.with_suffix(".json").read_text())["truth_image"]


# ------------------------------------------------------------------------- landmarks file


def test_landmarks_round_trip_and_partial_with_base():
    lm = sidecar_landmarks(RIGHT)
    d = json.loads(json.dumps(lm.to_dict()))
    back = Landmarks.from_dict(d)
    assert np.allclose(back.xy, lm.xy, atol=0.01) and back.image_size == lm.image_size
    # only the knee given, in a half-size image's pixels: the rest from the base, scaled
    part = {"image_size": [lm.image_size[0] // 2, lm.image_size[1] // 2], "points": {"right_knee": [100, 200]}}
    new = Landmarks.from_dict(part, base=lm)
    assert new.xy[26].tolist() == [100.0, 200.0] and np.allclose(new.xy[23], lm.xy[23] / 2)


@pytest.mark.parametrize("bad,msg", [
    ({"points": {}}, "image_size"),
    ({"image_size": [10, 10], "points": {"left_knee": [1, 2]}}, "missing"),
    ({"image_size": [10, 10], "points": {"elbow_left": [1, 2]}}, "unknown point"),
    ({"image_size": [10, 10], "points": {"left_knee": "x"}}, "not an x, y pair"),
])
def test_landmarks_file_errors_are_plain(bad, msg):
    with pytest.raises(ValueError, match=msg):
        Landmarks.from_dict(bad)


def test_measure_json_has_landmarks_and_corrected_file_recomputes(tmp_path, fake_model, capsys):
    assert cli.main(["measure", str(RIGHT), "--format", "json", "--horizon", "image"]) == 0
    d = json.loads(capsys.readouterr().out.splitlines()[0])
    assert d["corrected"] is False and "model_reading" not in d
    pts = d["landmarks"]["points"]
    assert abs(pts["right_knee"]["x"] - sidecar_landmarks(RIGHT).xy[26][0]) < 0.01
    # the clinician puts the knee exactly 20 deg below the hip's horizontal, same thigh length
    hip = np.array([pts["right_hip"]["x"], pts["right_hip"]["y"]])
    knee = np.array([pts["right_knee"]["x"], pts["right_knee"]["y"]])
    L = float(np.linalg.norm(knee - hip))
    new_knee = hip + L * np.array([math.cos(math.radians(20)), math.sin(math.radians(20))])
    pts["right_knee"] = {"x": float(new_knee[0]), "y": float(new_knee[1])}
    f = tmp_path / "fixed.json"
    f.write_text(json.dumps(d))
    assert cli.main(["measure", str(RIGHT), "--format", "json", "--horizon", "image", "--landmarks", str(f)]) == 0
    c = json.loads(capsys.readouterr().out.splitlines()[0])
    assert c["corrected"] is True
    assert c["thigh_angle_deg"] == pytest.approx(20.0, abs=0.1)
    assert c["model_reading"]["thigh_angle_deg"] == d["thigh_angle_deg"]  # the model's own, kept beside
    assert c["model_reading"]["thigh_angle_deg"] == pytest.approx(truth(RIGHT)["thigh_angle_deg"], abs=0.2)
    # only the moved joint given: the others come from the model's reading
    f.write_text(json.dumps({"file": "x.jpg", "landmarks": {"image_size": d["landmarks"]["image_size"],
                                                            "points": {"right_knee": pts["right_knee"]}}}))
    assert cli.main(["measure", str(RIGHT), "--format", "json", "--horizon", "image", "--landmarks", str(f)]) == 0
    p = json.loads(capsys.readouterr().out.splitlines()[0])
    assert p["corrected"] and p["thigh_angle_deg"] == pytest.approx(20.0, abs=0.1)
    f.write_text(json.dumps({"landmarks": {"image_size": [10, 10], "points": {"knee_left": [1, 2]}}}))
    assert cli.main(["measure", str(RIGHT), "--landmarks", str(f)]) == 2  # a plain error, before measuring


def test_move_points_moves_the_tested_knee_not_the_hugged_one():
    lm = sidecar_landmarks(RIGHT)
    res, rgb = measure_side(RIGHT, SampleEstimator([RIGHT]), "right", horizon=IMAGE)
    m = res.measurement
    new = move_points(res.landmarks, m.points, {"knee": (m.points["knee"][0] + 30, m.points["knee"][1])})
    moved = np.flatnonzero(np.any(np.abs(new.xy - lm.xy) > 0.5, axis=1))
    assert moved.tolist() == [26]  # right_knee: the hanging leg's
    with pytest.raises(ValueError):
        move_points(res.landmarks, m.points, {"nose": (1, 2)})


# ---------------------------------------------------------------------------- assessment


def test_assessment_of_both_sides_compares_and_notes_asymmetry(est):
    a = assess(LEFT, RIGHT, est, person="p1", date="2026-03-01", horizon=IMAGE)
    d = a.to_dict()
    assert d["sides"]["left"]["side"] == "left" and d["sides"]["right"]["side"] == "right"
    assert d["findings"]["right"]["rectus_femoris"]["status"] == "short"
    assert d["findings"]["left"]["rectus_femoris"]["status"] == "normal"
    comp = {c["muscle"]: c for c in d["comparison"]}
    rf = comp["rectus_femoris"]
    tl, tr = truth(LEFT)["knee_flexion_deg"], truth(RIGHT)["knee_flexion_deg"]
    assert rf["difference_deg"] == pytest.approx(tl - tr, abs=0.5)
    ul, ur = d["sides"]["left"]["knee_flexion_uncertainty_deg"], d["sides"]["right"]["knee_flexion_uncertainty_deg"]
    assert rf["uncertainty_deg"] == pytest.approx(math.hypot(ul, ur), abs=0.1)
    assert rf["asymmetric"] is True and "right side" in rf["note"]
    assert comp["iliopsoas"]["asymmetric"] is False  # thighs 11.9 vs 9.2: within +/-3.5
    assert any("kneeling hip-flexor stretch" in t for t in d["follow_ups"])
    assert any("Re-test" in t for t in d["follow_ups"])
    assert len(a.rows()) == 2 and {r["assessed_side"] for r in a.rows()} == {"left", "right"}


def test_asymmetry_threshold_is_the_combined_uncertainty():
    # 3-4-5: the combined uncertainty is exactly 5
    assert compare_values("iliopsoas", "thigh_angle_deg", 10.0, 3.0, 5.1, 4.0).asymmetric is False
    assert compare_values("iliopsoas", "thigh_angle_deg", 10.0, 3.0, 4.8, 4.0).asymmetric is True
    assert compare_values("iliopsoas", "thigh_angle_deg", 4.8, 3.0, 10.0, 4.0).note.startswith("The left side")


def test_one_side_missing_and_pain_come_first(est):
    a = assess(LEFT, None, est, pain={"left": "knee"}, horizon=IMAGE)
    d = a.to_dict()
    assert d["sides"]["right"] is None
    assert all(c["asymmetric"] is None for c in d["comparison"])
    assert "right side was not measured" in d["comparison"][0]["note"]
    assert d["follow_ups"][0].startswith("Pain in the hip or knee")


def test_front_view_hook_takes_over_tfl_and_compares(est):
    a = assess(LEFT, RIGHT, est, horizon=IMAGE,
               front_left={"thigh_abduction_deg": 2.0, "thigh_abduction_uncertainty_deg": 2.0,
                           "findings": {"tfl_itb": {"status": "normal", "reason": "thigh in line"}}},
               front_right={"thigh_abduction_deg": 14.0, "thigh_abduction_uncertainty_deg": 2.0,
                            "findings": {"tfl_itb": {"status": "short", "reason": "thigh drawn out 14 deg"}}})
    d = a.to_dict()
    assert d["findings"]["right"]["tfl_itb"]["status"] == "short"
    tfl = next(c for c in d["comparison"] if c["muscle"] == "tfl_itb")
    assert tfl["difference_deg"] == -12.0 and tfl["asymmetric"] is True


def test_pairing_rule():
    pairs, alone = pair_photos(["d/Anna_left.jpg", "d/x.png", "d/Anna_Right.JPG", "d/Bo-left.jpg", "d/Bo right.jpg",
                                "e/Anna_right.jpg", "d/Cy_left.jpg"])
    assert pairs == [("Anna", "d/Anna_left.jpg", "d/Anna_Right.JPG"), ("Bo", "d/Bo-left.jpg", "d/Bo right.jpg")]
    assert alone == ["d/x.png", "e/Anna_right.jpg", "d/Cy_left.jpg"]


# --------------------------------------------------------------------------------- report


def test_report_pdf_and_html(est):
    a = assess(LEFT, RIGHT, est, person="p<1>", date="2026-03-01", horizon=IMAGE)
    pdf = report.to_pdf(a)
    assert pdf.startswith(b"%PDF") and len(pdf) > 20_000
    page = report.to_html(a)
    assert "measurement aid, not a diagnosis" in page and "p&lt;1&gt;" in page and "<1>" not in page
    assert page.count("data:image/jpeg;base64,") == 2
    assert "http://" not in page and "https://" not in page  # self-contained: nothing fetched
    assert "Kendall" in page and "ASYMMETRY" in page and "kneeling hip-flexor stretch" in page


def test_report_shows_the_front_views():
    """Issue 16: the report of an assessment with front photos shows each leg's front overlay
    (face blurred unless asked) and the front angles; without front views those rows stay out."""
    front = SAMPLES / "front"
    est = SampleEstimator(sorted(front.glob("thomas_*_front_*.jpg")))
    a = assess(front / "thomas_l_front_tfl_short_side.jpg", front / "thomas_r_front_sartorius_side.jpg", est,
               horizon=IMAGE, front_photos={"left": front / "thomas_l_front_tfl_short_front.jpg",
                                            "right": front / "thomas_r_front_sartorius_front.jpg"})
    page = report.to_html(a)
    assert page.count("data:image/jpeg;base64,") == 4 and page.count("leg from the front") == 2
    for side in ("left", "right"):
        row = page[page.index("Thigh abduction, front view"):].split("</tr>")[0]
        assert f"{a.side(side).to_dict()['thigh_abduction_deg']:+.1f} +/- " in row
    assert "Tensor fasciae latae / IT band" in page and "Front view" in page  # finding and its norm
    assert report.to_pdf(a).startswith(b"%PDF")
    assert report.front_overlay_jpeg(a.left) != report.front_overlay_jpeg(a.left, blur_faces=False)
    plain = report.to_html(assess(LEFT, RIGHT, SampleEstimator([LEFT, RIGHT]), horizon=IMAGE))
    assert "Thigh abduction, front view" not in plain and "leg from the front" not in plain
    assert plain.count("data:image/jpeg;base64,") == 2


def test_report_blurs_the_face_by_default(est):
    import io

    from PIL import Image

    from thomas_cv.vision.privacy import face_box

    a = assess(LEFT, None, est, horizon=IMAGE)
    res = a.left
    x0, y0, x1, y1 = face_box(res.landmarks, a.photos["left"].shape[:2])
    img = lambda **kw: np.asarray(Image.open(io.BytesIO(report.overlay_jpeg(res, a.photos["left"], max_side=2000, **kw))),  # noqa: E731
                                  float)
    sharp, blurred = img(blur_faces=False), img()
    diff = np.abs(sharp - blurred).sum(axis=2)
    inside = np.zeros(diff.shape, bool)
    inside[y0:y1, x0:x1] = True
    assert diff[inside].mean() > 10 * max(diff[~inside].mean(), 0.5)  # the face changed, the rest did not
    box = (slice(y0, y1), slice(x0, x1))
    detail = lambda im: float(np.median(np.abs(np.diff(im[box], axis=1)).sum(axis=2)))  # noqa: E731
    assert detail(blurred) < detail(sharp)


# -------------------------------------------------------------------------------- history


def _doc(person, date, thigh, knee, u=(2.5, 5.4)):
    return {"person": person, "date": date, "tool_version": "t", "sides": {"left": {
        "ok": True, "thigh_angle_deg": thigh, "thigh_angle_uncertainty_deg": u[0], "knee_flexion_deg": knee,
        "knee_flexion_uncertainty_deg": u[1], "hip_extension_to_trunk_deg": 5.0, "hugged_hip_flexion_deg": 110.0}},
        "findings": {"left": {"iliopsoas": {"status": "normal"}, "rectus_femoris": {"status": "short"}}}}


def test_history_save_series_change_export_delete(tmp_path):
    db = tmp_path / "h.sqlite"
    conn = history.connect(db)
    assert conn.execute("PRAGMA user_version").fetchone()[0] == history.SCHEMA_VERSION
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    history.save(conn, _doc("anna-7", "2026-01-10", 2.0, 62.0))
    history.save(conn, _doc("anna-7", "2026-02-20", 5.0, 75.0))
    history.save(conn, _doc("bo-2", "2026-01-11", 9.0, 90.0))
    rows = history.series(conn, "anna-7")
    assert [r["date"] for r in rows if r["angle"] == "knee_flexion_deg"] == ["2026-01-10", "2026-02-20"]
    ch = {c.angle: c for c in history.changes(rows)}
    # knee +13: beyond sqrt(5.4^2 + 5.4^2 + 4.2^2) = 8.7; thigh +3: within sqrt(2.5^2 * 2 + 4.2^2) = 5.5
    assert ch["knee_flexion_deg"].exceeds and ch["knee_flexion_deg"].threshold_deg == pytest.approx(8.7, abs=0.05)
    assert not ch["thigh_angle_deg"].exceeds
    exp = history.export_person(conn, "anna-7")
    assert [d["date"] for d in exp["assessments"]] == ["2026-01-10", "2026-02-20"]
    assert history.delete_person(conn, "anna-7") == 2
    assert history.series(conn, "anna-7") == [] and history.persons(conn) == ["bo-2"]
    assert conn.execute("SELECT COUNT(*) FROM angles").fetchone()[0] == 4  # bo-2's only
    conn.close()
    raw = b"".join(p.read_bytes() for p in tmp_path.iterdir())
    assert b"anna-7" not in raw and b"bo-2" in raw  # overwritten, not just unlinked


def test_history_write_is_all_or_nothing(tmp_path):
    conn = history.connect(tmp_path / "h.sqlite")
    bad = _doc("p", "2026-01-01", 1.0, 80.0)
    bad["sides"]["left"]["knee_flexion_deg"] = "not a number"
    with pytest.raises(ValueError):
        history.save(conn, bad)
    assert conn.execute("SELECT COUNT(*) FROM assessments").fetchone()[0] == 0
    with pytest.raises(Exception, match="person ID"):
        history.save(conn, _doc("", "2026-01-01", 1.0, 80.0))


def test_history_two_writers_at_once(tmp_path):
    """Two app tabs saving at the same moment: both land, none is lost or locked out."""
    db = tmp_path / "h.sqlite"
    history.connect(db).close()
    errors = []

    def tab(k):
        try:
            c = history.connect(db)
            for i in range(25):
                history.save(c, _doc(f"p{k}", f"2026-01-{i + 1:02d}", 1.0, 80.0))
            c.close()
        except Exception as exc:  # noqa: BLE001 - collected for the assertion
            errors.append(exc)

    threads = [threading.Thread(target=tab, args=(k,)) for k in range(2)]
    [t.start() for t in threads]
    [t.join() for t in threads]
    assert errors == []
    c = history.connect(db)
    assert c.execute("SELECT COUNT(*) FROM assessments").fetchone()[0] == 50


def test_history_refuses_newer_schema_and_missing_file(tmp_path):
    db = tmp_path / "h.sqlite"
    history.connect(db).close()
    with sqlite3.connect(db) as raw:
        raw.execute("PRAGMA user_version = 99")
    with pytest.raises(history.HistoryError, match="newer"):
        history.connect(db)
    with pytest.raises(history.HistoryError, match="nothing has been saved"):
        history.connect(tmp_path / "none.sqlite", create=False)
    assert not (tmp_path / "none.sqlite").exists()


def test_default_db_path_is_in_the_user_data_folder(monkeypatch, tmp_path):
    monkeypatch.delenv("THOMAS_CV_DB", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path))
    if not history.sys.platform.startswith(("win", "darwin")):
        assert history.default_db_path() == tmp_path / "thomas-cv" / "history.sqlite"
    monkeypatch.setenv("THOMAS_CV_DB", str(tmp_path / "x.sqlite"))
    assert history.default_db_path() == tmp_path / "x.sqlite"


# ----------------------------------------------------------------------------------- FHIR


def test_fhir_bundle_validates_as_r4(est):
    pytest.importorskip("fhir.resources", reason="pip install 'thomas-cv[test]'")
    from fhir.resources.R4B.bundle import Bundle
    from fhir.resources.R4B.observation import Observation

    a = assess(LEFT, RIGHT, est, person="p1", date="2026-03-01", horizon=IMAGE)
    b = fhir.to_bundle(a)
    Bundle.model_validate(b)  # raises on any structural error
    obs = [e["resource"] for e in b["entry"]]
    for o in obs:
        Observation.model_validate(o)
    assert [o["bodySite"]["coding"][0]["code"] for o in obs] == ["24136001:272741003=7771000", "24136001:272741003=24028007"]
    comp = {c["code"]["coding"][0]["code"]: c for c in obs[1]["component"]}
    q = comp["knee_flexion_deg"]["valueQuantity"]
    assert (q["system"], q["code"]) == ("http://unitsofmeasure.org", "deg")
    assert q["value"] == a.to_dict()["sides"]["right"]["knee_flexion_deg"]
    assert comp["finding_rectus_femoris"]["interpretation"][0]["coding"][0]["code"] == "A"
    assert comp["knee_flexion_deg"]["code"]["coding"][0]["extension"][0]["valueBoolean"] is True  # unverified code
    for breakage in (lambda o: o.pop("code"), lambda o: o["component"][0]["valueQuantity"].update(value="abc")):
        bad = json.loads(json.dumps(obs[0]))
        breakage(bad)
        with pytest.raises(ValueError):  # the validator does reject broken Observations
            Observation.model_validate(bad)


# ------------------------------------------------------------------------------------ CLI


def test_cli_assess_save_history_export_delete(tmp_path, fake_model, capsys):
    db, out = tmp_path / "h.sqlite", tmp_path / "out"
    code = cli.main(["assess", "--left", str(LEFT), "--right", str(RIGHT), "--person", "anna-7", "--date", "2026-01-10",
                     "--out", str(out), "--save", "--db", str(db), "--horizon", "image"])
    assert code == 0
    text = capsys.readouterr().out
    assert "Saved to the history" in text and "measurement aid, not a diagnosis" in text
    for name in ("report.pdf", "report.html", "assessment.json", "assessment.csv", "fhir.json"):
        assert (out / name).stat().st_size > 0
    csv_lines = (out / "assessment.csv").read_text().splitlines()
    assert len(csv_lines) == 3 and csv_lines[0].startswith("person,date,assessed_side")
    cli.main(["assess", "--left", str(LEFT), "--right", str(RIGHT), "--person", "anna-7", "--date", "2026-02-20",
              "--out", str(tmp_path / "o2"), "--save", "--db", str(db), "--horizon", "image"])
    capsys.readouterr()
    assert cli.main(["history", "anna-7", "--db", str(db)]) == 0
    text = capsys.readouterr().out
    assert "2 assessment(s)" in text and "within the measurement error" in text
    assert cli.main(["history", "anna-7", "--db", str(db), "--export", str(tmp_path / "e.json")]) == 0
    assert len(json.loads((tmp_path / "e.json").read_text())["assessments"]) == 2
    assert cli.main(["history", "anna-7", "--db", str(db), "--delete", "--yes"]) == 0
    capsys.readouterr()
    assert cli.main(["history", "anna-7", "--db", str(db)]) == 1
    assert "No saved assessments" in capsys.readouterr().out


def test_cli_assess_stores_nothing_without_save(tmp_path, fake_model, monkeypatch, capsys):
    monkeypatch.setenv("THOMAS_CV_DB", str(tmp_path / "default.sqlite"))
    assert cli.main(["assess", "--left", str(LEFT), "--out", str(tmp_path / "o")]) == 0
    assert not (tmp_path / "default.sqlite").exists()
    assert "Not stored anywhere else" in capsys.readouterr().out
    assert cli.main(["assess", "--left", str(LEFT), "--save"]) == 2  # --save needs --person
    assert "--person" in capsys.readouterr().err


def test_cli_assess_batch_pairs_by_name(tmp_path, fake_model, capsys):
    import shutil

    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(LEFT, src / "anna_left.jpg")
    shutil.copy(RIGHT, src / "anna_right.jpg")
    shutil.copy(RIGHT, src / "solo.jpg")
    out = tmp_path / "out"
    code = cli.main(["assess", str(src), "--out", str(out), "--format", "json", "--horizon", "image"])
    lines = [json.loads(x) for x in capsys.readouterr().out.splitlines()]
    assert code == 0 and [d["person"] for d in lines] == ["anna", "solo"]
    assert lines[0]["sides"]["left"]["ok"] and lines[0]["sides"]["right"]["ok"]
    assert lines[1]["sides"]["right"]["ok"] and lines[1]["sides"]["left"] is None  # alone, side found by geometry
    assert (out / "anna" / "report.pdf").exists() and (out / "solo" / "report.html").exists()


def test_batch_naming_rule_with_front_photos():
    from thomas_cv.clinic.assessment import batch_jobs

    jobs, left_over = batch_jobs(["d/Anna_left.jpg", "d/anna_LEFT_front.png", "d/Anna_right.jpg", "d/Bo-right.jpg",
                                  "d/Bo-right-front.jpg", "d/Cy_left_front.jpg", "e/Anna_right_front.jpg",
                                  "d/Bo right front.jpg", "d/front.jpg"])
    got = [(j.name, j.sides, j.fronts) for j in jobs]
    assert got == [("Anna", {"left": "d/Anna_left.jpg", "right": "d/Anna_right.jpg"}, {"left": "d/anna_LEFT_front.png"}),
                   ("Bo-right", {"right": "d/Bo-right.jpg"}, {"right": "d/Bo-right-front.jpg"}),  # alone, with its front
                   ("front", {None: "d/front.jpg"}, {})]  # no side word: side from the photo
    # no side photo of that leg in that folder, or a second front photo of one leg
    assert left_over == ["d/Cy_left_front.jpg", "e/Anna_right_front.jpg", "d/Bo right front.jpg"]


def test_cli_assess_batch_pairs_front_photos_by_name(tmp_path, monkeypatch, capsys):
    """Issue 16: a batch pairs each leg's front photo with its side photo by name
    (NAME_left_front + NAME_left), as --front-left/--front-right do for one assessment."""
    import shutil

    import thomas_cv.vision.pose

    front = SAMPLES / "front"
    src = tmp_path / "in"
    src.mkdir()
    for pose, name in (("thomas_l_front_tfl_short", "anna_left"), ("thomas_r_front_sartorius", "anna_right")):
        shutil.copy(front / f"{pose}_side.jpg", src / f"{name}.jpg")
        shutil.copy(front / f"{pose}_front.jpg", src / f"{name}_front.jpg")
    shutil.copy(front / "thomas_r_front_normal_front.jpg", src / "bo_right_front.jpg")  # its side photo is missing
    est = SampleEstimator(sorted(front.glob("thomas_*_front_*.jpg")))
    monkeypatch.setattr(thomas_cv.vision.pose, "make_estimator", lambda *a, **k: est)
    code = cli.main(["assess", str(src), "--out", str(tmp_path / "out"), "--format", "json", "--horizon", "image"])
    out = capsys.readouterr()
    lines = [json.loads(x) for x in out.out.splitlines()]
    assert [d["person"] for d in lines] == ["anna"]
    d = lines[0]
    for side, pose in (("left", "thomas_l_front_tfl_short"), ("right", "thomas_r_front_sartorius")):
        r = d["sides"][side]
        assert r["ok"] and r["front_file"].endswith(f"anna_{side}_front.jpg")
        truth = json.loads((front / f"{pose}_front.json").read_text())["truth_3d"]["thigh_abduction_deg"]
        assert abs(r["thigh_abduction_deg"] - truth) <= r["thigh_abduction_uncertainty_deg"]
        assert d["findings"][side]["tfl_itb"]["status"] != "not_assessable"
        assert d["findings"][side]["sartorius"]["status"] != "not_assessable"
    assert any(c["muscle"] == "tfl_itb" and c["difference_deg"] is not None for c in d["comparison"])
    assert code == 1 and "bo_right_front.jpg: not assessed" in out.err


def test_a_front_photo_given_as_a_side_photo_is_a_clear_error():
    front = SAMPLES / "front" / "thomas_r_front_normal_front.jpg"
    res, rgb = measure_side(front, SampleEstimator([front]), "right", horizon=IMAGE)
    assert not res.ok and res.to_dict()["error_code"] == "wrong_view" and rgb is not None


def test_corrected_result_moves_knee_and_table_edge():
    from thomas_cv.clinic.assessment import corrected_result

    res, rgb = measure_side(RIGHT, SampleEstimator([RIGHT]), "right", horizon=IMAGE)
    hip = np.asarray(res.measurement.points["hip"])
    knee = np.asarray(res.measurement.points["knee"])
    L = float(np.linalg.norm(knee - hip))
    new_knee = hip + L * np.array([math.cos(math.radians(-5)), math.sin(math.radians(-5))])  # 5 deg above
    c = corrected_result(res, rgb, {"knee": tuple(new_knee)}, side="right", horizon=IMAGE)
    assert c.corrected
    assert c.measurement.thigh_angle_deg == pytest.approx(-5.0, abs=0.1)
    assert c.findings["iliopsoas"].status in ("short", "borderline")
    assert c.model_reading["thigh_angle_deg"] == res.to_dict()["thigh_angle_deg"]
    # a level line placed by hand tilted by 3 deg (counter-clockwise on screen): the thigh reads 3 deg more
    a = math.radians(3)
    edge = ((100.0, 800.0), (100.0 + 1000 * math.cos(a), 800.0 - 1000 * math.sin(a)))
    t = corrected_result(res, rgb, {"knee": tuple(new_knee)}, side="right", horizon=IMAGE, table_edge=edge)
    assert t.measurement.horizon_source == "points"
    assert abs(t.measurement.thigh_angle_deg - c.measurement.thigh_angle_deg) == pytest.approx(3.0, abs=0.1)


def test_front_views_with_the_sides_grade_tfl_and_compare(tmp_path):
    import cv2

    from synthetic_front import front_landmarks
    from thomas_cv.core.perspective import focal_px_from_35mm

    size = (1200, 900)
    fronts = {}
    for side, abd in (("left", 2.0), ("right", 16.0)):
        p = tmp_path / f"{side}_front.png"
        cv2.imwrite(str(p), np.full((size[1], size[0], 3), 100 + (side == "right"), np.uint8))
        fronts[side] = p
    lms = {100: front_landmarks("foot_end", 2.0, 0.0, size=size, f_px=focal_px_from_35mm(28.0, *size), side="left"),
           101: front_landmarks("foot_end", 16.0, 0.0, size=size, f_px=focal_px_from_35mm(28.0, *size), side="right")}
    samples = SampleEstimator([LEFT, RIGHT])

    class Both:
        def estimate(self, rgb):
            if rgb.shape[:2] == (size[1], size[0]):
                return lms[int(rgb[0, 0, 0])]
            return samples.estimate(rgb)

    a = assess(LEFT, RIGHT, Both(), horizon=IMAGE, front_photos=fronts)
    d = a.to_dict()
    assert d["sides"]["left"]["thigh_abduction_deg"] == pytest.approx(2.0, abs=1.5)
    assert d["sides"]["right"]["thigh_abduction_deg"] == pytest.approx(16.0, abs=1.5)
    assert d["findings"]["right"]["tfl_itb"]["status"] in ("short", "borderline")
    tfl = next(c for c in d["comparison"] if c["muscle"] == "tfl_itb")
    assert tfl["difference_deg"] == pytest.approx(-14.0, abs=2.0) and tfl["asymmetric"] is True
    # a correction by hand keeps the front view with its side
    from thomas_cv.clinic.assessment import corrected_result

    c = corrected_result(a.right, a.photos["right"], {"knee": tuple(a.right.measurement.points["knee"])},
                         side="right", horizon=IMAGE)
    assert c.corrected and c.front is not None and c.to_dict()["thigh_abduction_deg"] == d["sides"]["right"]["thigh_abduction_deg"]

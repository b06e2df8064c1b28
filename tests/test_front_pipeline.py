"""Front view through the pipeline (issue 14), with fake pose estimators: a front photo alone,
a side + front pair, the wrong view, the output contract, the batch pairing rule."""

from dataclasses import dataclass

import cv2
import numpy as np
import pytest

from synthetic_front import front_landmarks
from synthetic_landmarks import make_landmarks
from thomas_cv.outputs import overlay_name
from thomas_cv.pipeline.photo import CONTRACT_KEYS, analyze_image, analyze_pair, analyze_pair_paths, pair_photos
from thomas_cv.core.errors import WrongViewError
from thomas_cv.core.perspective import focal_px_from_35mm

SIDE_SIZE, FRONT_SIZE = (1280, 960), (1200, 900)  # at most the model size: never downscaled
F35 = 26.0


def _front(abd, dev, **kw):
    return front_landmarks("foot_end", abd, dev, size=FRONT_SIZE, f_px=focal_px_from_35mm(F35, *FRONT_SIZE), **kw)


@dataclass
class ByShape:
    """A pose estimator that answers by the image's size: one person per photo."""

    table: dict

    def estimate(self, rgb, timestamp_ms=None):
        h, w = rgb.shape[:2]
        lm = self.table.get((w, h))
        return lm


def _img(size):
    return np.full((size[1], size[0], 3), 128, np.uint8)


def test_a_front_photo_alone_gives_the_front_angles_and_leaves_the_side_ones_empty():
    est = ByShape({FRONT_SIZE: _front(20.0, -15.0, side="left")})
    r = analyze_image(_img(FRONT_SIZE), est, file="f.jpg", focal_35mm=F35)
    d = r.to_dict()
    assert r.ok and r.view == "front" and d["view"] == "front" and d["view_place"] == "foot_end"
    assert d["side"] == "left"
    assert d["thigh_abduction_deg"] == pytest.approx(20.0, abs=1.5)
    assert d["shank_deviation_deg"] == pytest.approx(-15.0, abs=1.5)
    assert d["thigh_abduction_uncertainty_deg"] > 0 and d["shank_deviation_uncertainty_deg"] > 0
    for k in ("thigh_angle_deg", "knee_flexion_deg", "thigh_angle_corrected_deg", "hip_extension_to_trunk_deg"):
        assert d[k] is None  # never a side-view number read off a front photo
    assert d["findings"]["tfl_itb"]["status"] == "short"
    assert d["findings"]["sartorius"]["status"] == "short"  # abducted and turned out (shank in)
    assert d["findings"]["iliopsoas"]["status"] == "not_assessable"
    assert "side" in d["findings"]["iliopsoas"]["reason"]
    assert r.overlay is not None and r.overlay.shape == (FRONT_SIZE[1], FRONT_SIZE[0], 3)
    assert not np.array_equal(r.overlay, _img(FRONT_SIZE))


def test_straight_leg_reads_normal():
    est = ByShape({FRONT_SIZE: _front(0.0, 0.0)})
    d = analyze_image(_img(FRONT_SIZE), est, focal_35mm=F35).to_dict()
    assert d["findings"]["tfl_itb"]["status"] == "normal"
    assert d["findings"]["sartorius"]["status"] == "normal"


def test_side_and_front_together_give_all_four_muscles_and_the_corrected_angles():
    side_lm = make_landmarks(thigh=12.0, knee=85.0, size=SIDE_SIZE)
    est = ByShape({SIDE_SIZE: side_lm, FRONT_SIZE: _front(18.0, 12.0)})
    r = analyze_pair(_img(SIDE_SIZE), _img(FRONT_SIZE), est, file="a_side.jpg", front_file="a_front.jpg",
                     front_focal_35mm=F35, flip=False)
    d = r.to_dict()
    assert d["view"] == "side" and d["front_file"] == "a_front.jpg"
    assert d["thigh_angle_deg"] == pytest.approx(12.0, abs=0.5)
    assert d["thigh_abduction_deg"] == pytest.approx(18.0, abs=1.5)
    # abduction makes the side view's thigh look steeper than it is: the 3-D slope is smaller
    assert d["thigh_angle_corrected_deg"] < d["thigh_angle_deg"]
    assert d["knee_flexion_corrected_deg"] is not None
    assert all(d["findings"][m]["status"] != "not_assessable" for m in ("iliopsoas", "rectus_femoris", "tfl_itb"))
    assert d["findings"]["tfl_itb"]["status"] == "short"
    assert r.front_overlay is not None


def test_the_wrong_view_is_an_error_with_its_own_code():
    side_lm = make_landmarks(size=SIDE_SIZE)
    est = ByShape({SIDE_SIZE: side_lm, FRONT_SIZE: _front(5.0, 0.0)})
    with pytest.raises(WrongViewError):  # the front photo given as the side one
        analyze_pair(_img(FRONT_SIZE), _img(SIDE_SIZE), est, flip=False)
    with pytest.raises(WrongViewError):
        analyze_image(_img(SIDE_SIZE), est, view="front")


def test_pair_paths_never_raise(tmp_path):
    est = ByShape({SIDE_SIZE: make_landmarks(size=SIDE_SIZE), FRONT_SIZE: _front(5.0, 0.0)})
    s, f = tmp_path / "x_side.png", tmp_path / "x_front.png"
    cv2.imwrite(str(s), _img(SIDE_SIZE))
    cv2.imwrite(str(f), _img(FRONT_SIZE))
    bad = analyze_pair_paths(f, s, est, flip=False)
    assert not bad.ok and bad.to_dict()["error_code"] == "wrong_view"
    good = analyze_pair_paths(s, f, est, flip=False)
    assert good.ok and good.to_dict()["thigh_abduction_deg"] is not None
    row = good.to_row()
    assert set(CONTRACT_KEYS) <= set(row)
    assert row["tfl_itb_status"] in ("normal", "borderline")


def test_pairing_rule():
    assert pair_photos(["p/A_Side.JPG", "p/A_front.jpg", "p/b_side.jpg", "p/c.jpg"]) == [
        ("p/A_Side.JPG", "p/A_front.jpg"), ("p/b_side.jpg", None), ("p/c.jpg", None)]
    # the same name in another folder is another test
    assert pair_photos(["x/a_side.jpg", "y/a_front.jpg"]) == [("x/a_side.jpg", None), ("y/a_front.jpg", None)]


def test_batch_pairs_side_and_front_photos_and_measures_the_rest_alone(tmp_path):
    import csv
    from functools import partial

    from thomas_cv.batch import RESULTS, run_batch

    src = tmp_path / "src"
    src.mkdir()
    cv2.imwrite(str(src / "anna_side.png"), _img(SIDE_SIZE))
    cv2.imwrite(str(src / "anna_front.png"), _img(FRONT_SIZE))
    cv2.imwrite(str(src / "ben_front.png"), _img(FRONT_SIZE))  # no partner: measured alone
    factory = partial(ByShape, {SIDE_SIZE: make_landmarks(size=SIDE_SIZE), FRONT_SIZE: _front(18.0, 0.0)})
    s = run_batch(src, tmp_path / "out", workers=1, estimator_factory=factory, flip=False)
    with open(tmp_path / "out" / RESULTS, newline="") as fh:
        rows = {r["file"]: r for r in csv.DictReader(fh)}
    assert set(rows) == {"anna_side.png", "ben_front.png"} and s.total == 2 and s.measured == 2
    assert rows["anna_side.png"]["front_file"] == "anna_front.png"
    assert rows["anna_side.png"]["view"] == "side" and rows["anna_side.png"]["thigh_angle_corrected_deg"]
    assert rows["ben_front.png"]["view"] == "front" and rows["ben_front.png"]["thigh_angle_deg"] == ""
    assert rows["ben_front.png"]["tfl_itb_status"] == "short"
    assert (tmp_path / "out" / "overlays" / overlay_name("anna_front.png")).exists()


def test_a_front_photo_that_cannot_be_measured_leaves_the_side_result_standing():
    side_lm = make_landmarks(thigh=12.0, knee=85.0, size=SIDE_SIZE)
    est = ByShape({SIDE_SIZE: side_lm})  # nobody found in the front photo
    r = analyze_pair(_img(SIDE_SIZE), _img(FRONT_SIZE), est, file="a_side.jpg", front_file="a_front.jpg", flip=False)
    d = r.to_dict()
    assert r.ok and d["thigh_angle_deg"] == pytest.approx(12.0, abs=0.5)
    assert d["front_error_code"] == "no_person_found" and d["thigh_abduction_deg"] is None
    assert d["findings"]["tfl_itb"]["status"] == "not_assessable"
    assert "front photo could not be measured" in d["findings"]["tfl_itb"]["reason"]


class _FakeSt:
    """Enough of Streamlit's API for show_result: records every call's first argument."""

    def __init__(self, log=None):
        self.log = [] if log is None else log

    def columns(self, spec):
        n = spec if isinstance(spec, int) else len(spec)
        return [_FakeSt(self.log) for _ in range(n)]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False

    def __getattr__(self, name):
        def call(*args, **kwargs):
            self.log.append((name, args[0] if args else kwargs.get("label")))
        return call


def test_the_web_page_shows_a_front_result_and_a_pair():
    pytest.importorskip("streamlit")
    from thomas_cv.web.common import show_result

    est = ByShape({FRONT_SIZE: _front(18.0, -12.0), SIDE_SIZE: make_landmarks(size=SIDE_SIZE)})
    front_only = analyze_image(_img(FRONT_SIZE), est, file="f.jpg", focal_35mm=F35)
    st = _FakeSt()
    show_result(st, front_only, "f.jpg", key="t1", blur=False)
    labels = [a for k, a in st.log if k == "metric"]
    assert "Thigh abduction" in labels and "Shank deviation" in labels and "Thigh angle" not in labels
    pair = analyze_pair(_img(SIDE_SIZE), _img(FRONT_SIZE), est, file="a_side.jpg", front_file="a_front.jpg",
                        front_focal_35mm=F35, flip=False)
    st = _FakeSt()
    show_result(st, pair, "a_side.jpg", key="t2", blur=False)
    labels = [a for k, a in st.log if k == "metric"]
    assert {"Thigh angle", "Thigh abduction", "Thigh angle in 3-D", "Knee flexion in 3-D"} <= set(labels)
    assert sum(1 for k, _ in st.log if k == "image") == 2  # side and front overlays

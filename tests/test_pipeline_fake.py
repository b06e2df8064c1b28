"""analyze/batch/CLI wiring with an injected estimator and real files on disk (no model)."""

import csv
import json
import zipfile
from functools import partial

import numpy as np
import pytest
from PIL import Image

from synthetic_landmarks import FakeEstimator, make_landmarks
from thomas_cv.pipeline.photo import CONTRACT_KEYS, Horizon, analyze_path
from thomas_cv.batch import JOURNAL, RESULTS, read_done, run_batch
from thomas_cv.core.errors import InvalidOptionError, ResumeMismatchError
from thomas_cv.core.interpret import MUSCLES


def fake_factory(thigh=10.0, knee=90.0):
    return FakeEstimator(make_landmarks(thigh=thigh, knee=knee))


def write_photo(path, size=(1280, 960)):
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (size[1], size[0], 3), dtype=np.uint8)).save(path)
    return path


def test_result_follows_output_contract(tmp_path):
    p = write_photo(tmp_path / "a.jpg")
    # both angles beyond their cut-off by more than the calibrated uncertainty (constants.py)
    d = analyze_path(p, fake_factory(thigh=-15.0, knee=55.0)).to_dict()
    for k in CONTRACT_KEYS:
        assert k in d
    assert d["ok"] is True and d["error"] is None
    assert d["thigh_angle_deg"] == -15.0 and d["knee_flexion_deg"] == 55.0
    assert set(d["findings"]) == set(MUSCLES)
    assert d["findings"]["iliopsoas"]["status"] == "short"
    assert d["findings"]["rectus_femoris"]["status"] == "short"
    json.dumps(d)  # serialisable


def test_no_person_is_an_error_result_not_an_exception(tmp_path):
    p = write_photo(tmp_path / "empty.png")
    d = analyze_path(p, FakeEstimator(None)).to_dict()
    assert d["ok"] is False and d["error_code"] == "no_person_found"
    assert "\n" not in d["error"]


def test_unreadable_file_is_an_error_result(tmp_path):
    p = tmp_path / "notes.jpg"
    p.write_text("this is not a photo")
    d = analyze_path(p, fake_factory()).to_dict()
    assert d["error_code"] == "unreadable_image"


@pytest.mark.parametrize(
    "text,expected",
    [("image", 0.0), ("3.5", 3.5), ("-6", -6.0), ("0,100,100,90", 5.710593), ("100,90,0,100", 5.710593)],
)
def test_horizon_option(text, expected):
    assert Horizon.parse(text).degrees() == pytest.approx(expected, abs=1e-5)


@pytest.mark.parametrize("text", ["sideways", "1,2,3", "1,1,1,1", "nan", "80"])
def test_horizon_option_rejects_nonsense(text):
    with pytest.raises(InvalidOptionError):
        Horizon.parse(text)


def test_horizon_points_correct_a_rolled_picture(tmp_path):
    p = write_photo(tmp_path / "a.jpg")
    est = FakeEstimator(make_landmarks(thigh=8.0, roll=4.0))
    naive = analyze_path(p, est).to_dict()
    fixed = analyze_path(p, est, horizon=Horizon.parse("4")).to_dict()
    assert naive["thigh_angle_deg"] == pytest.approx(4.0, abs=0.11)
    assert fixed["thigh_angle_deg"] == pytest.approx(8.0, abs=0.11)
    assert fixed["horizon_deg"] == 4.0


def _folder(tmp_path, n=6, bad=("broken.jpg",)):
    src = tmp_path / "photos"
    (src / "sub dir").mkdir(parents=True)
    for i in range(n):
        write_photo(src / ("sub dir" if i % 2 else ".") / f"p{i}.png", size=(640, 480))
    for b in bad:
        (src / b).write_bytes(b"\xff\xd8\xff\xe0 truncated")
    (src / "readme.txt").write_text("not an image type: ignored")
    return src


@pytest.mark.parametrize("workers", [1, 2])
def test_batch_measures_all_and_reports_bad_file(tmp_path, workers):
    src = _folder(tmp_path)
    out = tmp_path / "out"
    s = run_batch(src, out, workers=workers, estimator_factory=partial(fake_factory, 12.0, 95.0))
    assert (s.total, s.measured, s.failed, s.exit_code) == (7, 6, 1, 1)
    rows = list(csv.DictReader(open(out / RESULTS, encoding="utf-8")))
    assert len(rows) == 7 and len({r["file"] for r in rows}) == 7
    good = [r for r in rows if r["ok"] == "True"]
    assert all(float(r["thigh_angle_deg"]) == 12.0 for r in good)
    assert all((out / r["overlay"]).is_file() for r in good)
    fails = list(csv.DictReader(open(out / "failures.csv", encoding="utf-8")))
    assert [f["file"] for f in fails] == ["broken.jpg"] and fails[0]["error_code"] == "unreadable_image"


def test_batch_resume_skips_done_and_drops_torn_line(tmp_path):
    """Resume trusts the journal, not results.csv: a torn journal line is dropped and its
    file measured again; a results.csv rewritten by a spreadsheet (BOM, ';') is restored."""
    src = _folder(tmp_path, bad=())
    out = tmp_path / "out"
    run_batch(src, out, workers=1, estimator_factory=fake_factory)
    res, journal = out / RESULTS, out / JOURNAL
    lines = journal.read_bytes().splitlines(keepends=True)
    # simulate a kill: header + 3 rows, then a torn half row
    journal.write_bytes(b"".join(lines[:4]) + lines[4][: len(lines[4]) // 2])
    res.write_bytes(b"\xef\xbb\xbf" + res.read_bytes().replace(b",", b";"))  # a spreadsheet's "CSV UTF-8"
    with pytest.raises(InvalidOptionError, match="--resume"):
        run_batch(src, out, workers=1, estimator_factory=fake_factory)
    s = run_batch(src, out, workers=1, resume=True, estimator_factory=fake_factory)
    assert (s.skipped, s.measured, s.failed, s.new_measured, s.damaged) == (3, 6, 0, 3, 1)
    rows = list(csv.DictReader(open(res, encoding="utf-8")))
    assert sorted(r["file"] for r in rows) == sorted(read_done(res)) and len(rows) == 6
    assert not res.read_bytes().startswith(b"\xef\xbb\xbf")


def test_batch_resume_without_a_journal_is_refused_clearly(tmp_path):
    """A results.csv without its journal (an older version, or deleted) is never guessed at:
    --resume says why and changes nothing."""
    src = _folder(tmp_path, bad=())
    out = tmp_path / "out"
    run_batch(src, out, workers=1, estimator_factory=fake_factory)
    (out / JOURNAL).unlink()
    before = (out / RESULTS).read_bytes()
    with pytest.raises(ResumeMismatchError, match="journal"):
        run_batch(src, out, workers=1, resume=True, estimator_factory=fake_factory)
    assert (out / RESULTS).read_bytes() == before and not (out / JOURNAL).exists()


def test_batch_from_zip_ignores_path_traversal(tmp_path):
    z = tmp_path / "clinic.zip"
    img = write_photo(tmp_path / "x.png", size=(640, 480))
    with zipfile.ZipFile(z, "w") as zf:
        zf.write(img, "day1/p1.png")
        zf.writestr("../evil.png", img.read_bytes())
    out = tmp_path / "out"
    s = run_batch(z, out, workers=1, estimator_factory=fake_factory)
    assert (s.total, s.measured, s.failed) == (2, 1, 1)  # the ../ entry is reported, not unpacked
    assert not (tmp_path / "evil.png").exists()


@pytest.mark.parametrize("vis,leg_vis,mirror", [(0.99, 0.99, False), (0.99, 0.9, True), (0.95, 0.95, True)])
def test_mirror_look_only_when_the_first_is_doubtful(vis, leg_vis, mirror):
    """Issue 17: the mirror look (a whole model pass) is taken only when the first look fails
    or sees the measured leg's hip, knee or ankle under MIRROR_LOOK_BELOW_VISIBILITY."""
    from thomas_cv.pipeline.photo import MIRROR_LOOK_BELOW_VISIBILITY, analyze_image
    from thomas_cv.core.landmarks import Landmarks, PoseLandmark as P

    assert 0.9 < 0.95 < MIRROR_LOOK_BELOW_VISIBILITY < 0.99
    lm = make_landmarks(thigh=-7.0, knee=72.0, visibility=vis)
    seen = analyze_image(np.zeros((960, 1280, 3), np.uint8), FakeEstimator(lm), with_overlay=False)
    side = seen.measurement.side
    v = lm.visibility.copy()
    v[[getattr(P, f"{side.upper()}_{j}") for j in ("KNEE",)]] = leg_vis
    lm = Landmarks(xy=lm.xy, visibility=v, image_size=lm.image_size)
    calls = []

    class Counting(FakeEstimator):
        def estimate(self, image_rgb, timestamp_ms=None):
            calls.append(image_rgb)
            return super().estimate(image_rgb, timestamp_ms)

    rgb = np.random.default_rng(0).integers(0, 255, (960, 1280, 3), dtype=np.uint8)
    res = analyze_image(rgb, Counting(lm), with_overlay=False)
    assert res.ok
    mirrored = [c for c in calls if np.array_equal(c, rgb[:, ::-1])]
    assert bool(mirrored) == mirror
    assert (res.to_dict()["flip_delta_thigh_deg"] is not None) == mirror

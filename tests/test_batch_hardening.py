"""Issue 18: the attacks on batch, files and outputs, each as a test (fake estimator, no
model). Every test here failed (crash, hang, lost or mixed-up data) on main 78d5249."""

from __future__ import annotations

import csv
import io
import os
import signal
import socket
import time
import zipfile
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from make_bad_inputs import DATA, jpeg_many_scans, zip_deep, zip_with_lying_entry
from synthetic_landmarks import FakeEstimator, make_landmarks
from thomas_cv.batch import FAILURES, JOURNAL, RESULTS, run_batch
from thomas_cv.core.errors import (
    ImageTooComplexError,
    InvalidOptionError,
    OutputWriteError,
    ResumeMismatchError,
    UnsafeArchiveError,
)
from thomas_cv.outputs import OUTPUT_MARKER, csv_cell, display_name, overlay_name, remove_tree

factory = partial(FakeEstimator, make_landmarks(thigh=8.0, knee=85.0))


def rows_of(path: Path) -> list[dict]:
    with open(path, encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def photo(path: Path, colour=(120, 120, 120), fmt=None, size=(400, 300)) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(np.full((size[1], size[0], 3), colour, np.uint8)).save(path, format=fmt)
    return path


# ------------------------------------------------------------------ names


@pytest.mark.parametrize("workers", [1, 2])
def test_colliding_names_get_their_own_overlays(tmp_path, workers):
    """p.jpg, p.png, p.tif and a/b.jpg vs a__b.jpg shared one overlay; with 2 workers they
    also shared one temp file. Each row must point at its own photo's overlay."""
    src = tmp_path / "src"
    colours = {"p.jpg": (200, 40, 40), "p.png": (40, 200, 40), "p.tif": (40, 40, 200),
               "a/b.jpg": (200, 200, 40), "a__b.jpg": (40, 200, 200), "P.PNG": (200, 40, 200)}
    for rel, c in colours.items():
        photo(src / rel, c)
    out = tmp_path / "out"
    s = run_batch(src, out, workers=workers, estimator_factory=factory, blur_faces=False)
    assert (s.total, s.measured) == (6, 6)
    rows = {r["file"]: r for r in rows_of(out / RESULTS)}
    overlays = [r["overlay"] for r in rows.values()]
    assert len(set(overlays)) == 6 and len({o.lower() for o in overlays}) == 6
    for rel, c in colours.items():
        img = np.asarray(Image.open(out / rows[rel]["overlay"]).convert("RGB"), float)
        corner = img[:20, :20].reshape(-1, 3).mean(0)  # the photo's own colour (dimmed), away from the drawing
        closest = min(colours, key=lambda k: np.abs(corner / corner.max() - np.array(colours[k]) / max(colours[k])).sum())
        assert closest == rel, (rel, corner)
    leftovers = [p.name for p in (out / "overlays").iterdir() if not p.name.endswith("_overlay.jpg")]
    assert leftovers == []


def test_overlay_names_are_unique_bounded_and_stable():
    rels = ["p.jpg", "p.png", "a/b.jpg", "a__b.jpg", "a_/b.jpg", "a/_b.jpg", "P.jpg", "x" * 300 + ".jpg",
            "y" * 300 + ".jpg", "é" * 200 + ".jpg", "caf\udce9.jpg", "=evil.jpg", "a\nb.jpg"]
    names = [overlay_name(r) for r in rels]
    assert len({n.lower() for n in names}) == len(rels)
    assert all(len(n.encode("utf-8")) <= 255 and "/" not in n and "\n" not in n for n in names)
    assert names == [overlay_name(r) for r in rels]


def test_long_name_is_measured_not_an_internal_error(tmp_path):
    src = tmp_path / "src"
    rel = "n" * 240 + ".png"
    photo(src / rel)
    s = run_batch(src, tmp_path / "out", workers=1, estimator_factory=factory)
    assert (s.measured, s.failed) == (1, 0)
    (row,) = rows_of(tmp_path / "out" / RESULTS)
    assert (tmp_path / "out" / row["overlay"]).is_file()


# ------------------------------------------------------------------ CSV formula injection


def test_formula_cells_are_neutralised_everywhere(tmp_path):
    src = tmp_path / "src"
    for name in ("=1+1.png", "+cmd.png", "-x.png", "@sum.png"):
        photo(src / name)
    (src / "=HYPERLINK.jpg").write_bytes(b"not a photo")
    out = tmp_path / "out"
    run_batch(src, out, workers=1, estimator_factory=factory)
    for table in (out / RESULTS, out / FAILURES):
        for row in rows_of(table):
            for v in row.values():
                assert not (v or "").startswith(("=", "+", "-", "@", "\t", "\r")), (table.name, v)
    files = sorted(r["file"] for r in rows_of(out / RESULTS))
    assert files == ["'+cmd.png", "'-x.png", "'=1+1.png", "'=HYPERLINK.jpg", "'@sum.png"]
    fails = rows_of(out / FAILURES)
    assert fails[0]["file"] == "'=HYPERLINK.jpg" and fails[0]["error"].startswith("'=HYPERLINK.jpg")
    assert csv_cell(-3.5) == -3.5 and csv_cell("\tx") == "'\tx"


def test_measure_csv_output_is_neutralised():
    from thomas_cv.pipeline.photo import Result
    from thomas_cv.cli import _emit
    from thomas_cv.core.errors import UnreadableImageError

    buf = io.StringIO()
    _emit([Result(file="=cmd|' /C calc'!A0.jpg", error=UnreadableImageError("=cmd: bad")).to_dict()], "csv", buf)
    (row,) = list(csv.DictReader(io.StringIO(buf.getvalue())))
    assert row["file"].startswith("'=") and row["error"].startswith("'=")


def test_terminal_escape_codes_in_names_never_reach_the_terminal():
    from thomas_cv.pipeline.photo import Result
    from thomas_cv.cli import format_table
    from thomas_cv.core.errors import UnreadableImageError

    text = format_table(Result(file="\x1b]0;owned\x07\x1b[2J.jpg", error=UnreadableImageError("x")).to_dict())
    assert "\x1b" not in text and "\x07" not in text and "\\x1b" in text
    assert display_name("\x1b[31m.jpg") == "\\x1b[31m.jpg"


# ------------------------------------------------------------------ costly files


def test_progressive_jpeg_with_hundreds_of_scans_is_refused_fast(tmp_path):
    from thomas_cv.media import load_image

    p = tmp_path / "scans.jpg"
    p.write_bytes(jpeg_many_scans((4000, 3000), extra_scans=500))
    assert p.stat().st_size < 100_000
    t0 = time.process_time()
    with pytest.raises(ImageTooComplexError):
        load_image(p)
    assert time.process_time() - t0 < 0.5


def test_big_declared_formats_are_refused_before_decoding():
    """A float TIFF and a 16-bit RGB PNG within the pixel limit took 2.7 and 2.1 GB: now
    refused from their header (memory budget per photo), in milliseconds."""
    import resource

    from thomas_cv.core.errors import ImageTooLargeError
    from thomas_cv.media import load_image

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    for name in ("float_100mp.tif", "rgb_80mp.png"):
        t0 = time.monotonic()
        with pytest.raises(ImageTooLargeError, match="MB of memory"):
            load_image(DATA / "images" / name)
        assert time.monotonic() - t0 < 0.5
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before < 50_000  # KiB


def test_large_16bit_image_is_shrunk_before_conversion(tmp_path):
    """A 16-bit grayscale photo within the budget decodes without the float64 copy of the
    full image (which made a 100 MP file cost 2 GB)."""
    import tracemalloc

    from thomas_cv.media import load_image

    a = (np.arange(6000 * 4000, dtype=np.uint32) % 65536).astype(np.uint16).reshape(4000, 6000)
    p = tmp_path / "g16.png"
    Image.fromarray(a).save(p, compress_level=1)
    del a
    tracemalloc.start()
    img = load_image(p)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert img.rgb.shape == (853, 1280, 3) and img.original_size == (6000, 4000)
    assert peak < 100 * 2**20, peak / 2**20  # numpy side: a float64 copy of the full image is 192 MB


def test_only_allow_listed_formats_are_opened(tmp_path, monkeypatch):
    """An EPS named .jpg never reaches the Ghostscript plug-in; .jfif is a JPEG and is
    measured; .jxl and .dng get a row saying they are not opened."""
    from PIL import EpsImagePlugin

    called = []
    monkeypatch.setattr(EpsImagePlugin, "Ghostscript", lambda *a, **k: called.append(a))
    src = tmp_path / "src"
    src.mkdir()
    (src / "eps.jpg").write_bytes((DATA / "images/eps_named.jpg").read_bytes())
    (src / "photo.jfif").write_bytes((DATA / "images/photo.jfif").read_bytes())
    (src / "raw.dng").write_bytes(b"II*\x00")
    (src / "x.jxl").write_bytes(b"\xff\x0a")
    (src / "notes.txt").write_text("ignored")
    s = run_batch(src, tmp_path / "out", workers=1, estimator_factory=factory)
    rows = {r["file"]: r for r in rows_of(tmp_path / "out" / RESULTS)}
    assert rows["eps.jpg"]["error_code"] == "unreadable_image" and not called
    assert rows["photo.jfif"]["ok"] == "True"
    assert rows["raw.dng"]["error_code"] == rows["x.jxl"]["error_code"] == "unsupported_file"
    assert s.ignored == 1 and s.total == 4


# ------------------------------------------------------------------ time limit


class SlowEstimator(FakeEstimator):
    """Hangs (like a decoder stuck in C) on a photo whose first pixel is pure red."""

    def estimate(self, rgb):
        if tuple(int(v) for v in rgb[0, 0]) == (255, 0, 0):
            time.sleep(3600)
        return super().estimate(rgb)


def slow_factory():
    return SlowEstimator(make_landmarks(thigh=8.0, knee=85.0))


@pytest.mark.parametrize("workers", [1, 2])
def test_a_file_over_the_time_limit_gets_a_timeout_row_and_the_batch_goes_on(tmp_path, workers):
    src = tmp_path / "src"
    for i in range(4):
        photo(src / f"ok{i}.png")
    photo(src / "hang.png", (255, 0, 0))
    t0 = time.monotonic()
    s = run_batch(src, tmp_path / "out", workers=workers, estimator_factory=slow_factory, time_limit=3)
    assert time.monotonic() - t0 < 90
    rows = {r["file"]: r for r in rows_of(tmp_path / "out" / RESULTS)}
    assert rows["hang.png"]["error_code"] == "timeout"
    assert all(rows[f"ok{i}.png"]["ok"] == "True" for i in range(4))
    assert (s.measured, s.failed) == (4, 1)


# ------------------------------------------------------------------ walking and zips


def test_folder_tree_1000_deep_does_not_crash(tmp_path):
    src = tmp_path / "src"
    photo(src / "top.png")
    d = src
    for _ in range(1000):
        d = d / "d"
        os.mkdir(d)
    photo(d / "deep.png")
    try:
        s = run_batch(src, tmp_path / "out", workers=1, estimator_factory=factory)
    finally:
        remove_tree(src / "d")  # (pytest's own clean-up recurses, and fails at this depth)
    rows = {r["file"]: r for r in rows_of(tmp_path / "out" / RESULTS)}
    assert rows["top.png"]["ok"] == "True"
    deep = [k for k in rows if k.endswith("/")]
    assert len(deep) == 1 and rows[deep[0]]["error_code"] == "skipped" and "deep" in rows[deep[0]]["error"]
    assert s.total == 2


def test_deep_zip_does_not_crash_and_leaves_nothing(tmp_path):
    z = tmp_path / "deep.zip"
    z.write_bytes(zip_deep((DATA / "images/no_person.jpg").read_bytes()))
    out = tmp_path / "out"
    s = run_batch(z, out, workers=1, estimator_factory=factory)
    rows = rows_of(out / RESULTS)
    assert s.total == 2 and sorted(r["error_code"] or "ok" for r in rows) == ["ok", "skipped"]
    assert sorted(p.name for p in out.iterdir()) == sorted([".thomas-cv-output", "batch-journal.jsonl", "failures.csv",
                                                            "overlays", "results.csv"])
    # and a second batch into the same --out (after a deep zip, every later batch used to crash)
    s2 = run_batch(z, out, workers=1, resume=True, estimator_factory=factory)
    assert (s2.total, s2.skipped) == (2, 1)  # the skipped entry is looked at again, still one row
    assert len(rows_of(out / RESULTS)) == 2


def test_zip_bomb_hidden_by_a_lying_declared_size_is_refused(tmp_path):
    from thomas_cv.batch import extract_photos

    z = tmp_path / "lying.zip"
    z.write_bytes(zip_with_lying_entry(b""))
    with pytest.raises(UnsafeArchiveError):
        run_batch(z, tmp_path / "out", workers=1, estimator_factory=factory)
    with pytest.raises(UnsafeArchiveError):
        extract_photos(z, tmp_path / "x")
    assert not (tmp_path / "x").exists() or sum(p.stat().st_size for p in (tmp_path / "x").rglob("*") if p.is_file()) == 0


def test_zip_member_whose_real_size_exceeds_its_declared_size_is_stopped(tmp_path):
    """Sizes are counted as the bytes come out: a member that inflates beyond the ratio cap
    is stopped, whatever its header says."""
    from thomas_cv.batch.safezip import read_member

    z = tmp_path / "z.zip"
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("big.jpg", b"\x00" * (4 * 1024 * 1024))
    with zipfile.ZipFile(z) as zf:
        from thomas_cv.core.errors import ImageTooLargeError

        with pytest.raises(ImageTooLargeError, match="zip bomb"):
            read_member(zf, "big.jpg")


def test_extraction_caps_real_bytes(tmp_path):
    from thomas_cv.batch import extract_photos

    z = tmp_path / "z.zip"
    data = np.random.default_rng(0).integers(0, 256, 300_000, dtype=np.uint8).tobytes()  # incompressible
    with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
        for i in range(5):
            zf.writestr(f"p{i}.jpg", data)
    with pytest.raises(UnsafeArchiveError):
        extract_photos(z, tmp_path / "x", total_cap=1_000_000)
    written, skipped = extract_photos(z, tmp_path / "y")
    assert len(written) == 5 and skipped == []


def test_remove_tree_handles_any_depth_and_links(tmp_path):
    top = tmp_path / "t"
    os.mkdir(top)
    fd = os.open(top, os.O_RDONLY)
    for _ in range(1500):  # deeper than PATH_MAX allows to name: built relative to each folder
        os.mkdir("dd", dir_fd=fd)
        nxt = os.open("dd", os.O_RDONLY, dir_fd=fd)
        os.close(fd)
        fd = nxt
    os.close(os.open("f", os.O_WRONLY | os.O_CREAT, dir_fd=fd))
    os.close(fd)
    outside = tmp_path / "keep"
    outside.mkdir()
    (outside / "precious").write_text("x")
    os.symlink(outside, top / "link")
    remove_tree(top)
    assert not top.exists() and (outside / "precious").exists()


def test_symlinked_and_output_folders_get_a_row_and_out_inside_input_is_skipped_on_every_run(tmp_path):
    src = tmp_path / "src"
    for i in range(3):
        photo(src / f"p{i}.png")
    other = tmp_path / "elsewhere"
    photo(other / "x.png")
    os.symlink(other, src / "linked")
    run_batch(src, src / "out1", workers=1, estimator_factory=factory)
    # a second batch of the same folder into another --out inside it: out1's overlays are
    # not patients; and its resume neither
    for resume in (False, True):
        s = run_batch(src, src / "out2", workers=1, estimator_factory=factory, resume=resume)
        rows = {r["file"]: r for r in rows_of(src / "out2" / RESULTS)}
        assert sorted(rows) == ["linked/", "out1/", "p0.png", "p1.png", "p2.png"]
        assert rows["out1/"]["error_code"] == "skipped" and "written by thomas-cv" in rows["out1/"]["error"]
        assert rows["linked/"]["error_code"] == "skipped"
        assert s.measured == 3
    with pytest.raises(InvalidOptionError):
        run_batch(src / "out1", tmp_path / "o3", workers=1, estimator_factory=factory)
    with pytest.raises(InvalidOptionError):
        run_batch(src, src, workers=1, estimator_factory=factory)


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads every folder")
def test_unreadable_subfolder_gets_a_row(tmp_path):
    src = tmp_path / "src"
    photo(src / "ok.png")
    photo(src / "locked" / "x.png")
    os.chmod(src / "locked", 0)
    try:
        run_batch(src, tmp_path / "out", workers=1, estimator_factory=factory)
    finally:
        os.chmod(src / "locked", 0o755)
    rows = {r["file"]: r for r in rows_of(tmp_path / "out" / RESULTS)}
    assert rows["locked/"]["error_code"] == "skipped"


# ------------------------------------------------------------------ resume


def _three(tmp_path):
    src = tmp_path / "src"
    for i in range(3):
        photo(src / f"p{i}.png")
    return src


def test_resume_with_other_options_is_refused_naming_them(tmp_path):
    src, out = _three(tmp_path), tmp_path / "out"
    run_batch(src, out, workers=1, estimator_factory=factory, side="left")
    before = (out / RESULTS).read_bytes()
    with pytest.raises(ResumeMismatchError, match="side: left then, right now"):
        run_batch(src, out, workers=1, estimator_factory=factory, side="right", resume=True)
    with pytest.raises(ResumeMismatchError, match="pain"):
        run_batch(src, out, workers=1, estimator_factory=factory, side="left", pain="knee", resume=True)
    assert (out / RESULTS).read_bytes() == before


@pytest.mark.parametrize("mangle", ["bom_semicolons", "cp1252", "no_header", "cut_row", "deleted"])
def test_resume_survives_what_a_spreadsheet_does_to_results_csv(tmp_path, mangle):
    src, out = _three(tmp_path), tmp_path / "out"
    photo(src / "Müller.png")
    run_batch(src, out, workers=1, estimator_factory=factory)
    res = out / RESULTS
    good = res.read_bytes()
    data = {
        "bom_semicolons": b"\xef\xbb\xbf" + good.replace(b",", b";"),
        "cp1252": good.decode("utf-8").encode("cp1252", "replace"),
        "no_header": good.split(b"\n", 1)[1],
        "cut_row": good[: len(good) - 40],
        "deleted": None,
    }[mangle]
    if data is None:
        res.unlink()
    else:
        res.write_bytes(data)
    s = run_batch(src, out, workers=1, estimator_factory=factory, resume=True)
    assert (s.total, s.measured, s.skipped, s.new_measured) == (4, 4, 4, 0)
    assert res.read_bytes() == good  # restored from the journal


def test_resume_retries_rows_that_failed_for_the_disk_not_the_photo(tmp_path, monkeypatch):
    import errno

    import thomas_cv.outputs as outputs

    src, out = _three(tmp_path), tmp_path / "out"
    real = outputs.write_atomic
    calls = []

    def full_disk(path, data):
        if Path(path).suffix == ".jpg" and len(calls) < 2:
            calls.append(path)
            raise outputs._write_error(Path(path), OSError(errno.ENOSPC, "No space left on device"))
        return real(path, data)

    monkeypatch.setattr(outputs, "write_atomic", full_disk)
    s = run_batch(src, out, workers=1, estimator_factory=factory)
    assert (s.measured, s.failed) == (1, 2)
    fails = rows_of(out / FAILURES)
    assert {f["error_code"] for f in fails} == {"output_not_writable"} and "disk is full" in fails[0]["error"]
    assert "please report" not in fails[0]["error"].lower()
    s = run_batch(src, out, workers=1, estimator_factory=factory, resume=True)
    assert (s.total, s.measured, s.failed, s.new_measured, s.skipped) == (3, 3, 0, 2, 1)
    assert len(rows_of(out / RESULTS)) == 3


def test_summary_states_totals_plainly_and_no_stray_files(tmp_path):
    src, out = _three(tmp_path), tmp_path / "out"
    (src / "bad.jpg").write_bytes(b"\xff\xd8 broken")
    run_batch(src, out, workers=1, estimator_factory=factory)
    j = out / JOURNAL
    lines = j.read_bytes().splitlines(keepends=True)
    j.write_bytes(b"".join(lines[:3]))  # killed after two files
    s = run_batch(src, out, workers=1, estimator_factory=factory, resume=True)
    assert s.text().startswith("4 files in results.csv: 3 measured, 1 failed. This run: 2 new (")
    assert "2 were already done" in s.text()
    assert sorted(p.name for p in out.iterdir()) == [OUTPUT_MARKER, JOURNAL, FAILURES, "overlays", RESULTS]
    assert all(p.name.endswith("_overlay.jpg") for p in (out / "overlays").iterdir())


def test_out_that_is_a_file_is_a_user_error(tmp_path):
    src = _three(tmp_path)
    (tmp_path / "f").write_text("x")
    with pytest.raises(OutputWriteError, match="is a file"):
        run_batch(src, tmp_path / "f", workers=1, estimator_factory=factory)


# ------------------------------------------------------------------ Dask


def test_scheduler_that_never_answers_times_out(monkeypatch):
    pytest.importorskip("dask.distributed")
    import thomas_cv.batch.cluster as D
    from thomas_cv.core.errors import SchedulerUnreachableError

    monkeypatch.setattr(D, "CONNECT_TIMEOUT_S", 2.0)
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(5)  # accepts connections (the kernel does), never says a word
    port = srv.getsockname()[1]
    try:
        t0 = time.monotonic()
        with pytest.raises(SchedulerUnreachableError):
            list(D.run_on_dask(["a.jpg"], {}, f"tcp://127.0.0.1:{port}", 1))
        assert time.monotonic() - t0 < 12
    finally:
        srv.close()


class PoisonEstimator(FakeEstimator):
    """Kills its process on a magenta photo, after a second's work as a real poison file's decode
    takes: a worker killed the instant it starts can catch Dask's nanny mid-restart, and the
    nanny then never brings a worker back (seen under load; the batch's watch then ends it with
    ClusterLostError, tested in test_dask.py)."""

    def estimate(self, rgb):
        if tuple(int(v) for v in rgb[0, 0]) == (255, 0, 255):
            time.sleep(1.0)
            os.kill(os.getpid(), signal.SIGKILL)
        return super().estimate(rgb)


def poison_factory():
    return PoisonEstimator(make_landmarks(thigh=8.0, knee=85.0))


@pytest.mark.slow
def test_dask_poison_file_becomes_a_row_not_the_end_of_the_batch(tmp_path):
    pytest.importorskip("dask.distributed")
    src = tmp_path / "src"
    for i in range(4):
        photo(src / f"ok{i}.png")
    photo(src / "poison.png", (255, 0, 255))
    out = tmp_path / "out"
    s = run_batch(src, out, workers=2, executor="dask", estimator_factory=poison_factory)
    rows = {r["file"]: r for r in rows_of(out / RESULTS)}
    assert rows["poison.png"]["error_code"] == "worker_crashed"
    assert (s.measured, s.failed) == (4, 1)


# ------------------------------------------------------------------ faces of other people


def test_faces_of_other_people_are_blurred_too():
    """A second person (a helper) is found by looking again with the subject hidden, and
    their face is blurred in saved images, not only the measured person's."""
    from thomas_cv.core.landmarks import Landmarks
    from thomas_cv.vision.person import head_box, other_people
    from thomas_cv.vision.privacy import blur_faces

    subject = make_landmarks(size=(1280, 960))
    helper = Landmarks(subject.xy * 0.35 + np.array([830.0, 40.0]), subject.visibility, subject.image_size)
    img = np.full((960, 1280, 3), 120, np.uint8)
    hx0, hy0, hx1, hy1 = head_box(helper)
    yy, xx = np.mgrid[hy0:hy1, hx0:hx1]
    img[hy0:hy1, hx0:hx1] = (((yy // 4 + xx // 4) % 2) * 255)[..., None]  # a sharp "face"
    cx, cy = int(helper.xy[0, 0]), int(helper.xy[0, 1])

    class TwoPeople:
        def estimate(self, rgb):
            # the helper is seen while their head is not hidden; the subject never (hidden first)
            return helper if int(rgb[cy, cx, 0]) in (0, 255) else None

    others = other_people(img, TwoPeople(), subject)
    assert len(others) == 1
    boxes = tuple(head_box(o) for o in others)
    before = img[hy0:hy1, hx0:hx1].astype(float).std()
    only_subject = blur_faces(img, subject)
    both = blur_faces(img, subject, boxes)
    assert only_subject[hy0:hy1, hx0:hx1].astype(float).std() == pytest.approx(before)  # the old behaviour
    assert both[hy0:hy1, hx0:hx1].astype(float).std() < 0.3 * before


# ------------------------------------------------------------------ videos


def test_video_rotation_metadata_is_honoured():
    """A clip stored sideways with rotation metadata (a phone held upright) comes out as
    shown: turned 90 degrees clockwise, the stored bottom-left quadrant now top-left."""
    from make_bad_inputs import QUAD
    from thomas_cv.media import iter_video_frames, open_video

    path = DATA / "videos/rotated_90.mp4"
    cap, info = open_video(path)
    cap.release()
    assert (info.width, info.height) == (240, 320)
    _, _, rgb = next(iter(iter_video_frames(path)))
    h, w = rgb.shape[:2]
    assert (h, w) == (320, 240)
    tl, tr = rgb[h // 4 + 10, w // 4].astype(int), rgb[h // 4 + 10, 3 * w // 4].astype(int)
    assert np.abs(tl - QUAD["bl"]).max() < 40 and np.abs(tr - QUAD["tl"]).max() < 40, (tl, tr)


def test_a_clip_longer_than_the_frame_cap_says_so(monkeypatch):
    import thomas_cv.core.constants as C
    from thomas_cv.pipeline.video import analyze_video

    monkeypatch.setattr(C, "MAX_VIDEO_FRAMES", 6)
    vr = analyze_video(DATA / "videos/no_person_clip.mp4", FakeEstimator(None))
    d = vr.to_dict()
    assert vr.cut and d["frames_cut_at"] == 6
    assert any("Only the first 6 frames" in n for n in d["notes"])
    monkeypatch.undo()
    full = analyze_video(DATA / "videos/no_person_clip.mp4", FakeEstimator(None)).to_dict()
    assert full["frames_cut_at"] is None

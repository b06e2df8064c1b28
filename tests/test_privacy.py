"""Privacy: measuring opens no network connection, exported images carry no metadata,
faces are blurred in saved overlays (by default in batch, on request in measure), and
nothing is written outside --out.
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from make_bad_inputs import DATA, jpeg_with_gps

_SCRIPT = Path(sys.executable).with_name("thomas-cv")
CLI = [str(_SCRIPT)] if _SCRIPT.is_file() else [sys.executable, "-m", "thomas_cv.cli"]
PERSON = DATA / "people/lying.jpg"
needs_person = pytest.mark.skipif(not PERSON.is_file(), reason="corpus made without sample renders")

#: imported by every Python process started with this folder on PYTHONPATH (the CLI and
#: each spawned batch worker): any attempt to reach the network is logged and refused
SITECUSTOMIZE = textwrap.dedent(
    """
    import os, socket
    _LOG = os.environ["NO_NET_LOG"]
    _INET = (socket.AF_INET, socket.AF_INET6)

    def _deny(what):
        with open(_LOG, "a") as fh:
            fh.write(f"{os.getpid()} {what}\\n")
        raise OSError(f"network access blocked by test: {what}")

    _connect, _connect_ex, _sendto = socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto

    def connect(self, addr):
        if self.family in _INET:
            _deny(f"connect {addr!r}")
        return _connect(self, addr)

    def connect_ex(self, addr):
        if self.family in _INET:
            _deny(f"connect_ex {addr!r}")
        return _connect_ex(self, addr)

    def sendto(self, *args):
        if self.family in _INET:
            _deny(f"sendto {args[-1]!r}")
        return _sendto(self, *args)

    socket.socket.connect, socket.socket.connect_ex, socket.socket.sendto = connect, connect_ex, sendto
    socket.getaddrinfo = lambda *a, **k: _deny(f"getaddrinfo {a[:2]!r}")
    socket.gethostbyname = lambda *a, **k: _deny(f"gethostbyname {a!r}")
    socket.create_connection = lambda *a, **k: _deny(f"create_connection {a[:1]!r}")
    """
)


def run(args, cwd, env=None, prefix=(), timeout=180):
    e = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
    e.update(env or {})
    return subprocess.run([*prefix, *CLI, *args], cwd=cwd, env=e, capture_output=True, text=True, timeout=timeout)


def person_with_metadata(path: Path) -> Path:
    """The person photo re-saved with GPS position, camera make/model, an ICC profile and a
    comment naming the patient, as a phone would."""
    path.write_bytes(jpeg_with_gps(Image.open(PERSON)))
    exif = Image.open(path).getexif()
    assert exif.get_ifd(0x8825), "fixture should carry GPS"
    return path


# ------------------------------------------------------------------ no network


@pytest.mark.model
@needs_person
def test_measuring_opens_no_network_connection(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "sitecustomize.py").write_text(SITECUSTOMIZE)
    log = tmp_path / "net.log"
    env = {"PYTHONPATH": str(site), "NO_NET_LOG": str(log)}
    src = tmp_path / "photos"
    src.mkdir()
    for i in range(3):
        shutil.copyfile(PERSON, src / f"p{i}.jpg")
    # the guard works: a deliberate connection attempt is caught and logged
    probe = subprocess.run([sys.executable, "-c", "import socket; socket.create_connection(('192.0.2.1', 80), 1)"],
                           env=dict(os.environ, **env), capture_output=True, text=True)
    assert probe.returncode != 0 and log.read_text().count("create_connection") == 1
    log.unlink()

    m = run(["measure", str(PERSON), "--out", str(tmp_path / "m"), "--format", "json", "--blur-faces"], tmp_path, env)
    assert m.returncode == 0 and json.loads(m.stdout.splitlines()[0])["ok"], m.stderr
    b = run(["batch", str(src), "--out", str(tmp_path / "b"), "--workers", "2"], tmp_path, env)
    assert b.returncode == 0, b.stderr
    v = run(["video", str(DATA / "videos/no_person_clip.mp4"), "--out", str(tmp_path / "v")], tmp_path, env)
    assert v.returncode in (0, 1) and "Traceback" not in v.stderr
    assert not log.exists(), "network access attempted:\n" + log.read_text()


@pytest.mark.model
@needs_person
def test_measuring_works_without_any_network(tmp_path):
    """In a network namespace with no interfaces at all (``unshare -n``)."""
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode:
        pytest.skip("unshare -n is not available here")
    m = run(["measure", str(PERSON), "--format", "json"], tmp_path, prefix=("unshare", "-n"))
    assert m.returncode == 0 and json.loads(m.stdout)["ok"], m.stderr


# ------------------------------------------------------------------ no metadata in exports


def assert_no_metadata(path: Path) -> None:
    raw = path.read_bytes()
    with Image.open(path) as im:
        assert not im.getexif(), f"{path.name}: EXIF present"
        leaked = {k for k in im.info if k in ("exif", "icc_profile", "xmp", "XML:com.adobe.xmp", "comment", "photoshop",
                                               "iptc", "dpi_unit", "Description", "Comment", "parameters")}
        assert not leaked, f"{path.name}: metadata {leaked}"
        if im.format == "PNG":
            assert not any(isinstance(v, str) and len(v) > 0 for k, v in im.info.items() if k not in ("dpi", "gamma", "srgb")), im.info
    for needle in (b"Exif\x00\x00", b"GPS", b"PhoneMaker", b"patient", b"http://ns.adobe.com/xap", b"ICC_PROFILE",
                   b"tEXt", b"iTXt", b"zTXt", b"eXIf"):
        assert needle not in raw, f"{path.name}: contains {needle!r}"


@pytest.mark.model
@needs_person
def test_exported_overlays_carry_no_metadata(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    src = person_with_metadata(photos / "patient.jpg")
    m = run(["measure", str(src), "--out", str(tmp_path / "m"), "--format", "json"], tmp_path)
    assert m.returncode == 0, m.stderr
    overlays = list((tmp_path / "m").glob("*_overlay.*"))  # JPEG by default
    b = run(["batch", str(photos), "--out", str(tmp_path / "b"), "--workers", "1"], tmp_path)
    assert b.returncode == 0, b.stderr
    overlays += list((tmp_path / "b" / "overlays").glob("*"))
    assert len(overlays) == 2
    for p in overlays:
        assert_no_metadata(p)
    # the tables hold no location either
    for table in [tmp_path / "m" / "results.json", tmp_path / "b" / "results.csv"]:
        text = table.read_text(encoding="utf-8")
        assert "GPS" not in text and "PhoneMaker" not in text and "52.0" not in text


def test_save_image_writes_no_metadata(tmp_path):
    from thomas_cv.media import encode_image, save_image

    rgb = np.asarray(Image.open(io.BytesIO(jpeg_with_gps(Image.new("RGB", (320, 240), (90, 120, 150))))))
    for name in ("a.jpg", "a.png"):
        assert_no_metadata(save_image(rgb, tmp_path / name))
    for fmt in ("PNG", "JPEG"):
        p = tmp_path / f"enc.{fmt.lower()}"
        p.write_bytes(encode_image(rgb, fmt))
        assert_no_metadata(p)


# ------------------------------------------------------------------ faces blurred


def head_box(rgb: np.ndarray):
    """The head box the tool blurs, from the real model on the unblurred photo."""
    from thomas_cv.vision.pose import BlazePose
    from thomas_cv.vision.privacy import face_box

    with BlazePose() as est:
        lm = est.estimate(rgb)
    assert lm is not None
    return face_box(lm, rgb.shape[:2])


def sharpness(rgb: np.ndarray, box) -> float:
    import cv2

    x0, y0, x1, y1 = box
    g = cv2.cvtColor(np.ascontiguousarray(rgb[y0:y1, x0:x1]), cv2.COLOR_RGB2GRAY)
    return float(cv2.Laplacian(g, cv2.CV_64F).var())


@pytest.mark.model
@pytest.mark.slow
@needs_person
def test_faces_blurred_by_default_in_batch_and_measure(tmp_path):
    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copyfile(PERSON, photos / "p.jpg")
    runs = {
        "batch_default": (["batch", str(photos), "--out", str(tmp_path / "b1"), "--workers", "1"], tmp_path / "b1/overlays"),
        "batch_sharp": (["batch", str(photos), "--out", str(tmp_path / "b2"), "--workers", "1", "--no-blur-faces"],
                        tmp_path / "b2/overlays"),
        # one default for every saved image (issue 15): on, in measure too
        "measure_blur": (["measure", str(PERSON), "--out", str(tmp_path / "m1")], tmp_path / "m1"),
        "measure_sharp": (["measure", str(PERSON), "--out", str(tmp_path / "m2"), "--no-blur-faces"], tmp_path / "m2"),
    }
    img = {}
    for k, (args, folder) in runs.items():
        proc = run(args, tmp_path)
        assert proc.returncode == 0, proc.stderr
        (p,) = [q for q in folder.iterdir() if q.suffix in (".png", ".jpg")]
        img[k] = np.asarray(Image.open(p).convert("RGB"))
    box = head_box(np.asarray(Image.open(PERSON).convert("RGB")))
    x0, y0, x1, y1 = box
    assert (x1 - x0) * (y1 - y0) > 400, box
    for blurred, sharp in (("batch_default", "batch_sharp"), ("measure_blur", "measure_sharp")):
        a, b = sharpness(img[blurred], box), sharpness(img[sharp], box)
        assert a < 0.25 * b, (blurred, a, b)
        # only the head is touched: the rest of the overlay is the same
        diff = np.abs(img[blurred].astype(int) - img[sharp].astype(int)).max(axis=2) > 40
        diff[y0:y1, x0:x1] = False
        assert diff.mean() < 0.01


# ------------------------------------------------------------------ nothing stored elsewhere


def snapshot(folder: Path) -> set:
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*")}


@pytest.mark.model
@pytest.mark.slow
@needs_person
def test_nothing_written_outside_out(tmp_path):
    """HOME, TMPDIR, XDG folders and the working folder stay empty; the inputs are untouched;
    a zip is unpacked inside --out and removed afterwards."""
    home, tmp, cwd, cache = (tmp_path / n for n in ("home", "tmp", "cwd", "cache"))
    for d in (home, tmp, cwd, cache):
        d.mkdir()
    env = {"HOME": str(home), "TMPDIR": str(tmp), "XDG_CACHE_HOME": str(cache), "XDG_CONFIG_HOME": str(cache),
           "XDG_DATA_HOME": str(cache), "MPLCONFIGDIR": str(cache)}
    photos = tmp_path / "photos"
    photos.mkdir()
    shutil.copyfile(PERSON, photos / "p one.jpg")
    shutil.copyfile(DATA / "images/truncated.jpg", photos / "broken.jpg")
    zpath = tmp_path / "photos.zip"
    import zipfile

    with zipfile.ZipFile(zpath, "w") as zf:
        zf.write(PERSON, "day 1/p.jpg")
    before = snapshot(photos)
    outs = tmp_path / "outs"
    cmds = [
        ["measure", str(photos / "p one.jpg"), "--format", "json"],
        ["measure", str(photos / "p one.jpg"), "--out", str(outs / "m"), "--blur-faces"],
        ["batch", str(photos), "--out", str(outs / "b"), "--workers", "2"],
        ["batch", str(zpath), "--out", str(outs / "z"), "--workers", "1"],
        ["video", str(DATA / "videos/no_person_clip.mp4"), "--out", str(outs / "v")],
    ]
    for args in cmds:
        proc = run(args, cwd, env)
        assert proc.returncode in (0, 1), (args, proc.stderr)
    for d in (home, tmp, cwd, cache):
        # mediapipe imports matplotlib, which caches the list of system fonts on first use:
        # the one file allowed, it holds no image or patient data
        written = {f for f in snapshot(d) if not Path(f).name.startswith("fontlist-") and (d / f).is_file()}
        assert not written, f"{d.name} got {written}"
    assert snapshot(photos) == before
    assert not (outs / "z" / ".unzipped").exists()
    # the batch journal (resume, issue 18) lives in --out beside the results
    assert sorted(p.name for p in (outs / "z").iterdir() if not p.name.startswith(".")) == [
        "batch-journal.jsonl", "failures.csv", "overlays", "results.csv"]

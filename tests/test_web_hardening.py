"""Issue 18, the web page: user-supplied names shown literally (no Markdown, HTML, links),
decoding outside the model's lock with a time limit, zips read in memory, temp folders of
a crashed app removed. (No browser: these are the functions the views call.)"""

from __future__ import annotations

import io
import os
import threading
import time
import zipfile

import numpy as np
import pytest
from PIL import Image

from make_bad_inputs import DATA
from synthetic_landmarks import FakeEstimator, make_landmarks

pytest.importorskip("streamlit")

from thomas_cv.web.common import md, measure_bytes  # noqa: E402

HOSTILE = ["![x](https://attacker.example/p.png).jpg", "<img src=https://attacker.example/x>.jpg",
           "[click](javascript:alert(1)).jpg", "www.attacker.example.jpg", ":red[ALERT] :material/warning:.jpg",
           "$\\frac{1}{2}$.jpg", "a\nb\x1b[2J.jpg", "**bold** _it_ `code` # h.jpg", "&lt;script&gt;.jpg"]


@pytest.mark.parametrize("name", HOSTILE)
def test_user_names_are_shown_literally(name):
    text = md(name)
    # every ASCII punctuation character is escaped (CommonMark: shown as itself), no raw control characters
    i = 0
    while i < len(text):
        c = text[i]
        if c == "\\":
            assert text[i + 1] in __import__("string").punctuation
            i += 2
            continue
        assert c not in __import__("string").punctuation and c.isprintable(), (name, text, c)
        i += 1


class LockSpy:
    """A lock that records whether it was held while the photo was being decoded."""

    def __init__(self):
        self.inner = threading.Lock()
        self.held_by_decode = False
        self.held = False

    def __enter__(self):
        self.inner.acquire()
        self.held = True

    def __exit__(self, *a):
        self.held = False
        self.inner.release()


def test_decode_happens_outside_the_model_lock(monkeypatch):
    import thomas_cv.decoder as D

    lock = LockSpy()
    real = D.decode

    def spy(data, name, time_limit=D.DECODE_TIME_LIMIT_S):
        lock.held_by_decode |= lock.held
        return real(data, name, time_limit)

    monkeypatch.setattr(D, "decode", spy)
    data = (DATA / "images/no_person.jpg").read_bytes()
    res = measure_bytes(data, "x.jpg", FakeEstimator(make_landmarks(size=(640, 480))), lock)
    assert not lock.held_by_decode
    assert res.file == "x.jpg"


def test_a_decode_over_the_time_limit_is_stopped_and_the_next_one_works():
    from thomas_cv.decoder import Decoder
    from thomas_cv.core.errors import FileTimeoutError

    big = io.BytesIO()
    Image.fromarray(np.random.default_rng(0).integers(0, 255, (3000, 4000, 3), dtype=np.uint8)).save(big, "PNG")
    dec = Decoder()
    try:
        t0 = time.monotonic()
        with pytest.raises(FileTimeoutError):
            dec.decode(big.getvalue(), "big.png", time_limit=0.01)
        assert time.monotonic() - t0 < 10
        img = dec.decode((DATA / "images/no_person.jpg").read_bytes(), "ok.jpg", time_limit=60)
        assert img.rgb.shape[2] == 3
    finally:
        dec.close()


def test_zip_upload_is_read_in_memory(tmp_path, monkeypatch):
    import tempfile

    from thomas_cv.web.batch import _batch_inputs

    made = []
    monkeypatch.setattr(tempfile, "mkdtemp", lambda *a, **k: made.append(a) or (_ for _ in ()).throw(AssertionError))

    class Up:
        def __init__(self, name, data):
            self.name, self._d = name, data

        def getvalue(self):
            return self._d

    zbuf = io.BytesIO()
    with zipfile.ZipFile(zbuf, "w") as zf:
        zf.writestr("day/ok.jpg", (DATA / "images/no_person.jpg").read_bytes())
        zf.writestr("../evil.jpg", b"x")
        zf.writestr("d/" * 100 + "deep.jpg", b"x")
    items = _batch_inputs([Up("c.zip", zbuf.getvalue()), Up("lying.zip", (DATA / "zips/lying_size.zip").read_bytes())])
    names = {n: v for n, v in items}
    assert isinstance(names["c.zip/day/ok.jpg"], bytes)
    assert names["c.zip/../evil.jpg"].code == "unsafe_archive"
    assert names["lying.zip"].code == "unsafe_archive"
    assert sum(1 for n in names if "deep.jpg" in n) == 1 and not made


def test_temp_folders_of_a_crashed_app_are_removed(tmp_path):
    from thomas_cv.web.video import remove_stale_temp

    dead = tmp_path / "thomas-cv-999999999-abc"
    (dead / "sub").mkdir(parents=True)
    (dead / "sub" / "patient.mp4").write_bytes(b"x")
    mine = tmp_path / f"thomas-cv-{os.getpid()}-xyz"
    mine.mkdir()
    other = tmp_path / "unrelated"
    other.mkdir()
    assert remove_stale_temp(str(tmp_path)) == 1
    assert not dead.exists() and mine.exists() and other.exists()


def test_pair_is_decoded_outside_the_lock_and_measured(monkeypatch):
    """Side + front photos in the app: both decoded outside the model's lock, then measured."""
    import contextlib

    import thomas_cv.decoder as D
    from thomas_cv.pipeline.photo import Horizon
    from thomas_cv.web.common import measure_pair

    lock = LockSpy()
    real = D.decode
    seen = []

    def spy(data, name, time_limit=D.DECODE_TIME_LIMIT_S):
        lock.held_by_decode |= lock.held
        seen.append(name)
        return real(data, name, time_limit)

    monkeypatch.setattr(D, "decode", spy)

    class St:
        session_state: dict = {}

        @staticmethod
        def spinner(text):
            return contextlib.nullcontext()

    data = (DATA / "images/no_person.jpg").read_bytes()
    est = FakeEstimator(make_landmarks(size=(640, 480)))
    res = measure_pair(St, lambda: (est, lock), data, "side.jpg", data, "front.jpg", None, Horizon("image"), None)
    assert seen == ["side.jpg", "front.jpg"] and not lock.held_by_decode
    assert res.file == "side.jpg" and (res.ok or res.error is not None)


def test_once_measures_once_per_inputs_and_again_when_they_change():
    """The one memo rule of the web views (photo, pair, batch, video, live front): a rerun with
    the same inputs reuses the result; other inputs measure again and replace it."""
    from types import SimpleNamespace

    from thomas_cv.web.common import once

    st = SimpleNamespace(session_state={})
    calls = []

    def measure(tag):
        return lambda: calls.append(tag) or f"result {tag}"

    assert once(st, "_m", ("a", 1), measure("a")) == "result a"
    assert once(st, "_m", ("a", 1), measure("a again")) == "result a"  # a rerun: not measured again
    assert once(st, "_m", ("b", 1), measure("b")) == "result b"
    assert once(st, "_other", ("a", 1), measure("other view")) == "result other view"  # views don't share
    assert calls == ["a", "b", "other view"]

"""The web page's rough edges, with a fake pose model (no model, no browser): table-edge points,
sample picker against upload, batch summaries and failed rows, errors naming the user's file,
HEIC refused before upload."""

from __future__ import annotations

import re

import io
import math
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("streamlit")
from streamlit.testing.v1 import AppTest  # noqa: E402

from synthetic_landmarks import FakeEstimator, make_landmarks  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")


@pytest.fixture()
def fake_model(monkeypatch):
    import thomas_cv.vision.pose as pose

    import streamlit as st

    st.cache_resource.clear()  # the page keeps one model per process: never leave the fake in it
    monkeypatch.setattr(pose, "make_estimator", lambda *a, **k: FakeEstimator(make_landmarks(thigh=-8.0, knee=95.0)))
    yield
    st.cache_resource.clear()


def photo_bytes(w=1280, h=960) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(90, 160, (h, w, 3), dtype=np.uint8)).save(buf, "JPEG")
    return buf.getvalue()


def texts(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [i.value for i in at.info]
    parts += [w.value for w in at.warning] + [e.value for e in at.error]
    return "\n".join(parts)


def app() -> AppTest:
    at = AppTest.from_file(APP, default_timeout=120)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def test_two_points_mode_measures_nothing_until_both_points_are_given(fake_model):
    from thomas_cv.web.common import HORIZON_CHOICES, POINTS_NEEDED

    at = app()
    at.radio(key="horizon_mode").set_value(HORIZON_CHOICES[3]).run()
    at.file_uploader(key="photo_upload").set_value([("mine.jpg", photo_bytes(), "image/jpeg")]).run()
    assert not at.exception, [e.value for e in at.exception]
    assert POINTS_NEEDED in texts(at)
    assert "photo_result" not in at.session_state  # no silent default line
    for k, v in zip(("hx1", "hy1", "hx2", "hy2"), (100.0, 500.0, 1100.0, 500.0 - 1000 * math.tan(math.radians(3)))):
        at.number_input(key=k).set_value(v)
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    d = at.session_state["photo_result"]
    assert d["ok"] and d["horizon_source"] == "points" and abs(d["horizon_deg"] - 3.0) < 0.1


def test_sample_picked_after_an_upload_is_shown_and_said(fake_model):
    from thomas_cv.web.common import sample_photos

    samples = sample_photos()
    if not samples:
        pytest.skip("no bundled samples")
    at = app()
    at.file_uploader(key="photo_upload").set_value([("mine.jpg", photo_bytes(), "image/jpeg")]).run()
    assert at.session_state["photo_result"]["file"] == "mine.jpg"
    at.selectbox(key="photo_sample").set_value(samples[0].name).run()
    assert not at.exception, [e.value for e in at.exception]
    assert at.session_state["photo_result"]["file"] == samples[0].name
    assert "Showing the bundled sample" in texts(at) and "mine\\.jpg" in texts(at)  # named, as literal text


def test_video_error_names_the_users_file_not_a_temporary_one(fake_model):
    at = app()
    at.file_uploader(key="video_upload").set_value([("my clip.mp4", b"not a video at all" * 50, "video/mp4")]).run()
    assert not at.exception, [e.value for e in at.exception]
    errors = re.sub(r"\\(.)", r"\1", " ".join(e.value for e in at.error))  # as rendered: escapes removed
    assert "my clip.mp4" in errors, errors
    assert "thomas-cv-" not in errors and "/tmp" not in errors, errors


def test_batch_summary_counts_only_assessed_photos_and_failed_rows_are_clean(fake_model):
    at = app()
    files = [(f"p{i}.jpg", photo_bytes(), "image/jpeg") for i in range(3)] + [("broken.png", b"", "image/png")]
    at.file_uploader(key="batch_upload").set_value(files).run()
    assert not at.exception, [e.value for e in at.exception]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics.get("TFL / IT band") == "—", metrics  # never "short 0 of 3"
    assert metrics.get("Sartorius") == "—", metrics
    assert any("Not assessed in any of the 3 photos: needs a front view" in c.value for c in at.caption)
    table = at.dataframe[-1].value  # the results table (the summary comes first)
    assert "None" not in table.astype(str).to_string(), table
    assert "broken.png" not in set(table["file"])  # listed under "Not measured" with its reason instead
    assert any("broken" in w.value and "png" in w.value for w in at.warning)  # (escaped Markdown)
    assert list(table.columns)[-1] == "note" and len(table.columns) <= 8  # fits the page


def test_heic_refused_before_upload_unless_supported():
    from thomas_cv.media import HEIF_SUPPORTED
    from thomas_cv.web.common import HEIC_NOTE, IMAGE_TYPES

    assert ("heic" in IMAGE_TYPES) == HEIF_SUPPORTED
    assert ("heif" in IMAGE_TYPES) == HEIF_SUPPORTED
    assert bool(HEIC_NOTE) != HEIF_SUPPORTED


def test_page_icon_is_a_local_file():
    from thomas_cv.web.common import ICON_PATH

    assert ICON_PATH.is_file() and ICON_PATH.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    src = (ROOT / "thomas_cv" / "web" / "app.py").read_text()
    assert "page_icon=str(ICON_PATH)" in src and ":material/" not in src.split("set_page_config")[1].split(")")[0]


def test_photo_guide_is_shown_on_the_page():
    from thomas_cv.web.common import photo_guide

    at = app()
    assert any(e.label == "How to take the photo" for e in at.expander)
    if photo_guide() is not None:
        assert len(at.get("imgs")) >= 1 or at.get("image"), "the guide picture is not shown"

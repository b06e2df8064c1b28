"""One frame pipeline for video and live (thomas_cv.pipeline): the same reference search,
test-position gate, steadiness and finalising; regressions of the live session's drift."""

from __future__ import annotations

import threading

import numpy as np
import pytest

from synthetic_landmarks import FakeEstimator, make_landmarks
from thomas_cv.pipeline.photo import Horizon, Reference, analyze_image
from thomas_cv.core.measure import measure
from thomas_cv.pipeline import frames as F
from thomas_cv.pipeline.live import LiveSession

RGB = np.zeros((480, 640, 3), np.uint8)
RGB[:, :320] = 40  # not mirror-symmetric: the fake model would take a repeat for a mirror image


def _feed(live, n=30, fps=15.0, rgb=RGB):
    for i in range(n):
        live.process(rgb, t=i / fps)


def test_reference_is_kept_once_the_table_edge_is_found(monkeypatch):
    calls = []

    def fake_resolve(rgb, lm, horizon, focal_35mm=None):
        calls.append(1)
        return Reference(2.0, "table_edge") if len(calls) == 3 else Reference(0.0, "image_fallback")

    monkeypatch.setattr(F, "resolve_reference", fake_resolve)
    tr = F.ReferenceTracker(Horizon("auto"))
    lm = make_landmarks()
    refs = [tr.reference(RGB, lm) for _ in range(6)]
    assert [r.source for r in refs] == ["image_fallback", "image_fallback", "table_edge", "table_edge", "table_edge", "table_edge"]
    assert len(calls) == 3  # searched no more once found


def test_regression_auto_reference_gives_up_after_the_same_number_of_frames_with_a_person(monkeypatch):
    """Video counted clip frame indices (every 2nd frame analysed: 8 searches), live counted
    searches (15): both now count frames with a person."""
    calls = []
    monkeypatch.setattr(F, "resolve_reference", lambda *a, **k: calls.append(1) or Reference(0.0, "image_fallback"))
    tr = F.ReferenceTracker(Horizon("auto"))
    for _ in range(F.AUTO_HORIZON_FRAMES + 5):
        F.read_frame(RGB, None, tr)  # nobody in the frame: not a search
    assert calls == [] and tr.fixed is None
    for _ in range(F.AUTO_HORIZON_FRAMES + 5):
        F.read_frame(RGB, make_landmarks(size=(640, 480)), tr)
    assert len(calls) == F.AUTO_HORIZON_FRAMES and tr.fixed.source == "image_fallback"


def test_a_frame_not_in_the_test_position_has_no_reading():
    tr = F.ReferenceTracker(Horizon("image"))
    r = F.read_frame(RGB, make_landmarks(hug=10.0, size=(640, 480)), tr)
    assert not r.ok and r.error == "not_test_position" and "not drawn up" in r.message
    assert F.read_frame(RGB, make_landmarks(size=(640, 480)), tr).ok


def test_is_steady_needs_a_full_window_within_tolerance():
    t = np.arange(20) / 15.0
    assert F.is_steady(t, np.full(20, 5.0), np.full(20, 90.0))
    assert not F.is_steady(t[:10], np.full(10, 5.0), np.full(10, 90.0))  # 0.6 s only
    drift = np.linspace(0, 5, 20)
    assert not F.is_steady(t, 5.0 + drift, np.full(20, 90.0))


def _session(lm, **kw):
    live = LiveSession(estimator_factory=lambda: FakeEstimator(lm))
    live.configure(kw.get("side"), Horizon("image"), kw.get("pain"))
    return live


def test_live_steady_then_capture_finalised_as_a_photo():
    lm = make_landmarks(thigh=-6.0, knee=75.0, size=(640, 480))
    live = _session(lm)
    _feed(live)
    snap = live.snapshot()
    assert snap["ok"] and snap["steady"]
    assert live.frames_seen == 30 and live.frames_measured == 30
    res = live.capture()
    assert res.ok
    # regression (issue #13): the live Capture skipped the calibrated uncertainty, so the same
    # landmarks read 'short' live and 'borderline' as a photo
    photo = analyze_image(RGB, FakeEstimator(lm), horizon=Horizon("image"), flip=False, refine=False)
    assert res.measurement.knee_flexion_uncertainty_deg == pytest.approx(photo.measurement.knee_flexion_uncertainty_deg)
    assert res.measurement.thigh_angle_uncertainty_deg == pytest.approx(photo.measurement.thigh_angle_uncertainty_deg)
    assert {k: f.status for k, f in res.findings.items()} == {k: f.status for k, f in photo.findings.items()}
    assert res.findings["rectus_femoris"].status == "borderline"
    # one skeleton: the captured landmarks give the printed angles
    again = measure(res.landmarks)
    assert again.knee_flexion_deg == pytest.approx(res.measurement.knee_flexion_deg, abs=1e-9)
    live.close()


def test_live_never_steady_outside_the_test_position():
    live = _session(make_landmarks(hug=15.0, size=(640, 480)))
    _feed(live)
    snap = live.snapshot()
    assert not snap["ok"] and not snap["steady"] and "not drawn up" in snap["message"]
    assert live.capture() is None and live.frames_measured == 0


def test_regression_configure_during_a_frame_does_not_mix_references():
    """Issue #13: a race between configure() and _measure(): a reference found for the old
    horizon could be kept for the new one, and old readings counted towards steadiness."""
    lm = make_landmarks(size=(640, 480))
    live = _session(lm)
    _feed(live, n=20)
    assert live.snapshot()["steady"]

    class Reconfiguring(FakeEstimator):
        def estimate(self, rgb, timestamp_ms=None):
            live.configure(None, Horizon("angle", 3.0), None)  # the page changes the option mid-frame
            return super().estimate(rgb)

    live._est = Reconfiguring(lm)
    live.process(RGB, t=2.0)
    snap = live.snapshot()
    assert not snap["ok"] and not snap["steady"]
    assert live.capture() is None  # the steady window of the old settings is gone
    live._est = FakeEstimator(lm)
    _feed(live, n=20)
    assert live.snapshot()["steady"]
    res = live.capture()
    assert res.measurement.horizon_deg == pytest.approx(3.0) and res.measurement.horizon_source == "angle"


def test_live_process_is_thread_safe_with_configure():
    lm = make_landmarks(size=(640, 480))
    live = _session(lm)
    stop = threading.Event()

    def page():
        k = 0
        while not stop.is_set():
            live.configure(None, Horizon("image") if k % 2 else Horizon("angle", 1.0), None)
            k += 1

    th = threading.Thread(target=page)
    th.start()
    try:
        _feed(live, n=40)
    finally:
        stop.set()
        th.join()
    assert live.frames_seen == 40


def test_smoothing_is_each_windows_nanmedian_exactly():
    """The moving median (video series, the live view's steadiness, every frame) is computed
    for all windows at once (issue 17): each value must equal np.nanmedian of its window
    (clipped at the ends, NaN ignored, NaN stays NaN) to the last bit."""
    from thomas_cv.core.series import smooth

    def reference(values, window):
        v = np.asarray(values, float)
        if window <= 1 or v.size == 0:
            return v.copy()
        half, out = window // 2, np.full(v.size, np.nan)
        for i in range(v.size):
            if not np.isnan(v[i]):
                out[i] = np.nanmedian(v[max(0, i - half): i + half + 1])
        return out

    rng = np.random.default_rng(5)
    for trial in range(300):
        n = int(rng.integers(0, 40))
        v = rng.normal(10, 5, n)
        if trial % 3 == 0:
            v = np.round(v)  # ties
        v[rng.random(n) < 0.25] = np.nan
        for window in (1, 2, 3, 5, 7, 9):
            got, want = smooth(v, window), reference(v, window)
            assert np.array_equal(got, want, equal_nan=True), (trial, window, got, want)


@pytest.mark.parametrize("index", [0, 1, 2, 37, 78, 149])
def test_the_held_frame_read_again_is_the_frame_measured(index):
    """The video's overlay frame is read again by grabbing the frames before it (issue 17): it
    must be exactly the frame a full read of every frame gives at that index."""
    from sample_data import samples_dir
    from thomas_cv.media import iter_video_frames
    from thomas_cv.pipeline.video import _frame_at

    clip = samples_dir() / "clip" / "thomas_settle.mp4"
    if not clip.is_file():
        pytest.skip("sample clip not present")
    every = [rgb for idx, _, rgb in iter_video_frames(clip, max_frames=index + 1)]
    assert np.array_equal(_frame_at(clip, index), every[index])

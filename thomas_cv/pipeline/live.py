"""The live camera, without any web code: frames in, annotated frames and a captured result out.

:class:`LiveSession` is shared by a page (reading :meth:`~LiveSession.snapshot`, calling
:meth:`~LiveSession.configure` and :meth:`~LiveSession.capture`) and a frame thread (calling
:meth:`~LiveSession.process`). Every frame goes through the same steps as a video file's
(:mod:`thomas_cv.pipeline.frames`: reference search-then-keep, the test-position gate, the same
steadiness rule) and the capture is finalised as a video's held position is (frames combined as
whole skeletons, calibrated uncertainty, findings, overlay from the same landmarks).
"""

from __future__ import annotations

import threading
import time
from collections import deque
from typing import Callable, Optional

import numpy as np

from .photo import Horizon, Result
from ..core.errors import ThomasCVError
from .frames import (
    STABLE_MIN_S,
    STABLE_TOLERANCE_DEG,
    FrameReading,
    ReferenceTracker,
    finalise_held,
    is_steady,
    read_frame,
)

#: seconds of readings kept (the steadiness window and the capture use the last STABLE_MIN_S)
KEEP_S = 3.0
#: at most this many frames' images kept for the capture's overlay
MAX_FRAMES = 90
#: the steadiness words, on the frame's banner (upper case) and in a page's text alike
STEADY_WORDS = {True: "Steady: press Capture", False: "Hold still"}


def banner_height(shape) -> int:
    """Height (pixels) of the status banner at the bottom of a live frame."""
    return int(44 * max(max(shape[:2]) / 1000.0, 0.6))


class LiveSession:
    """Live measurement shared by a page and a camera's frame thread (see the module doc).

    ``estimator_factory``: makes the pose model in tracking mode, on the frame thread's first
    frame (the model is not thread-safe: one per session). Thread-safe: :meth:`configure` may run
    while a frame is measured; a frame measured under an older configuration is not counted.
    """

    def __init__(self, estimator_factory: Optional[Callable] = None):
        self.window_s = STABLE_MIN_S
        self.tolerance_deg = STABLE_TOLERANCE_DEG
        self._factory = estimator_factory
        self._est = None
        self.lock = threading.Lock()
        self.side: Optional[str] = None
        self.horizon = Horizon.parse("auto")
        self.pain: Optional[str] = None
        self._generation = 0  # bumped by every change of configuration
        self._tracker = ReferenceTracker(self.horizon)
        self._readings: deque = deque()  # (t, FrameReading, rgb) of consecutive readings
        self._latest: Optional[dict] = None
        self._steady_pick: Optional[tuple] = None  # (readings, rgb, side, pain) of the last steady window
        self.frames_seen = 0  # frames given to process()
        self.frames_measured = 0  # ... with a reading in the test position
        self.frame_size: Optional[tuple[int, int]] = None  # (width, height) the camera delivers

    # ------------------------------------------------------------------ page side
    def configure(self, side, horizon: Horizon, pain) -> None:
        """New options from the page. A new side or reference starts the readings afresh (old
        readings were measured differently); pain only changes the findings."""
        with self.lock:
            if (side, horizon) != (self.side, self.horizon):
                self._generation += 1
                self._tracker = ReferenceTracker(horizon)
                self._readings.clear()
                self._steady_pick = None
            self.side, self.horizon, self.pain = side, horizon, pain

    def snapshot(self) -> Optional[dict]:
        with self.lock:
            return dict(self._latest) if self._latest else None

    def capture(self) -> Optional[Result]:
        """The last steady position as a full result, finalised as a video's held position
        (None if never steady; an error result if it is not the test position)."""
        with self.lock:
            pick, pain = self._steady_pick, self.pain
        if pick is None:
            return None
        readings, rgb, side = pick
        try:
            return finalise_held(readings, rgb, file="live-capture", side=side, pain=pain)
        except ThomasCVError as exc:
            return Result(file="live-capture", error=exc)

    def close(self) -> None:
        if self._est is not None:
            self._est.close()
            self._est = None

    # ------------------------------------------------------------------ frame side
    def _estimator(self):
        if self._est is None:
            if self._factory is not None:
                self._est = self._factory()
            else:
                from ..vision.pose import make_estimator

                self._est = make_estimator(static=False)
        return self._est

    def process(self, rgb: np.ndarray, t: Optional[float] = None) -> np.ndarray:
        """Measure one frame; return it annotated (overlay, angles, steadiness)."""
        from ..vision.overlay import draw_overlay

        t = time.monotonic() if t is None else t
        with self.lock:  # one consistent configuration for the whole frame
            side, generation, tracker = self.side, self._generation, self._tracker
        try:
            reading = read_frame(rgb, self._estimator().estimate(rgb, timestamp_ms=int(t * 1000)), tracker, side)
        except Exception as exc:  # noqa: BLE001 - the stream must go on whatever one frame does
            reading = FrameReading(error="internal_error", message=f"Frame not measured ({type(exc).__name__}).")
        m = reading.measurement
        steady = False
        with self.lock:
            self.frames_seen += 1
            self.frame_size = (int(rgb.shape[1]), int(rgb.shape[0]))
            if generation != self._generation:  # configured anew meanwhile: not counted
                m = None
                reading = FrameReading(error="reconfigured", message="Settings changed: measuring afresh.")
            if m is None:
                self._readings.clear()
                self._latest = {"t": t, "ok": False, "message": reading.message, "steady": False}
            else:
                self.frames_measured += 1
                self._readings.append((t, reading, rgb))
                while self._readings and self._readings[0][0] < t - KEEP_S:
                    self._readings.popleft()
                while len(self._readings) > MAX_FRAMES:
                    self._readings.popleft()
                rs = list(self._readings)
                steady = is_steady([x[0] for x in rs], [x[1].measurement.thigh_angle_deg for x in rs],
                                   [x[1].measurement.knee_flexion_deg for x in rs], self.tolerance_deg, self.window_s)
                if steady:
                    self._steady_pick = self._pick(rs, t, side)
                self._latest = {
                    "t": t,
                    "ok": True,
                    "thigh_angle_deg": float(m.thigh_angle_deg),
                    "knee_flexion_deg": float(m.knee_flexion_deg),
                    "confidence": float(m.confidence),
                    "side": m.side,
                    "steady": steady,
                    "message": None,
                }
            self._latest["frame_size"] = self.frame_size
        out = draw_overlay(rgb, m, None, message=reading.message if m is None else None,
                           landmarks=reading.landmarks, banner_px=banner_height(rgb.shape) if m is not None else 0)
        return self._banner(out, steady if m is not None else None)

    def _pick(self, rs: list, t: float, side) -> tuple:
        """The steady window's readings, and the image of the frame closest to their median
        angles for the overlay (as the video does)."""
        window = [x for x in rs if x[0] >= t - self.window_s]
        ms = [x[1].measurement for x in window]
        med_t = float(np.median([m.thigh_angle_deg for m in ms]))
        med_k = float(np.median([m.knee_flexion_deg for m in ms]))
        best = min(window, key=lambda x: abs(x[1].measurement.thigh_angle_deg - med_t)
                   + abs(x[1].measurement.knee_flexion_deg - med_k))
        return [x[1] for x in window], best[2], side

    @staticmethod
    def _banner(img: np.ndarray, steady: Optional[bool]) -> np.ndarray:
        import cv2

        if steady is None:
            return img
        h, w = img.shape[:2]
        s = max(h, w) / 1000.0
        text = STEADY_WORDS[steady].upper()  # the same words as the page's text
        colour = (40, 170, 60) if steady else (230, 140, 0)
        bh = banner_height(img.shape)
        cv2.rectangle(img, (0, h - bh), (w, h), colour, -1)
        cv2.putText(img, text, (int(12 * max(s, 0.6)), h - int(bh * 0.3)), cv2.FONT_HERSHEY_SIMPLEX,
                    0.9 * max(s, 0.6), (255, 255, 255), max(1, int(2 * s)), cv2.LINE_AA)
        return img


__all__ = ["LiveSession", "STEADY_WORDS", "banner_height"]

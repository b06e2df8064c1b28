"""Frames of one camera view, one way for the video file and the live camera (no Streamlit).

- :class:`ReferenceTracker`: the horizontal reference, searched for in the first frames and
  kept once found (the camera stands still);
- :func:`read_frame`: one frame's reading, or why there is none; a frame that is not the test
  position (:mod:`thomas_cv.core.validity`) gives no reading, so it is never the held position;
- :func:`smoothing_window` and :func:`is_steady`: when the leg holds still, by the same
  rules as the video's stable stretch (:mod:`thomas_cv.core.series`);
- :func:`finalise_held`: the frames of a held position combined as whole skeletons
  (:mod:`thomas_cv.core.fusion`) and finalised as a photo is (:func:`thomas_cv.pipeline.photo.finalise`).
"""

from __future__ import annotations

import dataclasses
import threading
from dataclasses import dataclass
from typing import Optional, Sequence

import numpy as np

from .photo import Horizon, Reference, Result, finalise, measure_with_reference, resolve_reference
from ..core.errors import NotTestPositionError, ThomasCVError
from ..core.fusion import fuse_looks
from ..core.landmarks import Landmarks
from ..core.measure import Measurement
from ..core.series import smooth
from ..core.validity import test_position

#: smoothing window in seconds, stable-stretch tolerance (deg) and minimum duration (s)
SMOOTH_S = 0.2
STABLE_TOLERANCE_DEG = 2.0
STABLE_MIN_S = 1.0
#: with --horizon auto, the table edge is looked for in this many frames with a person (then
#: the image axis is used): the camera stands still, the first frames show the table as well
AUTO_HORIZON_FRAMES = 15


class ReferenceTracker:
    """The horizontal reference of a fixed camera: ``auto`` searches the table edge in the
    first :data:`AUTO_HORIZON_FRAMES` frames with a person and keeps it once found; after that
    many frames without, the image axis (``image_fallback``). Other kinds are fixed at once.
    Thread-safe."""

    def __init__(self, horizon: Horizon = Horizon(), focal_35mm: Optional[float] = None,
                 tries: int = AUTO_HORIZON_FRAMES):
        self.horizon, self.focal_35mm, self.max_tries = horizon, focal_35mm, tries
        self._fixed: Optional[Reference] = None
        self._tries = 0
        self._lock = threading.Lock()

    @property
    def fixed(self) -> Optional[Reference]:
        with self._lock:
            return self._fixed

    def reference(self, rgb: np.ndarray, lm: Landmarks) -> Reference:
        """The reference for this frame (searching, while not yet fixed)."""
        with self._lock:
            if self._fixed is not None:
                return self._fixed
        found = resolve_reference(rgb, lm, self.horizon, focal_35mm=self.focal_35mm)
        with self._lock:
            if self._fixed is not None:  # another thread fixed it meanwhile
                return self._fixed
            self._tries += 1
            if self.horizon.kind != "auto" or found.source == "table_edge":
                self._fixed = found
            elif self._tries >= self.max_tries:
                self._fixed = Reference(0.0, "image_fallback")
        return found


@dataclass(frozen=True, eq=False)
class FrameReading:
    """One frame: the ``measurement`` in the test position (None if none) with the ``landmarks``
    and ``reference`` it came from, or the ``error`` code and ``message`` saying why not."""

    measurement: Optional[Measurement] = None
    landmarks: Optional[Landmarks] = None
    reference: Optional[Reference] = None
    error: Optional[str] = None
    message: Optional[str] = None

    @property
    def ok(self) -> bool:
        return self.measurement is not None


def read_frame(rgb: np.ndarray, lm: Optional[Landmarks], tracker: ReferenceTracker,
               side: Optional[str] = None) -> FrameReading:
    """Measure one frame's landmarks (None: nobody found) against the tracked reference; a
    frame not in the test position has no reading."""
    if lm is None:
        return FrameReading(error="no_person_found", message="No person found: show the whole body from the side.")
    try:
        ref = tracker.reference(rgb, lm)
        m = measure_with_reference(lm, side=side, ref=ref)
    except ThomasCVError as exc:
        return FrameReading(landmarks=lm, error=exc.code, message=str(exc))
    verdict = test_position(m)
    if not verdict.is_test_position:
        return FrameReading(landmarks=lm, reference=ref, error=NotTestPositionError.code, message=verdict.refusal)
    return FrameReading(m, lm, ref)


def smoothing_window(fps: float) -> int:
    """Samples (odd) in :data:`SMOOTH_S` seconds at ``fps`` readings a second.

    >>> smoothing_window(15.0), smoothing_window(30.0), smoothing_window(2.0)
    (3, 7, 1)
    """
    return max(1, int(round(SMOOTH_S * fps)) | 1)


def is_steady(times: Sequence[float], thigh: Sequence[float], knee: Sequence[float],
              tolerance_deg: float = STABLE_TOLERANCE_DEG, window_s: float = STABLE_MIN_S) -> bool:
    """True when the readings of the last ``window_s`` seconds (consecutive, none missing),
    median-smoothed as the video's, all lie within ``tolerance_deg`` for both angles: the
    online twin of :func:`thomas_cv.core.series.longest_stable_stretch`."""
    t = np.asarray(times, float)
    if t.size < 3 or t[-1] - t[0] < window_s:
        return False  # not yet a full window of readings
    span = t[-1] - t[0]
    fps = (t.size - 1) / span if span > 0 else 0.0
    win = smoothing_window(fps)
    sel = t >= t[-1] - window_s
    for series in (thigh, knee):
        sm = smooth(series, win)[sel]
        if np.any(np.isnan(sm)) or float(np.ptp(sm)) > tolerance_deg:
            return False
    return True


def finalise_held(readings: Sequence[FrameReading], rgb: np.ndarray, *, file: str, side: Optional[str] = None,
                  pain: Optional[str] = None) -> Result:
    """The frames of a held position as one :class:`Result`: their landmarks combined as whole
    skeletons, measured once against the last frame's reference, gated, with the calibrated
    uncertainty (a single camera's reading) and the overlay on ``rgb`` drawn from exactly the
    combined landmarks. Raises :class:`NotTestPositionError` if the combined reading is not the
    test position."""
    used = [r for r in readings if r.ok]
    if not used:
        raise NotTestPositionError(f"{file}: no frame shows the test position.")
    ref = used[-1].reference
    fusion = fuse_looks([r.landmarks for r in used], lambda x: measure_with_reference(x, side=side, ref=ref))
    m = dataclasses.replace(fusion.measurement, flip_delta_thigh_deg=None, flip_delta_knee_deg=None)
    return finalise(rgb, m, file=file, pain=pain, landmarks=fusion.landmarks)


__all__ = [
    "AUTO_HORIZON_FRAMES",
    "SMOOTH_S",
    "STABLE_MIN_S",
    "STABLE_TOLERANCE_DEG",
    "FrameReading",
    "ReferenceTracker",
    "finalise_held",
    "is_steady",
    "read_frame",
    "smoothing_window",
]

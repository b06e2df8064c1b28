"""A clip in, a per-frame series and one result at the test position out.

Frames are tracked with BlazePose in video mode; each frame is measured (frames that are not
the test position give no reading); the series is smoothed; the longest stable stretch of the
hanging leg is taken as the test position, its frames combined as whole skeletons and finalised
as a photo is (thomas_cv.pipeline.frames, shared with the live camera).
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Callable, Optional, Union

import numpy as np

from ..core import constants as C
from .photo import Horizon, Result
from ..core.errors import NotTestPositionError, UnreadableVideoError
from ..core.landmarks import PoseEstimator
from ..media import iter_video_frames, open_video
from .frames import (
    AUTO_HORIZON_FRAMES,
    SMOOTH_S,
    STABLE_MIN_S,
    STABLE_TOLERANCE_DEG,
    FrameReading,
    ReferenceTracker,
    finalise_held,
    read_frame,
    smoothing_window,
)
from ..core.series import Stretch, longest_stable_stretch, smooth

SERIES_KEYS = ("thigh_angle_deg", "knee_flexion_deg", "hip_extension_to_trunk_deg", "hugged_hip_flexion_deg")
#: (smoothing window, stable-stretch tolerance and minimum duration, and the frames searched for
#: the table edge: thomas_cv.pipeline.frames, shared with the live camera)
#: frames are analysed at about this rate (a 30 fps clip: every 2nd frame); the leg settles
#: over seconds, so 15 readings a second resolve the stable stretch and halve the work
ANALYSIS_FPS = 15.0


@dataclass(frozen=True)
class VideoResult:
    """The test-position ``result``, the stable ``stretch`` and per-frame ``frames`` rows."""

    result: Result
    stretch: Optional[Stretch]
    fps: float
    fps_assumed: bool
    frames: list = field(default_factory=list)
    frames_total: int = 0  # frames in the clip (rows cover every ``step``-th of them)
    step: int = 1
    #: the clip is longer than ``constants.MAX_VIDEO_FRAMES``: only its start was read
    cut: bool = False

    def to_dict(self) -> dict:
        d = self.result.to_dict()
        d["stable_stretch"] = self.stretch.to_dict() if self.stretch else None
        d["fps"] = round(self.fps, 3)
        d["fps_assumed"] = self.fps_assumed
        d["frames_measured"] = sum(1 for r in self.frames if r["ok"])
        d["frames_analysed"] = len(self.frames)
        d["frames_total"] = self.frames_total
        d["analysis_step"] = self.step
        d["frames_cut_at"] = C.MAX_VIDEO_FRAMES if self.cut else None
        if self.cut:
            d["notes"] = list(d.get("notes") or []) + [
                f"Only the first {C.MAX_VIDEO_FRAMES} frames ({C.MAX_VIDEO_FRAMES / self.fps:.0f} s) of this clip "
                "were read; trim the clip to the test to measure all of it."]
        return d


def analyze_video(
    path: Union[str, os.PathLike],
    estimator: PoseEstimator,
    *,
    side: Optional[str] = None,
    horizon: Horizon = Horizon(),
    pain: Optional[str] = None,
    progress: Optional[Callable[[int, int], None]] = None,
) -> VideoResult:
    """Measure every frame of a clip; raises :class:`UnreadableVideoError` if unreadable."""
    cap, info = open_video(path)
    cap.release()
    name = os.fspath(path)
    rows: list[dict] = []
    readings: list[FrameReading] = []
    step = max(1, int(round(info.fps / ANALYSIS_FPS)))
    tracker = ReferenceTracker(horizon)
    for idx, t, rgb in iter_video_frames(path, step=step, max_frames=C.MAX_VIDEO_FRAMES):
        row = {"frame": idx, "time_s": round(t, 4), "ok": False, "error": None}
        r = read_frame(rgb, estimator.estimate(rgb, timestamp_ms=int(round(t * 1000))), tracker, side)
        if r.ok:
            row["ok"] = True
            row.update({k: getattr(r.measurement, k) for k in SERIES_KEYS})
            row["confidence"] = r.measurement.confidence
        else:
            row["error"] = r.error
        readings.append(r)
        rows.append(row)
        if progress is not None:
            progress(min(idx + step, info.frame_count or idx + step), info.frame_count)
    total = max(info.frame_count, rows[-1]["frame"] + 1 if rows else 0)
    cut = total > C.MAX_VIDEO_FRAMES or bool(rows and rows[-1]["frame"] + step >= C.MAX_VIDEO_FRAMES)
    times = np.array([r["time_s"] for r in rows])
    win = smoothing_window(info.fps / step)
    smoothed = {k: smooth([r.get(k, np.nan) if r["ok"] else np.nan for r in rows], win) for k in SERIES_KEYS}
    for i, r in enumerate(rows):
        for k in SERIES_KEYS:
            r[f"{k}_smoothed"] = None if np.isnan(smoothed[k][i]) else round(float(smoothed[k][i]), 2)
    stretch = longest_stable_stretch(
        times, [smoothed["thigh_angle_deg"], smoothed["knee_flexion_deg"]], STABLE_TOLERANCE_DEG, STABLE_MIN_S
    )
    if stretch is None:
        err = NotTestPositionError(
            f"{os.path.basename(name)}: the leg never held still for {STABLE_MIN_S:.0f} s "
            f"(both angles within {STABLE_TOLERANCE_DEG:.0f} deg): hold the test position steady for a few seconds."
        )
        if not any(r["ok"] for r in rows):
            err = NotTestPositionError(
                f"{os.path.basename(name)}: no frame shows a person in the test position. "
                "Film from the side with the whole body on the table in view."
            )
        return VideoResult(Result(file=name, error=err), None, info.fps, info.fps_assumed, rows, total, step, cut)
    sel = list(range(stretch.start, stretch.end + 1))
    # the overlay shows the frame closest to the held position's median angles
    med = {k: float(np.median([rows[i][k] for i in sel])) for k in ("thigh_angle_deg", "knee_flexion_deg")}
    mid = min(sel, key=lambda i: sum(abs(rows[i][k] - v) for k, v in med.items()))
    try:
        result = finalise_held([readings[i] for i in sel], _frame_at(path, rows[mid]["frame"]), file=name,
                               side=side, pain=pain)
    except NotTestPositionError as exc:
        return VideoResult(Result(file=name, error=exc), None, info.fps, info.fps_assumed, rows, total, step, cut)
    # report the stretch in the clip's own frame numbers (rows are every step-th frame)
    stretch = dataclasses.replace(stretch, start=rows[stretch.start]["frame"], end=rows[stretch.end]["frame"])
    return VideoResult(result, stretch, info.fps, info.fps_assumed, rows, total, step, cut)


def _frame_at(path, index: int) -> np.ndarray:
    """Read one frame again (frames are not kept in memory while measuring): the frames before
    it are only grabbed (decoded, never converted, scaled or copied: issue 17, converting and
    scaling every frame up to the held one again was a large share of a clip's CPU time), so it
    is the very frame the measuring pass saw."""
    for idx, _, rgb in iter_video_frames(path, step=max(1, index), max_frames=index + 1):
        if idx == index:
            return rgb
    raise UnreadableVideoError(f"{os.path.basename(os.fspath(path))}: frame {index} could not be read again.")


__all__ = ["AUTO_HORIZON_FRAMES", "SMOOTH_S", "STABLE_MIN_S", "STABLE_TOLERANCE_DEG", "VideoResult", "analyze_video",
           "UnreadableVideoError"]

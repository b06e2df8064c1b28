"""A clip in, a per-frame series and one result at the test position out.

Frames are tracked with BlazePose in video mode; each frame is measured; the series is
smoothed; the longest stable stretch of the hanging leg is taken as the test position and
reported as the median over it.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from typing import Callable, Optional, Union

import numpy as np

from .analyze import Horizon, Reference, Result, measure_with_reference, resolve_reference
from .errors import NotTestPositionError, ThomasCVError, UnreadableVideoError
from .interpret import interpret
from .landmarks import PoseEstimator
from .measure import fuse, with_calibrated_uncertainty
from .media import iter_video_frames, open_video
from .overlay import draw_overlay
from .series import Stretch, longest_stable_stretch, smooth

SERIES_KEYS = ("thigh_angle_deg", "knee_flexion_deg", "hip_extension_to_trunk_deg", "hugged_hip_flexion_deg")
#: smoothing window in seconds, stable-stretch tolerance (deg) and minimum duration (s)
SMOOTH_S = 0.2
STABLE_TOLERANCE_DEG = 2.0
STABLE_MIN_S = 1.0
#: frames are analysed at about this rate (a 30 fps clip: every 2nd frame); the leg settles
#: over seconds, so 15 readings a second resolve the stable stretch and halve the work
ANALYSIS_FPS = 15.0
#: with --horizon auto, the table edge is looked for in the first frames only (fixed camera)
AUTO_HORIZON_FRAMES = 15


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

    def to_dict(self) -> dict:
        d = self.result.to_dict()
        d["stable_stretch"] = self.stretch.to_dict() if self.stretch else None
        d["fps"] = round(self.fps, 3)
        d["fps_assumed"] = self.fps_assumed
        d["frames_measured"] = sum(1 for r in self.frames if r["ok"])
        d["frames_analysed"] = len(self.frames)
        d["frames_total"] = self.frames_total
        d["analysis_step"] = self.step
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
    measurements = []
    step = max(1, int(round(info.fps / ANALYSIS_FPS)))
    ref: Optional[Reference] = None
    for idx, t, rgb in iter_video_frames(path, step=step):
        row = {"frame": idx, "time_s": round(t, 4), "ok": False, "error": None}
        lm = estimator.estimate(rgb)
        m = None
        if lm is None:
            row["error"] = "no_person_found"
        else:
            try:
                if ref is None:
                    if horizon.kind == "auto" and idx >= AUTO_HORIZON_FRAMES:
                        ref = Reference(0.0, "image_fallback")  # no table edge in the first frames
                    else:
                        found = resolve_reference(rgb, lm, horizon)
                        if horizon.kind != "auto" or found.source == "table_edge":
                            ref = found  # found once: the camera is fixed
                m = measure_with_reference(lm, side=side, ref=ref or found)
                row["ok"] = True
                row.update({k: getattr(m, k) for k in SERIES_KEYS})
                row["confidence"] = m.confidence
            except ThomasCVError as exc:
                row["error"] = exc.code
        measurements.append(m)
        rows.append(row)
        if progress is not None:
            progress(min(idx + step, info.frame_count or idx + step), info.frame_count)
    total = max(info.frame_count, rows[-1]["frame"] + 1 if rows else 0)
    times = np.array([r["time_s"] for r in rows])
    win = max(1, int(round(SMOOTH_S * info.fps / step)) | 1)
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
        return VideoResult(Result(file=name, error=err), None, info.fps, info.fps_assumed, rows, total, step)
    sel = range(stretch.start, stretch.end + 1)
    m = fuse([measurements[i] for i in sel])
    # the overlay shows the frame closest to the fused values
    mid = min(sel, key=lambda i: abs(rows[i]["thigh_angle_deg"] - m.thigh_angle_deg) + abs(rows[i]["knee_flexion_deg"] - m.knee_flexion_deg))
    m = dataclasses.replace(m, points=measurements[mid].points, flags=measurements[mid].flags)
    m = with_calibrated_uncertainty(m)
    findings, notes = interpret(m, pain=pain)
    overlay = draw_overlay(_frame_at(path, rows[mid]["frame"]), m, findings)
    result = Result(file=name, measurement=m, findings=findings, notes=tuple(notes), overlay=overlay)
    # report the stretch in the clip's own frame numbers (rows are every step-th frame)
    stretch = dataclasses.replace(stretch, start=rows[stretch.start]["frame"], end=rows[stretch.end]["frame"])
    return VideoResult(result, stretch, info.fps, info.fps_assumed, rows, total, step)


def _frame_at(path, index: int) -> np.ndarray:
    """Read one frame again (frames are not kept in memory while measuring)."""
    for idx, _, rgb in iter_video_frames(path):
        if idx == index:
            return rgb
    raise UnreadableVideoError(f"{os.path.basename(os.fspath(path))}: frame {index} could not be read again.")


__all__ = ["VideoResult", "analyze_video", "UnreadableVideoError"]

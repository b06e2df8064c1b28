"""Landmarks built forward from chosen angles (analytic ground truth for pure tests).

The construction is independent of ``thomas_cv.core.measure``: it places joints with
trigonometry from the angle definitions in docs/thomas_test.md; measure must recover them.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from thomas_cv.core.landmarks import NUM_LANDMARKS, Landmarks, PoseLandmark as P


def _rot_screen_ccw(p, deg, c):
    a = math.radians(deg)
    x, y = p[0] - c[0], p[1] - c[1]
    return np.array([c[0] + x * math.cos(a) + y * math.sin(a), c[1] - x * math.sin(a) + y * math.cos(a)])


def make_landmarks(
    thigh: float = 10.0,
    knee: float = 90.0,
    hug: float = 120.0,
    head: str = "left",
    roll: float = 0.0,
    trunk_tilt: float = 0.0,
    thigh_len: float = 200.0,
    shank_len: float = 190.0,
    trunk_len: float = 260.0,
    size=(1280, 960),
    visibility: float = 0.95,
    tested_label: Optional[str] = None,
    swap_legs: bool = False,
    swap_ankles: bool = False,
    hip_sep: float = 6.0,
) -> Landmarks:
    """A supine person in the test position, seen from the side.

    thigh: thigh angle below horizontal (deg, + knee below hip); knee: knee flexion (deg);
    hug: flexion of the hugged hip relative to the trunk line (deg); head: image side of the
    head; roll: the camera roll, as the horizon angle a level line makes on screen (deg, CCW+);
    trunk_tilt: shoulders raised above the hips (deg).
    """
    w, h = size
    hip = np.array([w * 0.55, h * 0.5])  # the tested hip
    hip_h = hip - [0.0, hip_sep]  # the hugged hip, a little apart
    hip_c = (hip + hip_h) / 2
    t = math.radians(trunk_tilt)
    sh = hip_c - trunk_len * np.array([math.cos(t), math.sin(t)])  # shoulders to the left, raised by tilt
    d = (hip_c - sh) / np.linalg.norm(hip_c - sh)
    def rot(v, deg):  # screen-clockwise by deg (towards +y for a rightward vector)
        a = math.radians(deg)
        return np.array([v[0] * math.cos(a) - v[1] * math.sin(a), v[0] * math.sin(a) + v[1] * math.cos(a)])
    th = math.radians(thigh)
    k_t = hip + thigh_len * np.array([math.cos(th), math.sin(th)])
    a_t = k_t + shank_len * rot(np.array([math.cos(th), math.sin(th)]), knee)
    k_h = hip_h + thigh_len * rot(d, -hug)
    a_h = k_h + shank_len * rot(rot(d, -hug), 130.0)
    near = "right" if head == "left" else "left"
    tested = tested_label or near
    hugged = "left" if tested == "right" else "right"
    xy = np.tile(hip, (NUM_LANDMARKS, 1)).astype(float)
    xy[: 11] = sh - d * 60 + np.array([0, -10])  # face points beyond the shoulders
    pts = {
        f"{tested}_hip": hip,
        f"{hugged}_hip": hip_h,
        f"{tested}_knee": k_t,
        f"{hugged}_knee": k_h,
        f"{tested}_ankle": a_t,
        f"{hugged}_ankle": a_h,
        "left_shoulder": sh + [0, 3],
        "right_shoulder": sh - [0, 3],
        "left_elbow": sh + d * 40, "right_elbow": sh + d * 40,
        "left_wrist": k_h, "right_wrist": k_h,
    }
    joints = ("hip", "knee", "ankle") if swap_legs else ("ankle",) if swap_ankles else ()
    for j in joints:  # BlazePose's left/right labels swapped
        pts[f"{tested}_{j}"], pts[f"{hugged}_{j}"] = pts[f"{hugged}_{j}"], pts[f"{tested}_{j}"]
    for name, p in pts.items():
        xy[P[name.upper()]] = p
    xy[P.LEFT_HEEL] = xy[P.LEFT_ANKLE]
    xy[P.RIGHT_HEEL] = xy[P.RIGHT_ANKLE]
    xy[P.LEFT_FOOT_INDEX] = xy[P.LEFT_ANKLE] + [10, 0]
    xy[P.RIGHT_FOOT_INDEX] = xy[P.RIGHT_ANKLE] + [10, 0]
    c = np.array([w / 2, h / 2])
    if head == "right":
        xy[:, 0] = w - xy[:, 0]
    xy = np.array([_rot_screen_ccw(p, roll, c) for p in xy])
    return Landmarks(xy=xy, visibility=np.full(NUM_LANDMARKS, visibility), image_size=(w, h))


@dataclass
class FakeEstimator:
    """A PoseEstimator returning fixed landmarks (scaled to the image it is given)."""

    landmarks: Optional[Landmarks]
    _seen: list = field(default_factory=list)

    def estimate(self, image_rgb, timestamp_ms=None):
        """The fixed landmarks, scaled to the image; mirrored (x flipped, left/right labels
        swapped, as a real model would see it) when shown the mirror of a recent image."""
        if self.landmarks is None:
            return None
        h, w = image_rgb.shape[:2]
        lm = self.landmarks.scaled(w / self.landmarks.image_size[0])
        mirrored = any(s.shape == image_rgb.shape and np.array_equal(s[:, ::-1], image_rgb) for s in self._seen)
        if mirrored:
            from thomas_cv.vision.person import MIRROR

            xy = lm.xy.copy()
            xy[:, 0] = w - xy[:, 0]
            lm = Landmarks(xy=xy[MIRROR], visibility=lm.visibility[MIRROR], image_size=lm.image_size)
            self._seen.clear()  # the next image is a new look
        else:
            self._seen = (self._seen + [image_rgb])[-3:]
        return lm

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

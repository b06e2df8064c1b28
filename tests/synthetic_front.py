"""Front-view landmarks built forward from chosen 3-D angles (analytic ground truth).

Independent of ``thomas_cv.core.front``: joints are placed in 3-D with trigonometry from the
definitions (docs/thomas_test.md, issue 14) and projected by a pinhole camera placed at the foot end of
the table or above the hanging thigh, as a phone would see them.

World frame (metres), as in tools/synth: X along the table, + towards the head; Y up; Z across
the table, + = the person's LEFT. The table top is at Y = 0, its foot end at X = 0.
"""

from __future__ import annotations

import math
from typing import Optional

import numpy as np

from thomas_cv.core.landmarks import NUM_LANDMARKS, Landmarks, PoseLandmark as P


def leg_vectors(abduction: float, shank_dev: float, thigh: float = 10.0, knee: float = 90.0, side: str = "right"):
    """Unit thigh (hip->knee) and shank (knee->ankle) directions of the hanging leg.

    thigh: angle of the thigh's projection on the sagittal (X-Y) plane below the horizontal;
    abduction: thigh out of the sagittal plane, + = knee away from the midline;
    knee: knee flexion seen in the sagittal projection; shank_dev: shank seen from the foot end
    (Y-Z plane) against straight down, + = foot swung outwards.
    """
    lat = 1.0 if side == "left" else -1.0
    a, th = math.radians(abduction), math.radians(thigh)
    t = np.array([-math.cos(a) * math.cos(th), -math.cos(a) * math.sin(th), lat * math.sin(a)])
    # sagittal projection of the shank: the thigh's projection turned down by `knee`
    phi = math.radians(thigh + knee)  # angle below the horizontal, towards the feet (-X) first
    sx, sy = -math.cos(phi), -math.sin(phi)
    sz = lat * math.tan(math.radians(shank_dev)) * (-sy)
    s = np.array([sx, sy, sz])
    return t, s / np.linalg.norm(s)


def body_joints(abduction=0.0, shank_dev=0.0, thigh=10.0, knee=90.0, side="right", thigh_len=0.43,
                shank_len=0.43, hip_width=0.18, shoulder_width=0.36, trunk_len=0.5):
    """3-D joints (name -> xyz) of a person in the Thomas test position."""
    lat = 1.0 if side == "left" else -1.0
    other = "left" if side == "right" else "right"
    hip_y, hip_x = 0.10, 0.05
    J = {
        f"{side}_hip": np.array([hip_x, hip_y, lat * hip_width / 2]),
        f"{other}_hip": np.array([hip_x, hip_y, -lat * hip_width / 2]),
        f"{side}_shoulder": np.array([hip_x + trunk_len, 0.12, lat * shoulder_width / 2]),
        f"{other}_shoulder": np.array([hip_x + trunk_len, 0.12, -lat * shoulder_width / 2]),
    }
    t, s = leg_vectors(abduction, shank_dev, thigh, knee, side)
    J[f"{side}_knee"] = J[f"{side}_hip"] + thigh_len * t
    J[f"{side}_ankle"] = J[f"{side}_knee"] + shank_len * s
    J[f"{other}_knee"] = J[f"{other}_hip"] + np.array([0.2, 0.38, -lat * 0.02])
    J[f"{other}_ankle"] = J[f"{other}_knee"] + np.array([-0.28, -0.28, 0.0])
    for sd in ("left", "right"):
        J[f"{sd}_heel"] = J[f"{sd}_ankle"] + np.array([0.04, -0.05, 0.0])
        J[f"{sd}_foot_index"] = J[f"{sd}_ankle"] + np.array([-0.13, -0.06, 0.0])
        J[f"{sd}_elbow"] = J[f"{sd}_shoulder"] + np.array([-0.15, 0.25, 0.0])
        J[f"{sd}_wrist"] = J[f"{other}_knee"] + np.array([0.0, 0.03, 0.0])
    J["nose"] = np.array([hip_x + trunk_len + 0.2, 0.2, 0.0])
    return J


def camera_pose(place: str, target, elevation: float, yaw: float = 0.0, distance: float = 1.6):
    """Camera centre and (right, down, forward) axes looking at ``target``.

    place only documents the intent; the camera lies towards the foot end (-X), raised by
    ``elevation`` deg above the target (about 0-15 at the foot end, 50-90 above the thigh),
    turned by ``yaw`` deg about the vertical.
    """
    e, y = math.radians(elevation), math.radians(yaw)
    horiz = np.array([-math.cos(y), 0.0, math.sin(y)])
    dirv = math.cos(e) * horiz + np.array([0.0, math.sin(e), 0.0])
    pos = np.asarray(target, float) + distance * dirv
    fwd = -dirv
    up = np.array([0.0, 1.0, 0.0]) if elevation < 89.9 else np.array([1.0, 0.0, 0.0])
    right = np.cross(fwd, up)
    right /= np.linalg.norm(right)
    down = np.cross(fwd, right)
    return pos, right, down, fwd


def project(points: dict, pos, right, down, fwd, f_px: float, size=(1280, 960), roll: float = 0.0):
    w, h = size
    out = {}
    r = math.radians(roll)
    for k, p in points.items():
        d = np.asarray(p, float) - pos
        z = d @ fwd
        x, y = f_px * (d @ right) / z, f_px * (d @ down) / z
        xr, yr = x * math.cos(r) - y * math.sin(r), x * math.sin(r) + y * math.cos(r)
        out[k] = np.array([w / 2 + xr, h / 2 + yr])
    return out


def front_landmarks(place: str = "foot_end", abduction: float = 0.0, shank_dev: float = 0.0, *, thigh: float = 10.0,
                    knee: float = 90.0, side: str = "right", elevation: Optional[float] = None, yaw: float = 0.0,
                    roll: float = 0.0, distance: Optional[float] = None, f_px: float = 1100.0, size=(1280, 960),
                    swap_labels: bool = False, visibility: float = 0.9, **body) -> Landmarks:
    """Landmarks of a Thomas test seen from the foot end or from above the hanging thigh."""
    J = body_joints(abduction, shank_dev, thigh, knee, side, **body)
    if elevation is None:
        elevation = 5.0 if place == "foot_end" else 70.0
    if distance is None:
        distance = 1.6 if place == "foot_end" else 1.3
    knee_pt = J[f"{side}_knee"]
    target = np.array([knee_pt[0], 0.0, knee_pt[2]])
    cam = camera_pose(place, target, elevation, yaw, distance)
    px = project(J, *cam, f_px=f_px, size=size, roll=roll)
    if swap_labels:
        px = {(k.replace("left", "R_").replace("right", "left").replace("R_", "right")): v for k, v in px.items()}
    xy = np.tile(px["nose"], (NUM_LANDMARKS, 1)).astype(float)
    for k, v in px.items():
        xy[P[k.upper()]] = v
    return Landmarks(xy=xy, visibility=np.full(NUM_LANDMARKS, visibility), image_size=size)

"""Plane geometry for the Thomas test: pure numpy, no image or model code.

Coordinate frame used throughout: image pixels, origin top-left, x to the right,
**y downwards**. All angles are in degrees.

Canonical orientation: every formula assumes the person's head lies towards the
image's *left* (-x) and the legs towards the right (+x), with the image levelled so
that the horizontal reference is the x axis. :func:`to_canonical` brings any image's
points into that frame (rotate by the horizon, then mirror if the head is on the
right), so each angle formula exists exactly once.
"""

from __future__ import annotations

import numpy as np

__all__ = [
    "as_points",
    "level_rotation",
    "to_canonical",
    "segment_angle_below_horizontal",
    "inner_angle",
    "signed_angle",
    "knee_flexion",
    "horizon_from_points",
    "rotate_points",
]


def as_points(points) -> np.ndarray:
    """Return ``points`` as a float array of shape (..., 2).

    >>> as_points([1, 2]).shape
    (2,)
    """
    arr = np.asarray(points, dtype=float)
    if arr.shape[-1] != 2:
        raise ValueError(f"expected 2-D points, got shape {arr.shape}")
    return arr


def rotate_points(points, angle_deg: float, centre=(0.0, 0.0)) -> np.ndarray:
    """Rotate image points by ``angle_deg`` counter-clockwise *on screen* about ``centre``.

    On screen (y down) a counter-clockwise turn moves a point right of the centre upwards.

    >>> np.round(rotate_points([10.0, 0.0], 90.0), 6).tolist()
    [0.0, -10.0]
    """
    p = as_points(points) - np.asarray(centre, dtype=float)
    a = np.radians(angle_deg)
    c, s = np.cos(a), np.sin(a)
    # screen-CCW = math-CCW in a y-up frame; with y down: x' = x c + y s, y' = -x s + y c
    x, y = p[..., 0], p[..., 1]
    out = np.stack([x * c + y * s, -x * s + y * c], axis=-1)
    return out + np.asarray(centre, dtype=float)


def level_rotation(points, horizon_deg: float, centre=(0.0, 0.0)) -> np.ndarray:
    """Rotate points so that a line at ``horizon_deg`` (screen-CCW from the x axis) becomes horizontal.

    ``horizon_deg`` is the angle a truly level line makes with the image's x axis,
    counter-clockwise on screen positive.

    >>> # a level line that rises 5 deg to the right on screen becomes the x axis
    >>> p = rotate_points([100.0, 0.0], 5.0)
    >>> np.round(level_rotation(p, 5.0), 6).tolist() == [100.0, 0.0]
    True
    """
    return rotate_points(points, -horizon_deg, centre)


def to_canonical(points, horizon_deg: float = 0.0, head_right: bool = False) -> np.ndarray:
    """Level the points by the horizon, then mirror x if the head lies to the image's right.

    The result is in the canonical frame (head to the left, horizontal reference = x axis,
    y down). Mirroring is about x = 0, which leaves every angle formula here unchanged
    in meaning.

    >>> to_canonical([[10.0, 5.0]], 0.0, head_right=True).tolist()
    [[-10.0, 5.0]]
    """
    p = level_rotation(points, horizon_deg)
    if head_right:
        p = p * np.array([-1.0, 1.0])
    return p


def segment_angle_below_horizontal(start, end) -> float:
    """Angle of the segment start->end against the x axis, in the canonical frame.

    Degrees, **positive when ``end`` lies below ``start``** (greater y), 0 = parallel to
    the horizontal reference, in (-90, 90] for a segment pointing rightwards (+x). For
    a segment pointing leftwards the angle is measured against the -x direction, so the
    same value describes the same tilt whichever way the limb points.

    >>> segment_angle_below_horizontal([0, 0], [10, 0])
    0.0
    >>> round(segment_angle_below_horizontal([0, 0], [10, 10]), 6)
    45.0
    >>> round(segment_angle_below_horizontal([0, 0], [10, -1.7632698]), 4)
    -10.0
    """
    s, e = as_points(start), as_points(end)
    d = e - s
    if not np.any(d):
        raise ValueError("segment has zero length")
    return float(np.degrees(np.arctan2(d[1], abs(d[0]))))


def inner_angle(a, vertex, b) -> float:
    """Unsigned inner angle a-vertex-b in degrees, 0..180.

    >>> round(inner_angle([1, 0], [0, 0], [0, 1]), 6)
    90.0
    >>> round(inner_angle([1, 0], [0, 0], [-1, 0]), 6)
    180.0
    """
    a, v, b = as_points(a), as_points(vertex), as_points(b)
    u, w = a - v, b - v
    nu, nw = np.linalg.norm(u), np.linalg.norm(w)
    if nu == 0 or nw == 0:
        raise ValueError("inner angle needs two segments of non-zero length")
    # atan2 of cross and dot: exact near 0 and 180 deg, where arccos of the cosine loses
    # every digit (hypothesis found a 1.2e-6 deg angle read as 0 after scaling)
    cross = abs(float(u[0] * w[1] - u[1] * w[0])) / (nu * nw)
    dot = float(np.dot(u, w)) / (nu * nw)
    return float(np.degrees(np.arctan2(cross, dot)))


def knee_flexion(hip, knee, ankle) -> float:
    """Knee flexion in degrees: 180 minus the inner angle hip-knee-ankle. 0 = straight leg.

    >>> round(knee_flexion([0, 0], [10, 0], [10, 10]), 6)
    90.0
    >>> knee_flexion([0, 0], [10, 0], [20, 0])
    0.0
    """
    return 180.0 - inner_angle(hip, knee, ankle)


def signed_angle(from_vec, to_vec) -> float:
    """Signed angle from ``from_vec`` to ``to_vec`` in the y-down image frame, in (-180, 180].

    Positive when ``to_vec`` is turned clockwise on screen from ``from_vec`` (for a
    vector pointing right, that is: turned downwards).

    >>> signed_angle([1, 0], [0, 1])
    90.0
    >>> signed_angle([1, 0], [0, -1])
    -90.0
    """
    u, w = as_points(from_vec), as_points(to_vec)
    if not np.any(u) or not np.any(w):
        raise ValueError("signed angle needs two non-zero vectors")
    cross = u[0] * w[1] - u[1] * w[0]
    dot = u[0] * w[0] + u[1] * w[1]
    ang = float(np.degrees(np.arctan2(cross, dot)))
    return 180.0 if ang == -180.0 else ang


def horizon_from_points(p1, p2) -> float:
    """Horizon angle from two points on a level line (e.g. the table edge).

    Returns the angle in degrees, counter-clockwise on screen positive, that the line
    makes with the image x axis, folded into [-90, 90) so the order of the points does
    not matter.

    >>> horizon_from_points([0, 100], [100, 100])
    0.0
    >>> round(horizon_from_points([0, 100], [100, 90]), 4)   # rises to the right
    5.7106
    >>> round(horizon_from_points([100, 90], [0, 100]), 4)
    5.7106
    """
    a, b = as_points(p1), as_points(p2)
    d = b - a
    if not np.any(d):
        raise ValueError("the two horizon points are the same point")
    ang = float(np.degrees(np.arctan2(-d[1], d[0])))
    ang = (ang + 90.0) % 180.0 - 90.0
    return ang

"""Perspective of the body plane from the table's parallel edges: pure numpy, no image code.

A photo taken at an angle to the body (camera yaw) makes the table's long, level edges
converge towards a vanishing point. Its direction, with the camera's focal length, gives

- how far the camera is turned from square to the body (:func:`view_yaw_deg`), and
- a homography (:func:`body_plane_rectification`) that re-projects the image as seen by a
  camera looking square at the sagittal plane, with that plane's horizontal along the x axis.
  Angles measured on rectified points are the angles in the body plane, free of the
  foreshortening and tilt that yaw and camera height add to a plain 2D measurement.

Camera model: pinhole, principal point at the image centre, square pixels, focal length
``f_px`` in pixels. Image coordinates are pixels, origin top-left, y down. A direction in the
camera frame is (x right, y down, z forward); the homogeneous image point ``(u, v, w)`` in
*normalised* coordinates ``((x - cx) / f, (y - cy) / f, 1)`` is the direction itself.
"""

from __future__ import annotations

from typing import Optional

import numpy as np

__all__ = [
    "focal_px_from_35mm",
    "normalised_lines",
    "fit_vanishing_direction",
    "view_yaw_deg",
    "pitch_from_vertical",
    "body_plane_rectification",
    "apply_homography",
]

#: diagonal of the 35 mm film frame (36 x 24 mm), the reference of "35 mm equivalent" focal lengths
FILM_DIAGONAL_MM = float(np.hypot(36.0, 24.0))


def focal_px_from_35mm(f35_mm: float, width: int, height: int) -> float:
    """Focal length in pixels of an image ``width`` x ``height`` from its 35 mm-equivalent
    focal length (EXIF FocalLengthIn35mmFilm), by the diagonal.

    >>> round(focal_px_from_35mm(43.27, 1280, 960))
    1600
    """
    return float(f35_mm) / FILM_DIAGONAL_MM * float(np.hypot(width, height))


def normalised_lines(segments, f_px: float, centre) -> np.ndarray:
    """Homogeneous lines (N, 3) through segments (N, 4: x1, y1, x2, y2 pixels), in normalised
    camera coordinates, scaled so that the first two components have unit length.

    >>> np.round(normalised_lines([[0, 10, 100, 10]], 10.0, (0, 0)), 3).tolist()
    [[0.0, 1.0, -1.0]]
    """
    s = np.atleast_2d(np.asarray(segments, float))
    c = np.asarray(centre, float)
    p1 = np.c_[(s[:, :2] - c) / f_px, np.ones(len(s))]
    p2 = np.c_[(s[:, 2:] - c) / f_px, np.ones(len(s))]
    lines = np.cross(p1, p2)
    n = np.linalg.norm(lines[:, :2], axis=1, keepdims=True)
    return lines / np.where(n > 0, n, 1.0)


def _angular_residual(v: np.ndarray, segments: np.ndarray, f_px: float, centre) -> np.ndarray:
    """Angle (radians) between each segment and the direction from its midpoint to each
    vanishing point ``v`` ((M, 3) normalised homogeneous, possibly at infinity): (M, N)."""
    c = np.asarray(centre, float)
    v = np.atleast_2d(v)
    mid = ((segments[:, :2] + segments[:, 2:]) / 2 - c) / f_px
    towards = v[:, None, :2] - mid[None, :, :] * v[:, None, 2:3]
    d = segments[:, 2:] - segments[:, :2]
    cross = np.abs(towards[..., 0] * d[:, 1] - towards[..., 1] * d[:, 0])
    norm = np.linalg.norm(towards, axis=2) * np.linalg.norm(d, axis=1)
    return np.arcsin(np.clip(cross / (norm + 1e-12), 0, 1))


def fit_vanishing_direction(
    segments, f_px: float, centre, *, inlier_deg: float = 0.25, trials: int = 300, seed: int = 0,
    anchor=None, anchor_deg: float = 1.0,
) -> Optional[tuple[np.ndarray, np.ndarray]]:
    """The common vanishing direction of (most of) ``segments``, robustly.

    RANSAC over pairs, scored by the total length of segments pointing at the candidate
    within ``inlier_deg``; then a length-weighted least-squares fit on the inliers. With an
    ``anchor`` segment (x1, y1, x2, y2) roughly known to belong to the family, only candidates
    it points at within ``anchor_deg`` are kept (it is not fitted). Returns
    ``(d, inliers)``: ``d`` the unit 3D direction in the camera frame (x right, y down, z
    forward; sign chosen with ``d[0] >= 0``), ``inliers`` a boolean mask. None with fewer
    than two segments.

    Three segments on lines through the point (1000, 0) of an image centred at (0, 0) with
    f = 1000 px: the direction is 45 degrees out of the image plane.

    >>> segs = [[0, 100, 500, 50], [0, -100, 500, -50], [0, 300, 500, 150]]
    >>> d, inl = fit_vanishing_direction(segs, 1000.0, (0, 0))
    >>> (np.round(d, 3) + 0.0).tolist(), inl.tolist()
    ([0.707, 0.0, 0.707], [True, True, True])
    """
    s = np.atleast_2d(np.asarray(segments, float))
    if len(s) < 2:
        return None
    lengths = np.hypot(s[:, 2] - s[:, 0], s[:, 3] - s[:, 1])
    lines = normalised_lines(s, f_px, centre)
    rng = np.random.default_rng(seed)
    tol = np.radians(inlier_deg)
    pairs = [(i, j) for i in range(len(s)) for j in range(i + 1, len(s))]
    if len(pairs) > trials:
        pairs = [tuple(rng.choice(len(s), 2, replace=False)) for _ in range(trials)]
    i, j = np.array(pairs).T
    hyps = np.cross(lines[i], lines[j])  # every candidate vanishing point at once
    norms = np.linalg.norm(hyps, axis=1)
    hyps = hyps[norms >= 1e-12] / norms[norms >= 1e-12, None]
    if len(hyps) == 0:
        return None
    inliers = _angular_residual(hyps, s, f_px, centre) < tol  # (candidates, segments)
    score = inliers.astype(float) @ lengths
    if anchor is not None:
        a = np.asarray(anchor, float).reshape(1, 4)
        score[_angular_residual(hyps, a, f_px, centre)[:, 0] >= np.radians(anchor_deg)] = -1.0
    k = int(np.argmax(score))
    best = inliers[k] if score[k] >= 0 else None
    if best is None or best.sum() < 2:
        return None
    # least squares: the direction most nearly on every inlier line, weighted by length
    _, _, vt = np.linalg.svd(lines[best] * lengths[best, None])
    d = vt[-1] / np.linalg.norm(vt[-1])
    if d[0] < 0:
        d = -d
    return d, best


def view_yaw_deg(direction) -> float:
    """How far (degrees, 0..90, unsigned) the camera is turned from square to a horizontal
    direction in the scene: the angle between ``direction`` and the image plane.

    >>> view_yaw_deg([1, 0, 0]), round(view_yaw_deg([np.cos(0.35), 0, np.sin(0.35)]), 2)
    (0.0, 20.05)
    """
    d = np.asarray(direction, float)
    d = d / np.linalg.norm(d)
    return float(np.degrees(np.arcsin(min(1.0, abs(d[2])))))


def pitch_from_vertical(vertical) -> float:
    """How far the camera looks down (degrees; + = down, 0 = level, - = up) from the 3D
    direction of the scene's vertical in the camera frame (x right, y down, z forward), e.g.
    the vanishing direction of a table's legs. Looking down by p, the world's down direction
    is (0, cos p, sin p) in the camera frame.

    >>> round(pitch_from_vertical([0, np.cos(0.3), np.sin(0.3)]), 2), round(pitch_from_vertical([0, -1, 0]), 2)
    (17.19, 0.0)
    """
    d = np.asarray(vertical, float)
    d = d / np.linalg.norm(d)
    if d[1] < 0:
        d = -d
    return float(np.degrees(np.arcsin(np.clip(d[2], -1.0, 1.0)))) + 0.0  # no -0.0


def body_plane_rectification(direction, f_px: float, centre, vertical=None) -> np.ndarray:
    """3x3 homography from image pixels to the pixels of a virtual camera at the same place,
    turned to look square at the vertical plane that contains the horizontal ``direction``
    (the body's long axis), with that direction along +x and the vertical along +y (down).

    The vertical is ``vertical`` (a 3D direction, e.g. from the vanishing point of the table's
    legs) when given, else the camera's own image-down axis; either is made perpendicular to
    ``direction``. Without a measured vertical the camera's pitch is unknown: a camera 2 m away
    looking down by p degrees then errs by up to about 0.06 p deg on the thigh angle and
    0.5 p deg on the knee flexion (tests/test_perspective.py). A direction in the image plane (a square
    view) and no vertical give a pure in-plane rotation.

    >>> H = body_plane_rectification([np.cos(0.1), -np.sin(0.1), 0], 1000.0, (0, 0))
    >>> np.round(apply_homography(H, [[100 * np.cos(0.1), -100 * np.sin(0.1)]]), 6).tolist()
    [[100.0, 0.0]]
    """
    d = np.asarray(direction, float)
    r1 = d / np.linalg.norm(d)
    if r1[0] < 0:
        r1 = -r1
    down = np.array([0.0, 1.0, 0.0]) if vertical is None else np.asarray(vertical, float)
    if down[1] < 0:
        down = -down
    r2 = down - (down @ r1) * r1
    r2 /= np.linalg.norm(r2)
    r3 = np.cross(r1, r2)
    R = np.vstack([r1, r2, r3])
    cx, cy = (float(c) for c in centre)
    K = np.array([[f_px, 0, cx], [0, f_px, cy], [0, 0, 1.0]])
    return K @ R @ np.linalg.inv(K)


def apply_homography(H, points) -> np.ndarray:
    """Map (N, 2) pixel points through the 3x3 homography ``H``.

    >>> apply_homography(np.diag([2.0, 2.0, 1.0]), [[1, 2]]).tolist()
    [[2.0, 4.0]]
    """
    p = np.atleast_2d(np.asarray(points, float))
    q = np.c_[p, np.ones(len(p))] @ np.asarray(H, float).T
    return q[:, :2] / q[:, 2:3]

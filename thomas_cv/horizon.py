"""Find the true horizontal in a photo: the treatment table's long edge under the person.

The table top is level and runs along the person's sagittal plane, the plane the angles are
measured in, so its near edge is the best level line a Thomas-test photo offers. It is found
as the dominant straight edge in a band just below the trunk (shoulders to hips), roughly
along the trunk. Image processing with OpenCV; the geometry is in :mod:`thomas_cv.geometry`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import cv2
import numpy as np

from .geometry import horizon_from_points
from .landmarks import Landmarks, PoseLandmark

#: search limits (project choices, tuned on the synthetic benchmark)
MAX_EDGE_TILT_DEG = 12.0        # a table edge further off the image axis is not trusted
MAX_EDGE_TO_TRUNK_DEG = 20.0    # ... nor one far off the trunk's direction
BAND_BELOW_TRUNK = 0.9          # search depth below the trunk line, in trunk lengths
MIN_SUPPORT = 0.6               # total edge length needed, in trunk lengths
CLUSTER_DEG = 1.5               # segments within this angle belong to one edge
MAX_EDGE_DENSITY = 0.12
CANNY_LOW, CANNY_HIGH = 20, 60
HOUGH_MAX_BAND_PX = 480         # wider search bands are halved before edge detection         # fraction of edge pixels in the band above which it is texture


@dataclass(frozen=True)
class TableEdge:
    """A level line found in the image: its angle (deg, screen-CCW positive, the
    ``horizon_deg`` convention), two points on it (pixels) and a 0-1 ``support``."""

    horizon_deg: float
    p1: tuple[float, float]
    p2: tuple[float, float]
    support: float


def _edges(image_rgb: np.ndarray) -> np.ndarray:
    """Canny edges of each colour channel, combined: a table edge may differ from what lies
    below it more in hue than in brightness."""
    blurred = cv2.GaussianBlur(image_rgb, (5, 5), 0)
    out = None
    for c in range(3):
        ch = blurred[:, :, c]
        e = cv2.Canny(ch, CANNY_LOW, CANNY_HIGH)
        out = e if out is None else cv2.bitwise_or(out, e)
    return out


def find_table_edge(image_rgb: np.ndarray, lm: Landmarks) -> Optional[TableEdge]:
    """The table's long edge below the trunk, or None when no edge is found with confidence."""
    P = PoseLandmark
    sh = (lm.point(P.LEFT_SHOULDER) + lm.point(P.RIGHT_SHOULDER)) / 2
    hp = (lm.point(P.LEFT_HIP) + lm.point(P.RIGHT_HIP)) / 2
    trunk = hp - sh
    tlen = float(np.hypot(*trunk))
    if tlen < 20:
        return None
    trunk_deg = horizon_from_points(sh, hp)
    h, w = image_rgb.shape[:2]
    # search band: below the trunk line (image-down), spanning the trunk's x range widened
    x0, x1 = sorted((sh[0], hp[0]))
    pad = 0.6 * tlen
    y_top = min(sh[1], hp[1]) - 0.1 * tlen
    y_bot = max(sh[1], hp[1]) + BAND_BELOW_TRUNK * tlen
    bx0, by0 = int(max(0, x0 - pad)), int(max(0, y_top))
    bx1, by1 = int(min(w, x1 + pad)), int(min(h, y_bot))
    if bx1 - bx0 < 8 or by1 - by0 < 8:
        return None
    # edges only inside the search band (the rest of the picture is never looked at); a wide
    # band is shrunk first: long straight edges survive, and the search is several times cheaper
    band_rgb = image_rgb[by0:by1, bx0:bx1]
    f = min(1.0, HOUGH_MAX_BAND_PX / band_rgb.shape[1])
    if f < 1.0:
        band_rgb = cv2.resize(band_rgb, (HOUGH_MAX_BAND_PX, max(8, round(band_rgb.shape[0] * f))), interpolation=cv2.INTER_AREA)
    edges = _edges(band_rgb)
    # keep only edge pixels of roughly horizontal edges (gradient mostly vertical): table legs,
    # limbs and wall corners drop out, and the line search has far fewer points to vote
    gray = cv2.cvtColor(band_rgb, cv2.COLOR_RGB2GRAY).astype(np.float32)
    gx, gy = cv2.Sobel(gray, cv2.CV_32F, 1, 0), cv2.Sobel(gray, cv2.CV_32F, 0, 1)
    edges[np.abs(gy) < 1.5 * np.abs(gx)] = 0
    if float(np.count_nonzero(edges)) / edges.size > MAX_EDGE_DENSITY:
        return None  # texture or noise everywhere: no straight edge can be trusted
    segs = cv2.HoughLinesP(
        edges, 1, np.pi / 360, threshold=max(12, int(40 * f)), minLineLength=int(0.25 * tlen * f),
        maxLineGap=int(0.04 * tlen * f) + 2,
    )
    if segs is None:
        return None
    segs = segs.astype(float) / f + np.array([bx0, by0, bx0, by0], dtype=float)  # back to image pixels
    cands = []
    for x_a, y_a, x_b, y_b in segs[:, 0, :]:
        ang = horizon_from_points((x_a, y_a), (x_b, y_b))
        if abs(ang) > MAX_EDGE_TILT_DEG or abs(ang - trunk_deg) > MAX_EDGE_TO_TRUNK_DEG:
            continue
        mid = np.array([(x_a + x_b) / 2, (y_a + y_b) / 2])
        # below the trunk line: positive side of the line (image-down), within the band
        n = np.array([-trunk[1], trunk[0]]) / tlen
        if n[1] < 0:
            n = -n
        depth = float(np.dot(mid - sh, n))
        if not (-0.05 * tlen <= depth <= BAND_BELOW_TRUNK * tlen):
            continue
        length = float(np.hypot(x_b - x_a, y_b - y_a))
        cands.append((ang, depth, length, (x_a, y_a), (x_b, y_b)))
    if not cands:
        return None
    # cluster by angle and depth; the edge with most total length wins, the shallowest on ties
    best = None
    for ang, depth, _, _, _ in cands:
        members = [c for c in cands if abs(c[0] - ang) <= CLUSTER_DEG and abs(c[1] - depth) <= 0.04 * tlen]
        total = sum(c[2] for c in members)
        if best is None or total > best[0] + 1e-9:
            best = (total, members)
    total, members = best
    support = total / tlen
    if support < MIN_SUPPORT:
        return None
    weights = np.array([c[2] for c in members])
    angle = float(np.average([c[0] for c in members], weights=weights))
    # draw it as one straight line: through the members' weighted centre, at the fused angle,
    # as long as the members reach
    mids = np.array([[(c[3][0] + c[4][0]) / 2, (c[3][1] + c[4][1]) / 2] for c in members])
    centre = np.average(mids, axis=0, weights=weights)
    direction = np.array([np.cos(np.radians(angle)), -np.sin(np.radians(angle))])
    ends = np.array([p for c in members for p in (c[3], c[4])]) - centre
    reach = ends @ direction
    p1, p2 = centre + direction * reach.min(), centre + direction * reach.max()
    return TableEdge(angle, tuple(p1.tolist()), tuple(p2.tolist()), float(min(1.0, support / 2)))

"""Find the true horizontal in a photo: the treatment table's long edge under the person.

The table top is level and runs along the person's sagittal plane, the plane the angles are
measured in, so its near edge is the best level line a Thomas-test photo offers. It is found
as the dominant straight edge in a band just below the trunk (shoulders to hips), roughly
along the trunk. Image processing with OpenCV; the geometry is in :mod:`thomas_cv.core.geometry`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

import cv2
import numpy as np

from ..core.geometry import horizon_from_points
from ..core.landmarks import Landmarks, PoseLandmark
from ..core.perspective import fit_vanishing_direction, view_yaw_deg

#: search limits (project choices, tuned on the synthetic benchmark)
MAX_EDGE_TILT_DEG = 12.0        # a table edge further off the image axis is not trusted
MAX_EDGE_TO_TRUNK_DEG = 20.0    # ... nor one far off the trunk's direction
BAND_BELOW_TRUNK = 0.9          # search depth below the trunk line, in trunk lengths
MIN_SUPPORT = 0.6               # total edge length needed, in trunk lengths
SHOWN_MAX_DEPTH = 0.5           # the table top and its pad lie this close under the trunk line
SHOWN_MIN_SUPPORT = 0.3         # ... and an edge there this long (trunk lengths) is the one drawn
CLUSTER_DEG = 1.5               # segments within this angle belong to one edge
MAX_EDGE_DENSITY = 0.12
CANNY_LOW, CANNY_HIGH = 20, 60
HOUGH_MAX_BAND_PX = 480         # wider search bands are shrunk to this before edge detection
# perspective (table lines converging under camera yaw)
LINES_BAND_BELOW_TRUNK = 1.5    # the table's frame and rails lie deeper than its top edge
LINES_COLOUR_SPACE = cv2.COLOR_RGB2LAB
LINES_MAX_BAND_PX = 640         # line-segment detection on at most this band width
LINES_MIN_LENGTH = 0.3          # a table line is at least this long, in trunk lengths
LINES_MAX_TILT_DEG = 20.0       # converging table lines tilt more than the top edge
LINES_INLIER_DEG = 0.25         # a segment points at the vanishing point within this
MAX_VIEW_YAW_DEG = 40.0        # table lines converging faster than this are not the table
LINES_DISTINCT = 0.02          # segments further apart than this (trunk lengths) are different lines
LINES_MIN_DISTINCT = 3          # lines that must agree on the vanishing point
LEG_CLEARANCE = 0.15            # vertical lines this close to a leg (trunk lengths) are the leg
VERTICAL_MIN_LENGTH = 0.15      # a table leg, in trunk lengths
VERTICAL_MIN_SPREAD = 0.5       # between the outermost vertical lines, in trunk lengths
VERTICAL_MAX_TILT_DEG = 15.0    # vertical lines lean less than this in the image
VERTICAL_MAX_PITCH_DEG = 35.0   # camera looking down (or up) by more is not believed
LINES_MIN_SPREAD = 0.08         # distance between the outermost table lines, in trunk lengths


@dataclass(frozen=True)
class TableEdge:
    """A level line found in the image: its angle (deg, screen-CCW positive, the
    ``horizon_deg`` convention), two points on it (pixels) and a 0-1 ``support``.

    ``shown``: the two end points of the line to draw as evidence: the edge parallel to the
    found one that lies nearest under the trunk (the table top, where the strongest edge may
    be a skirting board or the floor line further down), else ``p1``, ``p2``.
    """

    horizon_deg: float
    p1: tuple[float, float]
    p2: tuple[float, float]
    support: float
    shown: Optional[tuple] = None


def _cross2(u, v) -> float:
    """z of the cross product of two 2-vectors (numpy 2 deprecates np.cross on 2-vectors)."""
    return float(u[0] * v[1] - u[1] * v[0])


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


def _trunk(lm: Landmarks):
    """Shoulder centre, hip centre, the trunk vector between them and its length (pixels), or
    None for a trunk too short to search around."""
    P = PoseLandmark
    sh = (lm.point(P.LEFT_SHOULDER) + lm.point(P.RIGHT_SHOULDER)) / 2
    hp = (lm.point(P.LEFT_HIP) + lm.point(P.RIGHT_HIP)) / 2
    tlen = float(np.hypot(*(hp - sh)))
    return None if tlen < 20 else (sh, hp, hp - sh, tlen)


def _band(image_rgb: np.ndarray, sh, hp, tlen: float, side: float, below: float, max_width: int, min_px: int):
    """The search band under the trunk: the trunk's x range widened by ``side`` trunk lengths
    each way, from just above the trunk to ``below`` trunk lengths under it, shrunk to at most
    ``max_width`` pixels wide. Returns (band, shrink factor, x0, y0) or None if too small."""
    h, w = image_rgb.shape[:2]
    x0, x1 = sorted((sh[0], hp[0]))
    bx0, by0 = int(max(0, x0 - side * tlen)), int(max(0, min(sh[1], hp[1]) - 0.1 * tlen))
    bx1, by1 = int(min(w, x1 + side * tlen)), int(min(h, max(sh[1], hp[1]) + below * tlen))
    if bx1 - bx0 < min_px or by1 - by0 < min_px:
        return None
    band = image_rgb[by0:by1, bx0:bx1]
    f = min(1.0, max_width / band.shape[1])
    if f < 1.0:
        band = cv2.resize(band, (max_width, max(min_px, round(band.shape[0] * f))), interpolation=cv2.INTER_AREA)
    return band, f, bx0, by0


def find_table_edge(image_rgb: np.ndarray, lm: Landmarks) -> Optional[TableEdge]:
    """The table's long edge below the trunk, or None when no edge is found with confidence."""
    found = _trunk(lm)
    if found is None:
        return None
    sh, hp, trunk, tlen = found
    trunk_deg = horizon_from_points(sh, hp)
    # edges only inside the search band (the rest of the picture is never looked at); a wide
    # band is shrunk first: long straight edges survive, and the search is several times cheaper
    cut = _band(image_rgb, sh, hp, tlen, 0.6, BAND_BELOW_TRUNK, HOUGH_MAX_BAND_PX, 8)
    if cut is None:
        return None
    band_rgb, f, bx0, by0 = cut
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
    for x_a, y_a, x_b, y_b in segs.reshape(-1, 4):  # OpenCV 4: (N, 1, 4); 5: (N, 4)
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
    shown = _nearest_parallel(cands, angle, direction, tlen, (sh, hp))
    return TableEdge(angle, tuple(p1.tolist()), tuple(p2.tolist()), float(min(1.0, support / 2)), shown)


def _nearest_parallel(cands: list, angle: float, direction: np.ndarray, tlen: float, trunk) -> Optional[tuple]:
    """The end points of the longest edge parallel to ``angle`` (within ``CLUSTER_DEG``) that
    lies within ``SHOWN_MAX_DEPTH`` trunk lengths under the trunk line (the table pad, where
    the strongest edge may be a skirting board or the floor line further back), drawn at
    least as far as the trunk (shoulders to hips) reaches along it; or None."""
    par = [c for c in cands if abs(c[0] - angle) <= CLUSTER_DEG and c[1] <= SHOWN_MAX_DEPTH * tlen]
    best = None
    for c in par:
        members = [o for o in par if abs(o[1] - c[1]) <= 0.04 * tlen]
        total = sum(o[2] for o in members)
        if total >= SHOWN_MIN_SUPPORT * tlen and (best is None or total > best[0] + 1e-9):
            best = (total, members)
    if best is None:
        return None
    members = best[1]
    pts = np.array([p for o in members for p in (o[3], o[4])])
    centre = np.average(pts, axis=0, weights=np.repeat([o[2] for o in members], 2))
    reach = (np.vstack([pts, *trunk]) - centre) @ direction
    return (tuple((centre + direction * reach.min()).tolist()), tuple((centre + direction * reach.max()).tolist()))


@dataclass(frozen=True)
class TablePerspective:
    """The table's long, level lines and where they converge.

    ``direction``: unit 3D direction of the lines in the camera frame (x right, y down,
    z forward), from their vanishing point; ``view_yaw_deg``: how far the camera is turned
    from square to the table (degrees, unsigned); ``segments``: the lines used (N, 4 pixels);
    ``vertical``: the 3D direction of the vertical lines (table legs), when found.
    """

    direction: tuple[float, float, float]
    view_yaw_deg: float
    segments: tuple
    vertical: Optional[tuple[float, float, float]] = None


def find_table_perspective(
    image_rgb: np.ndarray, lm: Landmarks, f_px: float, edge: Optional[TableEdge] = None
) -> Optional[TablePerspective]:
    """The vanishing direction of the table's long lines (top edges, padding seams, frame
    rails: level and parallel to the body) in a band under the trunk, consistent with the
    table ``edge`` when one was found; None unless three distinct lines, far enough apart to
    show their convergence, agree."""
    found = _trunk(lm)
    if found is None:
        return None
    sh, hp, trunk, tlen = found
    h, w = image_rgb.shape[:2]
    cut = _band(image_rgb, sh, hp, tlen, 0.8, LINES_BAND_BELOW_TRUNK, LINES_MAX_BAND_PX, 16)
    if cut is None:
        return None
    band, f, bx0, by0 = cut
    # lightness and colour-opponent channels: a padding seam may differ from the frame below
    # it in hue more than in brightness
    lsd = cv2.createLineSegmentDetector(cv2.LSD_REFINE_STD)
    found = [lsd.detect(np.ascontiguousarray(ch))[0] for ch in cv2.split(cv2.cvtColor(band, LINES_COLOUR_SPACE))]
    found = [x.reshape(-1, 4) for x in found if x is not None]  # OpenCV 4: (N, 1, 4); 5: (N, 4)
    if not found:
        return None
    all_segs = np.vstack(found).astype(float) / f + np.array([bx0, by0, bx0, by0], dtype=float)
    segs = all_segs
    d = segs[:, 2:] - segs[:, :2]
    length = np.hypot(d[:, 0], d[:, 1])
    tilt = np.degrees(np.arctan2(d[:, 1], d[:, 0]))
    tilt = (tilt + 90.0) % 180.0 - 90.0
    n = np.array([-trunk[1], trunk[0]]) / tlen  # normal of the trunk line, pointing image-down
    if n[1] < 0:
        n = -n
    depth = ((segs[:, :2] + segs[:, 2:]) / 2 - sh) @ n
    keep = (length >= LINES_MIN_LENGTH * tlen) & (np.abs(tilt) <= LINES_MAX_TILT_DEG) & (depth >= -0.05 * tlen)
    segs = segs[keep]
    anchor = None if edge is None else (*edge.p1, *edge.p2)
    fit = fit_vanishing_direction(segs, f_px, (w / 2.0, h / 2.0), inlier_deg=LINES_INLIER_DEG, anchor=anchor)
    if fit is None:
        return None
    direction, inl = fit
    if view_yaw_deg(direction) > MAX_VIEW_YAW_DEG:
        return None  # not a photo of the test from the side
    used = segs[inl]
    # two lines always meet somewhere: the vanishing point is only confirmed by a third, and
    # the convergence is only measurable between lines some distance apart
    distinct, spread = _distinct_lines(used, LINES_DISTINCT * tlen)
    if distinct < LINES_MIN_DISTINCT or spread < LINES_MIN_SPREAD * tlen:
        return None
    vertical = _vertical_direction(_away_from_legs(all_segs, lm, LEG_CLEARANCE * tlen), f_px, (w / 2.0, h / 2.0), tlen)
    return TablePerspective(
        tuple(float(v) for v in direction),
        view_yaw_deg(direction),
        tuple(tuple(float(v) for v in s_) for s_ in used),
        None if vertical is None else tuple(float(v) for v in vertical),
    )


def _distinct_lines(segs: np.ndarray, apart: float) -> tuple[int, float]:
    """How many different straight lines the segments lie on (pieces of one edge, or the same
    edge found in two colour channels, count once), and the largest distance between two of
    them (pixels, measured from the longest segment's line)."""
    lengths = np.hypot(segs[:, 2] - segs[:, 0], segs[:, 3] - segs[:, 1])
    mids = (segs[:, :2] + segs[:, 2:]) / 2
    reps: list[int] = []
    for i in np.argsort(-lengths):
        for j in reps:
            d = (segs[j, 2:] - segs[j, :2]) / lengths[j]
            if abs(_cross2(d, mids[i] - segs[j, :2])) <= apart:
                break
        else:
            reps.append(int(i))
    d0 = (segs[reps[0], 2:] - segs[reps[0], :2]) / lengths[reps[0]]
    offsets = [_cross2(d0, mids[j] - segs[reps[0], :2]) for j in reps]
    return len(reps), float(np.ptp(offsets))


def _away_from_legs(segs: np.ndarray, lm: Landmarks, clearance: float) -> np.ndarray:
    """The segments whose midpoints lie further than ``clearance`` pixels from both legs
    (hip-knee-ankle-heel): a hanging shank is near vertical, but not a vertical of the room."""
    P = PoseLandmark
    mids = (segs[:, :2] + segs[:, 2:]) / 2
    keep = np.ones(len(segs), bool)
    for chain in ((P.LEFT_HIP, P.LEFT_KNEE, P.LEFT_ANKLE, P.LEFT_HEEL, P.LEFT_FOOT_INDEX),
                  (P.RIGHT_HIP, P.RIGHT_KNEE, P.RIGHT_ANKLE, P.RIGHT_HEEL, P.RIGHT_FOOT_INDEX)):
        for a, b in zip(chain[:-1], chain[1:]):
            pa, pb = lm.point(a), lm.point(b)
            ab = pb - pa
            t = np.clip(((mids - pa) @ ab) / max(float(ab @ ab), 1e-9), 0.0, 1.0)
            dist = np.hypot(*(mids - (pa + t[:, None] * ab)).T)
            keep &= dist > clearance
    return segs[keep]


def _vertical_direction(segs: np.ndarray, f_px: float, centre, tlen: float) -> Optional[np.ndarray]:
    """The vanishing direction of vertical lines under the trunk (the table's legs, the edges
    of its end, door frames), when three distinct ones agree; it tells how far the camera
    looks down."""
    d = segs[:, 2:] - segs[:, :2]
    length = np.hypot(d[:, 0], d[:, 1])
    off_vertical = np.degrees(np.arctan2(np.abs(d[:, 0]), np.abs(d[:, 1])))
    keep = (length >= VERTICAL_MIN_LENGTH * tlen) & (off_vertical <= VERTICAL_MAX_TILT_DEG)
    segs = segs[keep]
    fit = fit_vanishing_direction(segs, f_px, centre, inlier_deg=LINES_INLIER_DEG)
    if fit is None:
        return None
    direction, inl = fit
    used = segs[inl]
    distinct, spread = _distinct_lines(used, LINES_DISTINCT * tlen)
    if distinct < LINES_MIN_DISTINCT:
        return None
    if spread < VERTICAL_MIN_SPREAD * tlen:
        return None  # the two edges of one leg: too close together to show the convergence
    if np.degrees(np.arccos(min(1.0, abs(direction[1])))) > VERTICAL_MAX_PITCH_DEG:
        return None  # not the vertical of a photo taken about level
    return direction

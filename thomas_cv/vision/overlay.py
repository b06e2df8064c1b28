"""The evidence overlay: what was measured, against what, and what it means, readable at a glance.

Drawn on the photo: the tested leg, the level reference (the table edge where the tool found
it, and a dashed level line through the hip), an arc for each angle against its own reference
(thigh against the level line, knee against the thigh's own line continued), and labels in
plain words ("Thigh 8° above horizontal", "Knee bent 61°") with the finding beside each angle
in colour and in words. The trunk and the hugged leg are drawn faintly for context.

Labels are placed by one simple rule (:func:`layout`): for each label, in order of
importance, try positions around its anchor, nearest first, and take the first whose box lies
inside the image and clear of the labels already placed, of every drawn line (leg, trunk,
level lines, arcs) and of the face (which is blurred in saved images). Text is scaled with the
image. Drawing only: no maths beyond placing things on screen.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from functools import lru_cache
from typing import Optional

import cv2
import numpy as np

from ..core.interpret import DISCLAIMER, Finding
from ..core.measure import Measurement

# RGB colours; findings also carry words, never colour alone
LEG_COLOUR = (255, 170, 0)
THIGH_ARC = (0, 200, 255)
KNEE_ARC = (255, 80, 200)
FAINT = (200, 200, 200)
HORIZON = (255, 255, 0)
TEXT = (255, 255, 255)
FLAG_TEXT = (255, 210, 80)
MESSAGE_TEXT = (255, 140, 140)
STATUS_COLOUR = {
    "normal": (60, 200, 90),
    "borderline": (250, 180, 0),
    "short": (255, 70, 70),
    "not_assessable": (170, 170, 170),
}
STATUS_WORDS = {
    "normal": "normal",
    "borderline": "borderline",
    "short": "appears short",
    "not_assessable": "not assessed",
}
MUSCLE_NAMES = {
    "iliopsoas": "Iliopsoas",
    "rectus_femoris": "Rectus femoris",
    "tfl_itb": "TFL / IT band",
    "sartorius": "Sartorius",
}
HORIZON_LABEL = {
    "image": "Horizontal: the image's x axis",
    "image_fallback": "Horizontal: the image's x axis (no table edge found)",
    "angle": "Horizontal: from the given camera roll",
    "points": "Horizontal: the given table-edge points",
    "table_edge": "Horizontal: the table edge",
}
#: the camera's yaw is mentioned on the photo from this many degrees (smaller: no clutter)
SHOW_YAW_DEG = 5.0
BOX_ALPHA = 0.78  # label background opacity


# ------------------------------------------------------------------------------ words


def thigh_words(deg: float) -> str:
    """The thigh angle in plain words.

    >>> thigh_words(-7.8), thigh_words(12.4), thigh_words(0.2)
    ('Thigh 8° above horizontal', 'Thigh 12° below horizontal', 'Thigh level (0°)')
    """
    if round(abs(deg)) == 0:
        return "Thigh level (0°)"
    return f"Thigh {abs(deg):.0f}° {'below' if deg > 0 else 'above'} horizontal"


def knee_words(deg: float) -> str:
    """Knee flexion in plain words.

    >>> knee_words(61.4), knee_words(0.3)
    ('Knee bent 61°', 'Knee straight (0°)')
    """
    if round(deg) == 0:
        return "Knee straight (0°)"
    return f"Knee bent {deg:.0f}°"


def finding_words(f: Finding) -> str:
    """A finding in plain words.

    >>> finding_words(Finding("iliopsoas", "short", ""))
    'Iliopsoas: appears short'
    """
    return f"{MUSCLE_NAMES.get(f.muscle, f.muscle)}: {STATUS_WORDS.get(f.status, f.status)}"


def flag_words(code: str) -> str:
    """A flag's code as short words for the photo (its full message is in the report).

    >>> flag_words("hugged_knee_not_drawn_up")
    '! Hugged knee not drawn up'
    """
    return "! " + code.replace("_", " ").capitalize()


# ------------------------------------------------------------------------------- text


@lru_cache(maxsize=16)
def _font(px: int):
    """Pillow's bundled scalable font (has the degree sign); None if Pillow lacks FreeType."""
    try:
        from PIL import ImageFont

        f = ImageFont.load_default(size=px)
        return f if hasattr(f, "getlength") and hasattr(f, "size") else None
    except (ImportError, OSError, TypeError):
        return None


def _plain(text: str) -> str:
    return text.replace("°", " deg")


@lru_cache(maxsize=1024)
def text_size(text: str, px: int) -> tuple[int, int]:
    """(width, height) in pixels of one line of ``text`` at font size ``px``."""
    f = _font(px)
    if f is not None:
        return int(math.ceil(f.getlength(text))), int(round(px * 1.2))
    scale = px / 30.0
    (tw, th), base = cv2.getTextSize(_plain(text), cv2.FONT_HERSHEY_SIMPLEX, scale, 1)
    return tw, th + base


# ----------------------------------------------------------------------------- layout


@dataclass(frozen=True)
class Label:
    """One text box: ``lines`` of (text, RGB colour); ``box`` (x0, y0, x1, y1) in pixels;
    ``anchor``: the point it describes (a leader line is drawn when the box is away from it);
    ``accent``: the colour of its side bar (the colour of what it describes), or None."""

    name: str
    lines: tuple
    box: tuple
    anchor: Optional[tuple] = None
    accent: Optional[tuple] = None


@dataclass(frozen=True)
class Layout:
    """Where everything goes: the labels, the lines they keep clear of (``segments``: (N, 5)
    x0, y0, x1, y1, half-width), the boxes they keep out of (``avoid``: the face, the banner),
    the font size and the line thickness. ``clean`` is False when some label found no free
    place (it then takes the least crowded one)."""

    labels: tuple
    segments: np.ndarray
    avoid: tuple
    font_px: int
    thick: int
    clean: bool


def _unit(v) -> np.ndarray:
    v = np.asarray(v, float)
    n = float(np.hypot(*v))
    return v / n if n > 1e-9 else np.array([1.0, 0.0])


def _arc_points(centre, v_from, v_to, radius, n=24) -> np.ndarray:
    a0 = math.atan2(v_from[1], v_from[0])
    d = (math.atan2(v_to[1], v_to[0]) - a0 + math.pi) % (2 * math.pi) - math.pi
    t = a0 + d * np.linspace(0.0, 1.0, n)
    return np.column_stack([centre[0] + radius * np.cos(t), centre[1] + radius * np.sin(t)])


def _geometry(m: Measurement, size: tuple[int, int]) -> dict:
    """The drawn lines of the overlay (image pixels)."""
    P = {k: np.asarray(v, float) for k, v in m.points.items() if k != "table_edge"}
    hip, knee, ankle = P["hip"], P["knee"], P["ankle"]
    thigh_v, shank_v = knee - hip, ankle - knee
    tl = max(float(np.hypot(*thigh_v)), 1.0)
    hr = math.radians(m.horizon_deg)
    hdir = np.array([math.cos(hr), -math.sin(hr)])
    if np.dot(hdir, thigh_v) < 0:
        hdir = -hdir
    level = (hip - hdir * tl * 0.25, hip + hdir * tl * 1.25)
    r1 = max(24.0, tl * 0.85)
    r2 = max(18.0, min(float(np.hypot(*shank_v)), tl) * 0.38)
    knee_ref = (knee, knee + _unit(thigh_v) * r2 * 1.7)
    g = {
        "P": P, "hdir": hdir, "level": level, "r1": r1, "r2": r2, "knee_ref": knee_ref,
        "thigh_arc": _arc_points(hip, hdir, thigh_v, r1),
        "knee_arc": _arc_points(knee, thigh_v, shank_v, r2),
        "table": None,
    }
    if "table_edge" in m.points:
        g["table"] = tuple(np.asarray(q, float) for q in m.points["table_edge"])
    return g


def _segments(g: dict, thick: int) -> np.ndarray:
    P = g["P"]
    rows = []

    def add(a, b, hw):
        rows.append((a[0], a[1], b[0], b[1], hw))

    leg_hw = thick * 2.0 + 3
    add(P["hip"], P["knee"], leg_hw)
    add(P["knee"], P["ankle"], leg_hw)
    add(P["shoulder_centre"], P["hip_centre"], thick)
    add(P["hugged_hip"], P["hugged_knee"], thick)
    add(*g["level"], thick)
    add(*g["knee_ref"], thick)
    if g["table"] is not None:
        add(*g["table"], thick)
    for arc in (g["thigh_arc"], g["knee_arc"]):
        for a, b in zip(arc[:-1], arc[1:]):
            add(a, b, thick)
    return np.array(rows, float).reshape(-1, 5)


def _seg_hits(box, segs: np.ndarray, pad: float) -> float:
    """How much of the drawn lines lies inside ``box`` (pixels of line length; 0 = clear)."""
    if len(segs) == 0:
        return 0.0
    x0, y0, x1, y1 = box
    a, b, hw = segs[:, :2], segs[:, 2:4], segs[:, 4]
    length = np.hypot(*(b - a).T)
    n = int(min(200, max(2, length.max() / 3.0)))  # from all segments: the same sampling as before
    # only segments whose padded bounding box meets the box can have a point inside it (the
    # others add exactly 0): most candidate boxes are far from most lines, and sampling every
    # segment for every candidate was the overlay's main cost (issue 17)
    m_all = hw + pad
    lo, hi = np.minimum(a, b), np.maximum(a, b)
    near = (hi[:, 0] >= x0 - m_all) & (lo[:, 0] <= x1 + m_all) & (hi[:, 1] >= y0 - m_all) & (lo[:, 1] <= y1 + m_all)
    if not near.any():
        return 0.0
    a, b, hw, length = a[near], b[near], hw[near], length[near]
    t = np.linspace(0.0, 1.0, n)[None, :, None]
    pts = a[:, None, :] + (b - a)[:, None, :] * t  # (S, n, 2)
    m = (hw + pad)[:, None]
    inside = ((pts[..., 0] >= x0 - m) & (pts[..., 0] <= x1 + m) & (pts[..., 1] >= y0 - m) & (pts[..., 1] <= y1 + m))
    return float((inside.mean(axis=1) * length).sum())


#: label candidates scored together: the first alone (often free), then more at a time, up to
#: one ring of :func:`_candidates`
PLACE_CHUNKS = (1, 3, 8, 24)


def _overlaps(boxes: np.ndarray, other) -> np.ndarray:
    """:func:`_overlap` of each of ``boxes`` (K, 4) with ``other``."""
    wd = np.minimum(boxes[:, 2], other[2]) - np.maximum(boxes[:, 0], other[0])
    ht = np.minimum(boxes[:, 3], other[3]) - np.maximum(boxes[:, 1], other[1])
    return np.where((wd > 0) & (ht > 0), wd * ht, 0.0)


def _crowding(cands, placed, avoid, segs: np.ndarray, w: int, h: int, margin: float, pad: float,
              px: float, samples: Optional[tuple] = None) -> np.ndarray:
    """How crowded each candidate box is, 0 when free (inf when it leaves the image's
    margins): its overlap with the labels ``placed`` and the areas to ``avoid``, plus the
    drawn lines' length inside it (:func:`_seg_hits`) times ``px``. Every score is exactly
    the one box-at-a-time scoring gives (the same operations in the same order, the line
    hits summed per box as :func:`_seg_hits` sums them): the labels land on the same pixels;
    only the sampling of the lines (``samples``: :func:`_line_samples` of ``segs``, made once
    per overlay) is shared by all candidates (issue 17)."""
    boxes = np.array([[float(v) for v in b] for b in cands], float).reshape(-1, 4)
    score = np.zeros(len(boxes))
    for o in placed:
        score = score + _overlaps(boxes, o.box)
    extra = np.zeros(len(boxes))
    for a in avoid:
        extra = extra + _overlaps(boxes, a)
    score = score + extra
    score = score + _seg_hits_many(boxes, segs, pad, samples) * px
    out = (boxes[:, 0] < margin - 1e-6) | (boxes[:, 1] < margin - 1e-6) | (boxes[:, 2] > w - margin + 1e-6) | (
        boxes[:, 3] > h - margin + 1e-6)
    score[out] = np.inf
    return score


def _line_samples(segs: np.ndarray) -> tuple:
    """What :func:`_seg_hits` computes from the lines alone: ends, half widths, lengths, their
    bounding boxes and the points sampled along each, once for every candidate box."""
    a, b, hw = segs[:, :2], segs[:, 2:4], segs[:, 4]
    length = np.hypot(*(b - a).T)
    n = int(min(200, max(2, length.max() / 3.0))) if len(segs) else 2
    t = np.linspace(0.0, 1.0, n)[None, :, None]
    pts = a[:, None, :] + (b - a)[:, None, :] * t  # (S, n, 2), as _seg_hits samples them
    return hw, length, np.minimum(a, b), np.maximum(a, b), pts


def _seg_hits_many(boxes: np.ndarray, segs: np.ndarray, pad: float, samples: Optional[tuple] = None) -> np.ndarray:
    """:func:`_seg_hits` of each of ``boxes`` (K, 4), to the last bit."""
    out = np.zeros(len(boxes))
    if len(segs) == 0 or len(boxes) == 0:
        return out
    hw, length, lo, hi, pts_all = samples if samples is not None else _line_samples(segs)
    m_all = hw + pad
    x0, y0, x1, y1 = (boxes[:, i:i + 1] for i in range(4))
    near = (hi[:, 0] >= x0 - m_all) & (lo[:, 0] <= x1 + m_all) & (hi[:, 1] >= y0 - m_all) & (lo[:, 1] <= y1 + m_all)
    k, j = np.nonzero(near)  # pairs in box order, each box's segments in their order
    if k.size == 0:
        return out
    pts = pts_all[j]  # (pairs, n, 2)
    m = (hw[j] + pad)[:, None]
    bx = boxes[k]
    inside = ((pts[..., 0] >= bx[:, 0:1] - m) & (pts[..., 0] <= bx[:, 2:3] + m)
              & (pts[..., 1] >= bx[:, 1:2] - m) & (pts[..., 1] <= bx[:, 3:4] + m))
    vals = inside.mean(axis=1) * length[j]
    ends = np.flatnonzero(np.diff(k)) + 1
    starts = np.concatenate([[0], ends])
    stops = np.concatenate([ends, [k.size]])
    for s0, s1 in zip(starts, stops):  # summed per box as one contiguous array, as _seg_hits does
        out[k[s0]] = float(vals[s0:s1].sum())
    return out


def _overlap(a, b) -> float:
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    return float(w * h) if w > 0 and h > 0 else 0.0


def boxes_overlap(a, b) -> bool:
    """True when the two (x0, y0, x1, y1) boxes share any area."""
    return _overlap(a, b) > 0.0


def _box_size(lines, px: int, pad: int) -> tuple[int, int]:
    sizes = [text_size(t, px) for t, _ in lines]
    return max(w for w, _ in sizes) + 2 * pad + pad, sum(h for _, h in sizes) + 2 * pad


def _candidates(anchor, size, prefer, step: float, rings=(0.6, 1.4, 2.4, 3.6, 5.0, 7.0, 9.0, 12.0, 16.0)):
    """Boxes of ``size`` around ``anchor``: on rings of growing distance, each ring starting
    from the ``prefer`` direction and going round both ways."""
    bw, bh = size
    base = math.atan2(prefer[1], prefer[0])
    order = [0]
    for k in range(1, 12):
        order += [k, -k]
    order.append(12)
    ax, ay = (float(v) for v in anchor)
    hw, hh = bw / 2.0, bh / 2.0
    for ring in rings:
        d = ring * step
        for k in order:  # plain floats: the same IEEE operations numpy did per element, faster
            a = base + k * math.pi / 12
            ux, uy = math.cos(a), math.sin(a)
            cx, cy = ax + ux * d + ux * hw, ay + uy * d + uy * hh
            yield (cx - hw, cy - hh, cx + hw, cy + hh)


def _corner_candidates(size, w, h, margin, bottom_reserved, bottom_first=False):
    bw, bh = size
    ys = [margin, h - bottom_reserved - margin - bh]
    if bottom_first:
        ys.reverse()
    xs = [margin, w - margin - bw]
    for y in ys:
        for x in xs:
            yield (x, y, x + bw, y + bh)
    # then along the top and bottom edges, and down the sides
    for f in np.linspace(0.1, 0.9, 9):
        for y in ys:
            x = margin + f * (w - 2 * margin - bw)
            yield (x, y, x + bw, y + bh)
        for x in xs:
            y = margin + f * (h - bottom_reserved - 2 * margin - bh)
            yield (x, y, x + bw, y + bh)


def layout(
    shape: tuple,
    m: Optional[Measurement],
    findings: Optional[dict[str, Finding]] = None,
    message: Optional[str] = None,
    face: Optional[tuple] = None,
    banner_px: int = 0,
) -> Layout:
    """Place every label of the overlay of an image of ``shape`` (h, w, ...).

    ``face``: the face's box (x0, y0, x1, y1), kept free of text (it is blurred in saved
    images); ``banner_px``: a strip at the bottom kept free (the live view's status banner).
    """
    h, w = shape[:2]
    s = max(h, w) / 1000.0
    px = int(max(11, round(22 * s)))
    thick = max(1, round(2.5 * s))
    pad = max(2, px // 4)
    margin = max(2, px // 4)
    findings = findings or {}
    avoid = []
    if face is not None:
        fx0, fy0, fx1, fy1 = face
        e = px * 0.3
        avoid.append((fx0 - e, fy0 - e, fx1 + e, fy1 + e))
    if banner_px:
        avoid.append((0, h - banner_px, w, h))
    placed: list[Label] = []
    clean = True
    segs = np.zeros((0, 5))
    samples = None

    def place(name, lines, cands, anchor=None, accent=None):
        nonlocal clean
        # the first free candidate, else the first of the least crowded ones; candidates are
        # scored a ring at a time (the same scores as free(), see _crowding)
        best, best_score = None, float("inf")
        cands = iter(cands)
        for size in itertools.chain(PLACE_CHUNKS, itertools.repeat(PLACE_CHUNKS[-1])):
            chunk = list(itertools.islice(cands, size))
            if not chunk:
                break
            scores = _crowding(chunk, placed, avoid, segs, w, h, margin, pad * 0.5, px, samples)
            zero = np.flatnonzero(scores == 0.0)
            if zero.size:
                best, best_score = chunk[int(zero[0])], 0.0
                break
            i = int(np.argmin(scores))
            if scores[i] < best_score:
                best, best_score = chunk[i], float(scores[i])
        if best is None:
            return
        if best_score > 0:
            clean = False
        placed.append(Label(name, tuple(lines), tuple(float(v) for v in best),
                            None if anchor is None else tuple(float(v) for v in anchor), accent))

    if m is not None:
        g = _geometry(m, (w, h))
        segs = _segments(g, thick)
        samples = _line_samples(segs)
        P = g["P"]
        thigh_v, shank_v = P["knee"] - P["hip"], P["ankle"] - P["knee"]
        # thigh: at the middle of its arc, outwards
        mid = g["thigh_arc"][len(g["thigh_arc"]) // 2]
        lines = [(thigh_words(m.thigh_angle_deg), THIGH_ARC)]
        f = findings.get("iliopsoas")
        if f is not None:
            lines.append((finding_words(f), STATUS_COLOUR.get(f.status, TEXT)))
        place("thigh", lines, _candidates(mid, _box_size(lines, px, pad), _unit(mid - P["hip"]), px),
              mid, THIGH_ARC)
        # knee: outside the knee, away from the thigh and the shank
        kmid = g["knee_arc"][len(g["knee_arc"]) // 2]
        away = _unit(_unit(thigh_v) - _unit(shank_v))
        lines = [(knee_words(m.knee_flexion_deg), KNEE_ARC)]
        f = findings.get("rectus_femoris")
        if f is not None:
            lines.append((finding_words(f), STATUS_COLOUR.get(f.status, TEXT)))
        place("knee", lines, _candidates(kmid, _box_size(lines, px, pad), away, px), kmid, KNEE_ARC)
        # the level reference: by the table edge when drawn, else by the level line's hip end
        ref_text = HORIZON_LABEL.get(m.horizon_source, m.horizon_source)
        if abs(m.horizon_deg) >= 0.5:
            ref_text += f" ({m.horizon_deg:+.1f}° to the image)"
        lines = [(ref_text, HORIZON)]
        if m.view_yaw_deg is not None and m.view_yaw_deg >= SHOW_YAW_DEG:
            lines.append((f"camera {m.view_yaw_deg:.0f}° off square: angles corrected", HORIZON))
        if g["table"] is not None:
            a, b = g["table"]
            anchor = a if np.hypot(*(a - P["hip"])) > np.hypot(*(b - P["hip"])) else b
        else:
            anchor = g["level"][0]
        place("level", lines, _candidates(anchor, _box_size(lines, int(px * 0.8), pad), np.array([0.0, 1.0]), px),
              anchor, HORIZON)
    # the panel: side, the other findings, flags, message
    lines = []
    if m is not None:
        lines.append((f"Tested leg: {m.side} · confidence {m.confidence:.2f}", TEXT))
    for mu, f in findings.items():
        if m is not None and mu in ("iliopsoas", "rectus_femoris"):
            continue  # shown beside their angles
        lines.append((finding_words(f), STATUS_COLOUR.get(f.status, TEXT)))
    if m is not None:
        for fl in m.flags:
            lines.append((flag_words(fl.code), FLAG_TEXT))
    if message:
        lines.append((message, MESSAGE_TEXT))
    if lines:
        place("panel", lines, _corner_candidates(_box_size(lines, px, pad), w, h, margin, banner_px))
    lines = [(DISCLAIMER, TEXT)]
    place("disclaimer", lines, _corner_candidates(_box_size(lines, int(px * 0.8), pad), w, h, margin, banner_px, True))
    return Layout(tuple(placed), segs, tuple(avoid), px, thick, clean)


# ---------------------------------------------------------------------------- drawing


#: pixels around a sector's polygon that its antialiased edge may touch
SECTOR_RIM_PX = 2


def _dashed(img, p0, p1, colour, thick, dash):
    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    n = max(1, int(np.linalg.norm(p1 - p0) / dash))
    for i in range(0, n, 2):
        a = p0 + (p1 - p0) * i / n
        b = p0 + (p1 - p0) * min(i + 1, n) / n
        cv2.line(img, _pt(a), _pt(b), colour, thick, cv2.LINE_AA)


def _pt(p) -> tuple[int, int]:
    return int(round(p[0])), int(round(p[1]))


def _sector(img, centre, arc: np.ndarray, colour, alpha: float):
    """The sector filled with ``colour`` at opacity ``alpha``. Only the polygon's bounding box
    (and the antialiased rim around it) is copied and blended: outside the polygon the blend
    of a pixel with itself is that pixel, so the image is the same as blending all of it."""
    poly = np.vstack([np.asarray(centre, float)[None], arc]).round().astype(np.int32)
    h, w = img.shape[:2]
    x0, y0 = (int(v) for v in np.maximum(poly.min(axis=0) - SECTOR_RIM_PX, 0))
    x1, y1 = (int(v) for v in np.minimum(poly.max(axis=0) + SECTOR_RIM_PX + 1, (w, h)))
    if x1 <= x0 or y1 <= y0:
        return
    roi = img[y0:y1, x0:x1]
    layer = roi.copy()
    cv2.fillPoly(layer, [poly], colour, cv2.LINE_AA, offset=(-x0, -y0))
    cv2.addWeighted(layer, alpha, roi, 1 - alpha, 0, dst=roi)


def _draw_lines(img, m: Measurement, g: dict, thick: int) -> None:
    P = g["P"]
    dash = max(6, thick * 5)
    half = max(1, thick // 2)
    cv2.line(img, _pt(P["shoulder_centre"]), _pt(P["hip_centre"]), FAINT, half, cv2.LINE_AA)
    cv2.line(img, _pt(P["hugged_hip"]), _pt(P["hugged_knee"]), FAINT, half, cv2.LINE_AA)
    if g["table"] is not None:  # where the level line was found
        cv2.line(img, _pt(g["table"][0]), _pt(g["table"][1]), HORIZON, thick, cv2.LINE_AA)
    _dashed(img, *g["level"], HORIZON, max(1, thick), dash)
    _dashed(img, *g["knee_ref"], KNEE_ARC, max(1, thick), dash)
    _sector(img, P["hip"], g["thigh_arc"], THIGH_ARC, 0.5)
    _sector(img, P["knee"], g["knee_arc"], KNEE_ARC, 0.4)
    for arc, col in ((g["thigh_arc"], THIGH_ARC), (g["knee_arc"], KNEE_ARC)):
        cv2.polylines(img, [arc.round().astype(np.int32)], False, col, thick + 1, cv2.LINE_AA)
    for a, b in (("hip", "knee"), ("knee", "ankle")):
        cv2.line(img, _pt(P[a]), _pt(P[b]), LEG_COLOUR, thick + 1, cv2.LINE_AA)
    for k in ("hip", "knee", "ankle"):
        cv2.circle(img, _pt(P[k]), thick * 2 + 2, (255, 255, 255), -1, cv2.LINE_AA)
        cv2.circle(img, _pt(P[k]), thick * 2 + 2, LEG_COLOUR, max(1, half), cv2.LINE_AA)


def _draw_labels(img: np.ndarray, lay: Layout) -> np.ndarray:
    pad = max(2, lay.font_px // 4)
    layer = img.copy()
    for lab in lay.labels:
        x0, y0, x1, y1 = (int(round(v)) for v in lab.box)
        cv2.rectangle(layer, (x0, y0), (x1, y1), (20, 20, 20), -1)
    cv2.addWeighted(layer, BOX_ALPHA, img, 1 - BOX_ALPHA, 0, dst=img)
    for lab in lay.labels:
        x0, y0, x1, y1 = (int(round(v)) for v in lab.box)
        if lab.accent is not None:
            cv2.rectangle(img, (x0, y0), (x0 + max(2, pad // 2), y1), lab.accent, -1)
        if lab.anchor is not None:  # a leader from the box to what it describes, when apart
            ax, ay = lab.anchor
            nx, ny = min(max(ax, x0), x1), min(max(ay, y0), y1)
            if math.hypot(nx - ax, ny - ay) > lay.font_px * 0.8:
                cv2.line(img, _pt((ax, ay)), _pt((nx, ny)), lab.accent or TEXT, max(1, lay.thick // 2), cv2.LINE_AA)
    f0 = _font(lay.font_px)
    if f0 is None:  # no FreeType: OpenCV's font, degrees in words
        for lab in lay.labels:
            px = _label_px(lab, lay.font_px)
            y = lab.box[1] + pad
            for text, col in lab.lines:
                tw, th = text_size(text, px)
                cv2.putText(img, _plain(text), (int(lab.box[0] + pad * 1.5), int(y + th * 0.8)),
                            cv2.FONT_HERSHEY_SIMPLEX, px / 30.0, col, 1, cv2.LINE_AA)
                y += th
        return img
    from PIL import Image, ImageDraw

    pil = Image.fromarray(img)
    d = ImageDraw.Draw(pil)
    for lab in lay.labels:
        px = _label_px(lab, lay.font_px)
        font = _font(px)
        y = lab.box[1] + pad
        for text, col in lab.lines:
            d.text((lab.box[0] + pad * 1.5, y + px * 0.1), text, font=font, fill=tuple(int(c) for c in col))
            y += text_size(text, px)[1]
    return np.asarray(pil).copy()


def _label_px(lab: Label, px: int) -> int:
    return int(px * 0.8) if lab.name in ("level", "disclaimer") else px


def draw_overlay(
    image_rgb: np.ndarray,
    m: Optional[Measurement],
    findings: Optional[dict[str, Finding]] = None,
    message: Optional[str] = None,
    landmarks=None,
    banner_px: int = 0,
) -> np.ndarray:
    """Return a copy of ``image_rgb`` with the evidence drawn on it.

    ``m`` may be None (nothing measured): then only ``message`` and the disclaimer are drawn.
    Point coordinates in ``m.points`` must be in ``image_rgb``'s pixels. ``landmarks``: the
    person's, so that no text is drawn over the face (blurred in saved images);
    ``banner_px``: a strip at the bottom left free for a status banner.
    """
    img = np.ascontiguousarray(image_rgb.copy())
    face = None
    if landmarks is not None:
        from .privacy import face_box

        face = face_box(landmarks, img.shape[:2])
    lay = layout(img.shape, m, findings, message, face=face, banner_px=banner_px)
    if m is not None:
        _draw_lines(img, m, _geometry(m, img.shape[1::-1]), lay.thick)
    return _draw_labels(img, lay)

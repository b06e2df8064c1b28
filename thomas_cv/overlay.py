"""The evidence overlay: the tested leg, angle arcs with values, the horizontal reference,
the trunk and hugged leg drawn faintly, findings and flags. Drawing only, no maths beyond
placing things on screen."""

from __future__ import annotations

import math
from typing import Optional

import cv2
import numpy as np

from .interpret import DISCLAIMER, Finding
from .measure import Measurement

# RGB colours; findings also carry words, never colour alone
LEG_COLOUR = (255, 170, 0)
THIGH_ARC = (0, 200, 255)
KNEE_ARC = (255, 80, 200)
FAINT = (200, 200, 200)
HORIZON = (255, 255, 0)
STATUS_COLOUR = {
    "normal": (40, 180, 70),
    "borderline": (240, 170, 0),
    "short": (220, 40, 40),
    "not_assessable": (150, 150, 150),
}
HORIZON_LABEL = {
    "image": "image x axis",
    "image_fallback": "image x axis (no table edge found)",
    "angle": "given camera roll",
    "points": "given level line",
    "table_edge": "table edge (auto)",
}


def _pt(p) -> tuple[int, int]:
    return int(round(p[0])), int(round(p[1]))


def _ang(v) -> float:
    """Screen angle of a vector for cv2.ellipse (degrees, clockwise from +x since y is down)."""
    return math.degrees(math.atan2(v[1], v[0]))


def _arc(img, centre, v_from, v_to, radius, colour, thick):
    a0, a1 = _ang(v_from), _ang(v_to)
    d = (a1 - a0 + 180.0) % 360.0 - 180.0  # shortest way round
    cv2.ellipse(img, _pt(centre), (radius, radius), 0.0, a0, a0 + d, colour, thick, cv2.LINE_AA)


def _text(img, text, org, scale, colour, thick, bg=(0, 0, 0)):
    font = cv2.FONT_HERSHEY_SIMPLEX
    (tw, th), base = cv2.getTextSize(text, font, scale, thick)
    x, y = int(org[0]), int(org[1])
    h, w = img.shape[:2]
    x = min(max(2, x), max(2, w - tw - 4))
    y = min(max(th + 4, y), h - base - 2)
    cv2.rectangle(img, (x - 3, y - th - 4), (x + tw + 3, y + base + 2), bg, -1)
    cv2.putText(img, text, (x, y), font, scale, colour, thick, cv2.LINE_AA)
    return th + base + 8


def _dashed(img, p0, p1, colour, thick, dash=14):
    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    n = max(1, int(np.linalg.norm(p1 - p0) / dash))
    for i in range(0, n, 2):
        a = p0 + (p1 - p0) * i / n
        b = p0 + (p1 - p0) * min(i + 1, n) / n
        cv2.line(img, _pt(a), _pt(b), colour, thick, cv2.LINE_AA)


def draw_overlay(
    image_rgb: np.ndarray,
    m: Optional[Measurement],
    findings: Optional[dict[str, Finding]] = None,
    message: Optional[str] = None,
) -> np.ndarray:
    """Return a copy of ``image_rgb`` with the evidence drawn on it.

    ``m`` may be None (nothing measured): then only ``message`` and the disclaimer are drawn.
    Point coordinates in ``m.points`` must be in ``image_rgb``'s pixels.
    """
    img = np.ascontiguousarray(image_rgb.copy())
    h, w = img.shape[:2]
    s = max(h, w) / 1000.0
    thick = max(1, round(2.5 * s))
    fs = 0.6 * max(s, 0.5)
    if m is not None:
        P = {k: np.asarray(v, float) for k, v in m.points.items() if k != "table_edge"}
        # faint context: trunk and hugged leg
        cv2.line(img, _pt(P["shoulder_centre"]), _pt(P["hip_centre"]), FAINT, max(1, thick // 2), cv2.LINE_AA)
        cv2.line(img, _pt(P["hugged_hip"]), _pt(P["hugged_knee"]), FAINT, max(1, thick // 2), cv2.LINE_AA)
        if "table_edge" in m.points:  # the level line the tool found, as evidence
            e1, e2 = (np.asarray(q, float) for q in m.points["table_edge"])
            cv2.line(img, _pt(e1), _pt(e2), HORIZON, max(1, thick // 2), cv2.LINE_AA)
        # horizontal reference through the hip
        hr = math.radians(m.horizon_deg)
        hdir = np.array([math.cos(hr), -math.sin(hr)])
        thigh_v = P["knee"] - P["hip"]
        if np.dot(hdir, thigh_v) < 0:
            hdir = -hdir
        L = np.linalg.norm(thigh_v) * 1.4
        _dashed(img, P["hip"] - hdir * L * 0.3, P["hip"] + hdir * L, HORIZON, max(1, thick // 2 + 1))
        label = f"horizontal: {HORIZON_LABEL.get(m.horizon_source, m.horizon_source)} ({m.horizon_deg:+.1f} deg)"
        # on the trunk side of the hip, below the line, clear of the leg's labels
        tw = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, fs * 0.8, 1)[0][0]
        anchor = P["hip"] - hdir * (L * 0.3 + 10 * s) + np.array([-tw if hdir[0] > 0 else 0, 28 * s])
        step = _text(img, label, anchor, fs * 0.8, HORIZON, 1)
        if m.view_yaw_deg is not None:  # angles measured square to the body plane
            _text(img, f"perspective corrected: camera {m.view_yaw_deg:.0f} deg off square", anchor + (0, step),
                  fs * 0.8, HORIZON, 1)
        # tested leg
        for a, b in (("hip", "knee"), ("knee", "ankle")):
            cv2.line(img, _pt(P[a]), _pt(P[b]), LEG_COLOUR, thick + 1, cv2.LINE_AA)
        for k in ("hip", "knee", "ankle"):
            cv2.circle(img, _pt(P[k]), thick * 2 + 2, (255, 255, 255), -1, cv2.LINE_AA)
            cv2.circle(img, _pt(P[k]), thick * 2 + 2, LEG_COLOUR, max(1, thick // 2), cv2.LINE_AA)
        # thigh angle arc at the hip
        r = int(max(20, np.linalg.norm(thigh_v) * 0.35))
        _arc(img, P["hip"], hdir, thigh_v, r, THIGH_ARC, thick)
        # label above the thigh's middle (the side away from the shank)
        nrm = np.array([thigh_v[1], -thigh_v[0]]) / np.linalg.norm(thigh_v)
        if nrm[1] > 0:
            nrm = -nrm
        _text(img, f"thigh {m.thigh_angle_deg:+.1f} deg", P["hip"] + thigh_v * 0.45 + nrm * 40 * s, fs, THIGH_ARC, max(1, thick // 2))
        # knee flexion arc: from the continued thigh line to the shank
        shank_v = P["ankle"] - P["knee"]
        r2 = int(max(16, min(np.linalg.norm(shank_v), np.linalg.norm(thigh_v)) * 0.3))
        _dashed(img, P["knee"], P["knee"] + thigh_v / np.linalg.norm(thigh_v) * r2 * 1.6, KNEE_ARC, max(1, thick // 2))
        _arc(img, P["knee"], thigh_v, shank_v, r2, KNEE_ARC, thick)
        # label outside the knee: away from the hip and the ankle
        away = -(thigh_v / np.linalg.norm(thigh_v) * -1 + shank_v / max(np.linalg.norm(shank_v), 1e-6))
        away = away / max(np.linalg.norm(away), 1e-6)
        _text(img, f"knee flexion {m.knee_flexion_deg:.1f} deg", P["knee"] + away * 45 * s + np.array([0, 10 * s]), fs, KNEE_ARC, max(1, thick // 2))
    # text panel, top-left
    y = int(10 + 20 * s)
    x = int(10 * max(s, 1))
    if m is not None:
        y += _text(img, f"Tested side: {m.side}   confidence {m.confidence:.2f}", (x, y), fs, (255, 255, 255), 1)
    for f in (findings or {}).values():
        y += _text(img, f"{f.muscle}: {f.status.replace('_', ' ')}", (x, y), fs, STATUS_COLOUR[f.status], 1)
    if m is not None:
        for fl in m.flags:
            y += _text(img, f"! {fl.code.replace('_', ' ')}", (x, y), fs * 0.85, (255, 210, 80), 1)
    if message:
        y += _text(img, message, (x, y), fs, (255, 120, 120), 1)
    _text(img, DISCLAIMER, (x, h - 10), fs * 0.8, (255, 255, 255), 1)
    return img

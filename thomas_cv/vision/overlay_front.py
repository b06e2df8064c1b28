"""The evidence overlay of a front view: the midline through the tested hip, the thigh line
with its abduction angle, the shank against straight down with its deviation, the two hips,
the findings and flags. Drawing only, no maths beyond placing things on screen."""

from __future__ import annotations

import math
from typing import Optional

import cv2
import numpy as np

from ..core.front import FrontMeasurement
from ..core.interpret import DISCLAIMER, Finding
from .overlay import HORIZON as MIDLINE, KNEE_ARC as SHANK, LEG_COLOUR as HIPS, STATUS_COLOUR, TEXT
from .overlay import THIGH_ARC as THIGH, finding_words

# RGB colours and finding words: the side overlay's own (findings carry words, never colour alone)
PLACE_LABEL = {"foot_end": "front view from the foot end", "above": "front view from above the thigh"}


def _pt(p) -> tuple[int, int]:
    return int(round(p[0])), int(round(p[1]))


def _text(img, text, org, scale, colour, thick, bg=(0, 0, 0)):
    font = cv2.FONT_HERSHEY_SIMPLEX
    (tw, th), base = cv2.getTextSize(text, font, scale, thick)
    h, w = img.shape[:2]
    x = min(max(2, int(org[0])), max(2, w - tw - 4))
    y = min(max(th + 4, int(org[1])), h - base - 2)
    cv2.rectangle(img, (x - 3, y - th - 4), (x + tw + 3, y + base + 2), bg, -1)
    cv2.putText(img, text, (x, y), font, scale, colour, thick, cv2.LINE_AA)


def _dashed(img, p0, p1, colour, thick, dash):
    p0, p1 = np.asarray(p0, float), np.asarray(p1, float)
    n = max(1, int(np.linalg.norm(p1 - p0) / dash))
    for i in range(0, n, 2):
        a, b = p0 + (p1 - p0) * i / n, p0 + (p1 - p0) * min(i + 1, n) / n
        cv2.line(img, _pt(a), _pt(b), colour, thick, cv2.LINE_AA)


def _arc(img, centre, v_from, v_to, radius, colour, thick):
    a0 = math.degrees(math.atan2(v_from[1], v_from[0]))
    a1 = math.degrees(math.atan2(v_to[1], v_to[0]))
    d = (a1 - a0 + 180.0) % 360.0 - 180.0
    cv2.ellipse(img, _pt(centre), (radius, radius), 0.0, a0, a0 + d, colour, thick, cv2.LINE_AA)


def draw_front_overlay(rgb: np.ndarray, f: FrontMeasurement, findings: Optional[dict[str, Finding]] = None) -> np.ndarray:
    """A copy of ``rgb`` with the front-view evidence drawn on it."""
    img = np.ascontiguousarray(rgb.copy())
    h, w = img.shape[:2]
    s = max(h, w) / 1000.0
    thick, fs = max(2, int(round(3 * s))), max(0.5, 0.75 * s)
    p = {k: np.asarray(v, float) for k, v in f.points.items() if k not in ("midline",)}
    hip, knee, ankle = p["hip"], p["knee"], p["ankle"]
    m0, m1 = (np.asarray(q, float) for q in f.points["midline"])
    mdir = (m1 - m0) / max(np.linalg.norm(m1 - m0), 1e-9)
    # the hip line and the midline through the tested hip (the ASIS-kneecap line of the test)
    cv2.line(img, _pt(hip), _pt(p["other_hip"]), HIPS, max(1, thick - 1), cv2.LINE_AA)
    seg = max(np.linalg.norm(knee - hip), np.linalg.norm(ankle - knee)) * 1.15 + 20 * s
    _dashed(img, hip, hip + mdir * seg, MIDLINE, max(1, thick - 1), dash=int(14 * s) + 4)
    _text(img, "midline", hip + mdir * seg + np.array([6, 0]) * s, fs * 0.8, MIDLINE, 1)
    # straight down through the knee, as the shank would hang without rotation
    down_ref = mdir if f.place == "foot_end" else None
    if down_ref is not None:
        _dashed(img, knee, knee + mdir * np.linalg.norm(ankle - knee) * 1.1, (230, 230, 230), 1, dash=int(10 * s) + 3)
    # thigh and shank
    cv2.line(img, _pt(hip), _pt(knee), THIGH, thick + 1, cv2.LINE_AA)
    cv2.line(img, _pt(knee), _pt(ankle), SHANK, thick + 1, cv2.LINE_AA)
    for q in (hip, knee, ankle, p["other_hip"]):
        cv2.circle(img, _pt(q), thick + 3, (255, 255, 255), -1, cv2.LINE_AA)
        cv2.circle(img, _pt(q), thick + 3, (0, 0, 0), 1, cv2.LINE_AA)
    r_t = int(max(25 * s, 0.35 * np.linalg.norm(knee - hip)))
    if np.linalg.norm(knee - hip) > 1:
        _arc(img, hip, mdir, knee - hip, r_t, THIGH, thick)
    outw = np.asarray(f.points["outwards"], float) - hip
    side_off = np.sign(outw @ np.array([1.0, 0.0]) or 1.0)
    _text(img, f"abduction {f.thigh_abduction_deg:+.0f} deg (+/-{f.thigh_abduction_uncertainty_deg:.0f})",
          hip + np.array([side_off * (r_t + 8 * s), -10 * s]), fs, THIGH, 2)
    _text(img, f"shank {f.shank_deviation_deg:+.0f} deg (+/-{f.shank_deviation_uncertainty_deg:.0f})"
               f" {'out' if f.shank_deviation_deg >= 0 else 'in'}",
          ankle + np.array([side_off * 12 * s, 0]), fs, SHANK, 2)
    # header: what was measured, findings in colour and words, flags
    y = int(30 * s) + 10
    _text(img, f"{f.side} leg, {PLACE_LABEL.get(f.place, f.place)}", (10, y), fs, TEXT, 2)
    for words, colour in finding_lines(findings):
        y += int(32 * s) + 8
        _text(img, words, (10, y), fs, colour, 2)
    for code in f.flag_codes:
        y += int(28 * s) + 6
        _text(img, f"! {code.replace('_', ' ')}", (10, y), fs * 0.8, (255, 200, 60), 1)
    _text(img, DISCLAIMER, (10, h - 10), fs * 0.8, TEXT, 1)
    return img


def finding_lines(findings: Optional[dict[str, Finding]]) -> list[tuple[str, tuple]]:
    """The front view's findings (TFL / IT band, sartorius) as the header shows them: in plain
    words and the status colour, as on the side overlay.

    >>> finding_lines({"tfl_itb": Finding("tfl_itb", "borderline", ""), "iliopsoas": Finding("iliopsoas", "short", "")})
    [('TFL / IT band: borderline', (250, 180, 0))]
    """
    return [(finding_words(findings[mu]), STATUS_COLOUR.get(findings[mu].status, TEXT))
            for mu in ("tfl_itb", "sartorius") if findings and mu in findings]

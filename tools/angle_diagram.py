"""Draw docs/angles.png: the angle conventions of docs/thomas_test.md on a schematic person.

    python -m tools.angle_diagram [out.png]

Pure drawing (OpenCV lines, Pillow's bundled font for the text); the geometry is built from
the definitions, so the picture shows exactly what the numbers mean.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, ImageDraw, ImageFont

W, H = 1640, 820
BG, TABLE, BODY, LEG = (250, 250, 247), (150, 120, 90), (120, 130, 150), (230, 140, 0)
THIGH_C, KNEE_C, HIPEXT_C, HUG_C, LEVEL_C = (0, 150, 210), (210, 60, 170), (60, 150, 60), (120, 90, 200), (200, 170, 0)


def rot(v, deg):
    """Rotate a screen vector by ``deg`` clockwise on screen (y down)."""
    a = math.radians(deg)
    return np.array([v[0] * math.cos(a) - v[1] * math.sin(a), v[0] * math.sin(a) + v[1] * math.cos(a)])


def arc(img, c, v0, v1, r, col, th=4, fill=0.25):
    a0 = math.atan2(v0[1], v0[0])
    d = (math.atan2(v1[1], v1[0]) - a0 + math.pi) % (2 * math.pi) - math.pi
    t = a0 + d * np.linspace(0, 1, 40)
    pts = np.column_stack([c[0] + r * np.cos(t), c[1] + r * np.sin(t)])
    layer = img.copy()
    cv2.fillPoly(layer, [np.vstack([c, pts]).round().astype(np.int32)], col, cv2.LINE_AA)
    cv2.addWeighted(layer, fill, img, 1 - fill, 0, dst=img)
    cv2.polylines(img, [pts.round().astype(np.int32)], False, col, th, cv2.LINE_AA)
    return pts[len(pts) // 2]


def dashed(img, a, b, col, th=3, dash=14):
    a, b = np.asarray(a, float), np.asarray(b, float)
    n = max(1, int(np.linalg.norm(b - a) / dash))
    for i in range(0, n, 2):
        cv2.line(img, tuple((a + (b - a) * i / n).astype(int)), tuple((a + (b - a) * min(i + 1, n) / n).astype(int)),
                 col, th, cv2.LINE_AA)


def main(out: str = "docs/angles.png") -> Path:
    img = np.full((H, W, 3), BG, np.uint8)
    table_y = 430
    cv2.rectangle(img, (870, table_y), (1590, table_y + 40), TABLE, -1)
    for x in (910, 1540):
        cv2.rectangle(img, (x, table_y + 40), (x + 24, 760), TABLE, -1)
    hip = np.array([900.0, table_y - 40])
    shoulder = np.array([1380.0, table_y - 70])  # chest thicker than the pelvis: trunk line tilted
    head = shoulder + [95, -12]
    cv2.line(img, tuple(shoulder.astype(int)), tuple(hip.astype(int)), BODY, 34, cv2.LINE_AA)
    cv2.circle(img, tuple(head.astype(int)), 52, BODY, -1, cv2.LINE_AA)
    # the hugged leg: hip flexed 120 deg from the trunk line continued
    trunk_dir = (hip - shoulder) / np.linalg.norm(hip - shoulder)
    hug_knee = hip + rot(trunk_dir, 120) * 230
    hug_ankle = hug_knee + rot(rot(trunk_dir, 120), -110) * 200
    cv2.line(img, tuple(hip.astype(int)), tuple(hug_knee.astype(int)), BODY, 26, cv2.LINE_AA)
    cv2.line(img, tuple(hug_knee.astype(int)), tuple(hug_ankle.astype(int)), BODY, 22, cv2.LINE_AA)
    # the tested leg: thigh 12 deg below the horizontal, knee flexion 80 deg
    thigh_deg, knee_deg = 15.0, 80.0
    tdir = np.array([-math.cos(math.radians(thigh_deg)), math.sin(math.radians(thigh_deg))])
    knee = hip + tdir * 280
    sdir = rot(tdir, -knee_deg)
    ankle = knee + sdir * 260
    for a, b in ((hip, knee), (knee, ankle)):
        cv2.line(img, tuple(a.astype(int)), tuple(b.astype(int)), LEG, 14, cv2.LINE_AA)
    for p in (hip, knee, ankle):
        cv2.circle(img, tuple(p.astype(int)), 11, (255, 255, 255), -1, cv2.LINE_AA)
        cv2.circle(img, tuple(p.astype(int)), 11, LEG, 3, cv2.LINE_AA)
    # references
    dashed(img, hip + [120, 0], hip - [420, 0], LEVEL_C, 3)            # horizontal through the hip
    dashed(img, knee, knee + tdir * 170, KNEE_C, 3)                    # thigh line continued
    dashed(img, hip, hip + trunk_dir * 300, HIPEXT_C, 3)               # trunk line continued
    m_thigh = arc(img, hip, np.array([-1.0, 0.0]), tdir, 200, THIGH_C)
    m_knee = arc(img, knee, tdir, sdir, 95, KNEE_C)
    m_ext = arc(img, hip, trunk_dir, tdir, 150, HIPEXT_C, fill=0.3)
    m_hug = arc(img, hip, trunk_dir, hug_knee - hip, 80, HUG_C, fill=0.18)
    cv2.line(img, (870, table_y), (1590, table_y), LEVEL_C, 4, cv2.LINE_AA)

    pil = Image.fromarray(img)
    d = ImageDraw.Draw(pil)
    f = ImageFont.load_default(size=25)
    fb = ImageFont.load_default(size=30)
    fs = ImageFont.load_default(size=21)

    def label(xy, lines, col, leader=None):
        x, y = xy
        for i, t in enumerate(lines):
            d.text((x, y + i * 30), t, font=f if i == 0 else fs, fill=col if i == 0 else (60, 60, 60))

    d.text((30, 20), "The Thomas test, seen from the side of the hanging (tested) leg", font=fb, fill=(30, 30, 30))
    label((30, 250), ["thigh angle  thigh_angle_deg", "hip-to-knee line against the horizontal;",
                     "+ = knee below the hip (here +15°), 0 = level,", "negative = thigh raised (short iliopsoas)"],
          THIGH_C, m_thigh)
    label((30, 600), ["knee flexion  knee_flexion_deg", "180° minus the inner hip-knee-ankle angle:",
                      "the thigh line continued to the shank;", "0 = straight, about 90 normal (here 80°)"],
          KNEE_C, m_knee)
    label((1020, 590), ["hip extension to trunk", "hip_extension_to_trunk_deg: thigh against",
                       "the trunk line continued past the hip;", "+ = thigh behind it; no table or roll needed"],
          HIPEXT_C, m_ext)
    label((1020, 80), ["other hip drawn up  hugged_hip_flexion_deg", "flexion of the hugged hip from the trunk",
                      "line; too little (< 90°): pelvis not flat,", "the test is not valid"], HUG_C, m_hug)
    d.text((960, table_y + 60), "horizontal reference: the table edge", font=fs, fill=(120, 100, 0))
    d.text((960, table_y + 88), "(or a level camera, its roll, two points)", font=fs, fill=(120, 100, 0))
    path = Path(out)
    path.parent.mkdir(parents=True, exist_ok=True)
    pil.save(path, optimize=True)
    return path


if __name__ == "__main__":
    print(main(*sys.argv[1:2]))

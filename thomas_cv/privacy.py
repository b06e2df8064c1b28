"""Privacy helpers: blur the face in images the tool saves.

The face is located from BlazePose's own face landmarks (nose, eyes, ears, mouth:
indices 0-10), so no extra model or download is needed.
"""

from __future__ import annotations

import cv2
import numpy as np

from .landmarks import Landmarks, PoseLandmark

FACE_INDICES = tuple(range(0, 11))  # BlazePose nose .. mouth_right


def face_box(lm: Landmarks, shape: tuple[int, int]) -> tuple[int, int, int, int] | None:
    """(x0, y0, x1, y1) box around the head in image pixels, padded generously, or None."""
    pts = lm.xy[list(FACE_INDICES)]
    sh = (lm.point(PoseLandmark.LEFT_SHOULDER) + lm.point(PoseLandmark.RIGHT_SHOULDER)) / 2
    # head size: at least 40% of the distance from the face to the shoulder centre
    centre = pts.mean(axis=0)
    r = max(float(np.ptp(pts[:, 0])), float(np.ptp(pts[:, 1])), 0.45 * float(np.linalg.norm(centre - sh)), 8.0)
    h, w = shape
    x0, y0 = int(max(0, centre[0] - r * 1.2)), int(max(0, centre[1] - r * 1.2))
    x1, y1 = int(min(w, centre[0] + r * 1.2)), int(min(h, centre[1] + r * 1.2))
    if x1 <= x0 or y1 <= y0:
        return None
    return x0, y0, x1, y1


def blur_faces(image_rgb: np.ndarray, lm: Landmarks) -> np.ndarray:
    """A copy of the image with the person's head heavily blurred (pixelated and smoothed)."""
    img = image_rgb.copy()
    box = face_box(lm, img.shape[:2])
    if box is None:
        return img
    x0, y0, x1, y1 = box
    roi = img[y0:y1, x0:x1]
    small = cv2.resize(roi, (max(1, roi.shape[1] // 12), max(1, roi.shape[0] // 12)), interpolation=cv2.INTER_AREA)
    img[y0:y1, x0:x1] = cv2.GaussianBlur(cv2.resize(small, (roi.shape[1], roi.shape[0]), interpolation=cv2.INTER_LINEAR), (0, 0), 3)
    return img

"""Privacy helpers: blur every face in images the tool saves.

No extra model or download: faces are located from BlazePose itself.

- The measured person's head: from its face landmarks (nose, eyes, ears, mouth: indices
  0-10), found in profile and lying down.
- Everybody else (a helper, another patient): :func:`thomas_cv.vision.person.other_people` hides
  the measured person and asks the model again, up to three more people; their heads
  come with the result (``Result.other_faces``).

Limits (stated in the README): BlazePose's person detector keys on faces and finds one
person per look; a person it does not find (facing away, very small, mostly cut off, a
fifth person) keeps a sharp face. OpenCV's bundled Haar cascades were tried as a second
net and dropped: on the real-people frames in ``tests/data/negatives`` they found none of
the small faces and blurred a building instead. Look at an overlay before sharing it.
"""

from __future__ import annotations

import cv2
import numpy as np

from ..core.landmarks import Landmarks, PoseLandmark

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


def blur_faces(image_rgb: np.ndarray, lm: "Landmarks | None" = None, others: tuple = ()) -> np.ndarray:
    """A copy of the image with every known face heavily blurred (pixelated and smoothed):
    the measured person's head from its landmarks ``lm`` and the head boxes ``others`` of
    the other people found (``Result.other_faces``)."""
    img = np.ascontiguousarray(image_rgb).copy()
    boxes = list(others)
    if lm is not None:
        box = face_box(lm, img.shape[:2])
        if box is not None:
            boxes.append(box)
    h, w = img.shape[:2]
    for x0, y0, x1, y1 in boxes:
        _blur_box(img, (max(0, int(x0)), max(0, int(y0)), min(w, int(x1)), min(h, int(y1))))
    return img


def _blur_box(img: np.ndarray, box) -> None:
    x0, y0, x1, y1 = box
    if x1 - x0 < 2 or y1 - y0 < 2:
        return
    roi = img[y0:y1, x0:x1]
    small = cv2.resize(roi, (max(1, roi.shape[1] // 12), max(1, roi.shape[0] // 12)), interpolation=cv2.INTER_AREA)
    img[y0:y1, x0:x1] = cv2.GaussianBlur(cv2.resize(small, (roi.shape[1], roi.shape[0]), interpolation=cv2.INTER_LINEAR), (0, 0), 3)

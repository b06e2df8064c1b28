"""Finding the person on the table: the lying person, refined on a tighter crop.

Wiring around any :class:`PoseEstimator` (no model code here):

- If the person found is not lying down (e.g. a standing helper beside the table), that
  person is masked out and the search repeats, so the subject on the table is measured.
- A person small in the frame (far away, portrait frames) is measured again on a crop
  around them at higher resolution, which gives the detector a better view.
"""

from __future__ import annotations

from typing import Optional

import cv2
import numpy as np

from ..core.landmarks import Landmarks, PoseEstimator, PoseLandmark

#: a person whose trunk is further than this from horizontal is not the one lying down
LYING_MAX_TILT_DEG = 50.0
#: refine on a crop when the body spans less than this fraction of the image's longer side
REFINE_BELOW_FRACTION = 0.55
REFINE_TARGET_SIDE_PX = 960
MAX_PEOPLE_TRIED = 3
BODY = [int(p) for p in PoseLandmark if p >= PoseLandmark.LEFT_SHOULDER]


def trunk_tilt_deg(lm: Landmarks) -> float:
    """Trunk line's angle from the image horizontal, 0..90 deg (0 = lying, 90 = upright)."""
    P = PoseLandmark
    sh = (lm.point(P.LEFT_SHOULDER) + lm.point(P.RIGHT_SHOULDER)) / 2
    hp = (lm.point(P.LEFT_HIP) + lm.point(P.RIGHT_HIP)) / 2
    d = hp - sh
    return float(np.degrees(np.arctan2(abs(d[1]), abs(d[0]) + 1e-9)))


def body_box(lm: Landmarks, pad: float = 0.0) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) around shoulders-to-feet, padded by ``pad`` of its size, clipped."""
    pts = lm.xy[BODY]
    x0, y0 = pts.min(axis=0)
    x1, y1 = pts.max(axis=0)
    px, py = (x1 - x0) * pad, (y1 - y0) * pad
    w, h = lm.image_size
    return (int(max(0, x0 - px)), int(max(0, y0 - py)), int(min(w, x1 + px)), int(min(h, y1 + py)))


def head_box(lm: Landmarks) -> tuple[int, int, int, int]:
    """(x0, y0, x1, y1) around the face and shoulders, clipped to the image."""
    pts = lm.xy[list(range(0, 13))]  # nose .. mouth, shoulders
    c = pts.mean(axis=0)
    r = 0.6 * float(np.ptp(pts, axis=0).max()) + 4
    w, h = lm.image_size
    return (int(max(0, c[0] - r)), int(max(0, c[1] - r)), int(min(w, c[0] + r)), int(min(h, c[1] + r)))


def _offset(lm: Landmarks, dx: float, dy: float, scale: float, size: tuple[int, int]) -> Landmarks:
    return Landmarks(
        xy=lm.xy / scale + np.array([dx, dy]),
        visibility=lm.visibility,
        image_size=size,
        depth=lm.depth,
        world=lm.world,  # metric, hip-centred: a crop or a scale leaves it unchanged
    )


def refine_on_crop(rgb: np.ndarray, estimator: PoseEstimator, lm: Landmarks) -> Optional[Landmarks]:
    """Measure again on a crop around the person, upscaled; landmarks in ``rgb``'s pixels."""
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = body_box(lm, pad=0.35)
    cw, ch = x1 - x0, y1 - y0
    if cw < 16 or ch < 16:
        return None
    # square-ish crop around the centre, so the detector sees the whole body with context
    side = max(cw, ch)
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    x0, x1 = int(max(0, cx - side / 2)), int(min(w, cx + side / 2))
    y0, y1 = int(max(0, cy - side / 2)), int(min(h, cy + side / 2))
    if REFINE_TARGET_SIDE_PX / max(x1 - x0, y1 - y0) <= 1.05:
        return None  # not small: a closer look sees nothing new
    return _estimate_in_box(rgb, estimator, x0, y0, x1, y1)


def estimate_on_crop(rgb: np.ndarray, estimator: PoseEstimator, lm: Landmarks, pad: float = 0.25) -> Optional[Landmarks]:
    """Another look at the person: a crop around ``lm``'s body, brought to the model's working
    size (up or down); landmarks in ``rgb``'s pixels, or None if nobody is found in it."""
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = body_box(lm, pad=pad)
    x0, y0, x1, y1 = max(0, x0), max(0, y0), min(w, x1), min(h, y1)
    if x1 - x0 < 16 or y1 - y0 < 16:
        return None
    return _estimate_in_box(rgb, estimator, x0, y0, x1, y1)


def _estimate_in_box(rgb: np.ndarray, estimator: PoseEstimator, x0: int, y0: int, x1: int, y1: int) -> Optional[Landmarks]:
    """The model run on the box (pixels) of ``rgb`` brought to its working size (up or down);
    landmarks in ``rgb``'s pixels, or None if nobody is found in it."""
    h, w = rgb.shape[:2]
    crop = rgb[y0:y1, x0:x1]
    s = REFINE_TARGET_SIDE_PX / max(crop.shape[:2])
    size = (max(1, round(crop.shape[1] * s)), max(1, round(crop.shape[0] * s)))
    crop = cv2.resize(crop, size, interpolation=cv2.INTER_CUBIC if s > 1 else cv2.INTER_AREA)
    found = estimator.estimate(np.ascontiguousarray(crop))
    if found is None:
        return None
    return _offset(found, x0, y0, s, (w, h))


#: a body box lying this much inside an upright person's box is that same person
SAME_PERSON_INSIDE = 0.8
#: ... and this much smaller than it (the subject re-found after a merged first look is not)
SHRUNKEN_AREA_RATIO = 0.7


def _inside_fraction(box, outer) -> float:
    """Share of ``box``'s area inside ``outer`` (boxes as x0, y0, x1, y1).

    >>> _inside_fraction((10, 10, 20, 20), (0, 0, 15, 100))
    0.5
    """
    x0, y0, x1, y1 = box
    w = max(0, min(x1, outer[2]) - max(x0, outer[0]))
    h = max(0, min(y1, outer[3]) - max(y0, outer[1]))
    area = max(1, (x1 - x0) * (y1 - y0))
    return w * h / area


def _crops(h: int, w: int) -> list[tuple[int, int, int, int]]:
    """Overlapping windows (x0, y0, x1, y1), each two thirds of the image's longer side."""
    if h >= w:
        win = int(round(h * 2 / 3))
        return [(0, y, w, y + win) for y in (h - win, (h - win) // 2, 0)]
    win = int(round(w * 2 / 3))
    return [(x, 0, x + win, h) for x in ((w - win) // 2, 0, w - win)]


def search_crops(rgb: np.ndarray, estimator: PoseEstimator) -> Optional[Landmarks]:
    """Look for a person in overlapping windows, each enlarged: finds people too small for
    the detector in the whole frame (far away, portrait frames). The first lying person
    found wins; landmarks in ``rgb``'s pixels."""
    h, w = rgb.shape[:2]
    for x0, y0, x1, y1 in _crops(h, w):
        crop = rgb[y0:y1, x0:x1]
        s = max(1.0, REFINE_TARGET_SIDE_PX / max(crop.shape[:2]))
        up = cv2.resize(crop, (round(crop.shape[1] * s), round(crop.shape[0] * s)), interpolation=cv2.INTER_CUBIC) if s > 1 else crop
        lm = estimator.estimate(np.ascontiguousarray(up))
        if lm is not None and trunk_tilt_deg(lm) <= LYING_MAX_TILT_DEG:
            return _offset(lm, x0, y0, s, (w, h))
    return None


def _area(box) -> float:
    return float(max(1, box[2] - box[0]) * max(1, box[3] - box[1]))


def _iou(a, b) -> float:
    """Intersection over union of two boxes (x0, y0, x1, y1).

    >>> _iou((0, 0, 10, 10), (5, 0, 15, 10))
    0.3333333333333333
    """
    w = max(0, min(a[2], b[2]) - max(a[0], b[0]))
    h = max(0, min(a[3], b[3]) - max(a[1], b[1]))
    inter = w * h
    return inter / max(1.0, _area(a) + _area(b) - inter)


def _is_shrunken_copy(box, upright_box) -> bool:
    """A "lying" body found after masking an upright person's head, inside that person's box
    and much smaller than it, is the same person squashed - not the subject. (The subject,
    when the first look merged them with a helper, comes back about as large as that box.)

    >>> _is_shrunken_copy((87, 155, 380, 356), (47, 111, 409, 477))
    True
    >>> _is_shrunken_copy((218, 499, 842, 860), (164, 512, 837, 861))
    False
    """
    return (
        _inside_fraction(box, upright_box) >= SAME_PERSON_INSIDE
        and _area(box) / _area(upright_box) < SHRUNKEN_AREA_RATIO
    )


def median_colour(rgb: np.ndarray) -> np.ndarray:
    """The per-channel median of an (H, W, 3) uint8 image as uint8, exactly
    ``np.median(rgb.reshape(-1, 3), axis=0).astype(np.uint8)`` (for an even pixel count the
    mean of the two middle values, truncated), from each channel's histogram instead of a sort
    of every pixel (issue 17). The colour that hides a person.

    >>> median_colour(np.array([[[0, 10, 255], [3, 20, 0]]], np.uint8)).tolist()
    [1, 15, 127]
    """
    n = rgb.shape[0] * rgb.shape[1]
    out = np.empty(3, np.uint8)
    for c in range(3):
        counts = np.cumsum(cv2.calcHist([np.ascontiguousarray(rgb)], [c], None, [256], [0, 256]).ravel().astype(np.int64))
        lo = int(np.searchsorted(counts, (n - 1) // 2, side="right"))  # value at sorted index (n-1)//2
        hi = int(np.searchsorted(counts, n // 2, side="right"))  # ... and at n//2
        out[c] = np.uint8((lo + hi) / 2)
    return out


def find_lying_person(rgb: np.ndarray, estimator: PoseEstimator, refine: bool = True) -> Optional[Landmarks]:
    """The person lying down in ``rgb`` (see module doc), or None if nobody is found.

    When only upright people are found, the last one found is returned, so that the caller
    can say the person is not in the test position.
    """
    img = rgb
    first: Optional[Landmarks] = None
    upright: list = []
    for attempt in range(MAX_PEOPLE_TRIED):
        lm = estimator.estimate(img)
        if lm is None and attempt == 0 and refine:
            lm = search_crops(rgb, estimator)  # a person too small for the whole-image look
        if lm is None:
            break
        first = first or lm
        # with its head masked, an upright person can be found again as a "lying" one: a
        # body lying within an upright person's box is that same person, not the subject
        same = any(_is_shrunken_copy(body_box(lm), box) for box in upright)
        if trunk_tilt_deg(lm) <= LYING_MAX_TILT_DEG and not same:
            if refine:
                x0, y0, x1, y1 = body_box(lm)
                if max(x1 - x0, y1 - y0) < REFINE_BELOW_FRACTION * max(rgb.shape[:2]):
                    lm2 = refine_on_crop(rgb, estimator, lm)
                    # keep the closer look only if it is the same lying person
                    if lm2 is not None and trunk_tilt_deg(lm2) <= LYING_MAX_TILT_DEG and _iou(body_box(lm2), body_box(lm)) >= 0.5:
                        lm = lm2
            return lm
        # an upright person (a helper?): hide their head and shoulders - what the
        # face-based person detector locks on to - and look again
        if not same:
            upright.append(body_box(lm))
        x0, y0, x1, y1 = head_box(lm)
        img = img.copy()
        img[y0:y1, x0:x1] = median_colour(img)
    return first


def other_people(rgb: np.ndarray, estimator: PoseEstimator, subject: Landmarks,
                 max_people: int = MAX_PEOPLE_TRIED) -> list[Landmarks]:
    """Other people in the photo (a helper, a second patient), for blurring their faces:
    the subject's body is hidden, the model looks again, each person found is hidden in
    turn, up to ``max_people``. Each look costs one model pass (one when nobody else is
    there). BlazePose's person detector keys on faces: people it does not find (facing
    away, very small, cut off) are not returned."""
    img = rgb.copy()
    fill = median_colour(rgb)
    found: list[Landmarks] = []
    x0, y0, x1, y1 = body_box(subject, pad=0.1)
    hx0, hy0, hx1, hy1 = head_box(subject)
    img[min(y0, hy0):max(y1, hy1), min(x0, hx0):max(x1, hx1)] = fill
    boxes = [body_box(subject)]
    for _ in range(max_people):
        lm = estimator.estimate(img)
        if lm is None:
            break
        box = body_box(lm)
        if any(_iou(box, b) > 0.5 for b in boxes):  # the same body again: nobody new
            break
        found.append(lm)
        boxes.append(box)
        for bx0, by0, bx1, by1 in (head_box(lm), body_box(lm, pad=0.1)):
            img[by0:by1, bx0:bx1] = fill
    return found


#: BlazePose index of each landmark's mirror twin (left <-> right)
MIRROR = list(range(33))
for _a, _b in [(1, 4), (2, 5), (3, 6), (7, 8), (9, 10), (11, 12), (13, 14), (15, 16), (17, 18), (19, 20),
               (21, 22), (23, 24), (25, 26), (27, 28), (29, 30), (31, 32)]:
    MIRROR[_a], MIRROR[_b] = _b, _a


def estimate_mirrored(rgb: np.ndarray, estimator: PoseEstimator) -> Optional[Landmarks]:
    """Landmarks found in the mirror image, mapped back into ``rgb``'s pixels (x flipped,
    left/right labels swapped back). A test-time flip: a second, partly independent look."""
    w = rgb.shape[1]
    lm = estimator.estimate(np.ascontiguousarray(rgb[:, ::-1]))
    if lm is None:
        return None
    xy = lm.xy.copy()
    xy[:, 0] = w - xy[:, 0]
    return Landmarks(
        xy=xy[MIRROR], visibility=lm.visibility[MIRROR], image_size=lm.image_size,
        depth=None if lm.depth is None else lm.depth[MIRROR],
        world=None if lm.world is None else lm.world[MIRROR] * np.array([-1.0, 1.0, 1.0]),
    )

"""One reading, one skeleton: several looks at the same pose combined as whole skeletons. Pure.

A *look* is one set of landmarks of the same person in the same pose, in the same image's
pixels: the photo, its mirror image mapped back, a crop, or the frames of a held position in a
video. Taking the median of each angle on its own mixes looks that saw different legs (the side
label from one, the knee angle from another) and leaves the overlay showing landmarks that no
printed number came from. Instead:

1. every look is measured as a whole (which leg hangs, which ankle goes with it, the side);
2. looks *agree* when they give the same tested side, their hanging knee and ankle lie close
   together (``LOOKS_AGREE_TRUNK_FRACTION`` of the trunk) and both angles agree within
   ``LOOKS_AGREE_DEG``;
3. the group kept is the largest set of agreeing looks, preferring a look in the test
   position (:mod:`thomas_cv.core.validity`) and body proportions, then the earlier look; the other
   looks are discarded;
4. the kept looks are put in one labelling (the hanging leg in the same BlazePose slots) and
   their landmarks averaged: **one** skeleton, measured once. Angles, side, flags, confidence
   and the overlay all come from it;
5. how far the kept looks differ (``spread``) and whether any look was discarded widen the
   uncertainty and lower the confidence (:func:`thomas_cv.core.measure.with_calibrated_uncertainty`).

No model calls here: the caller passes the landmarks and a ``measure_fn`` (landmarks ->
:class:`~thomas_cv.core.measure.Measurement`, e.g. measure against the resolved reference).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Callable, Optional, Sequence

import numpy as np

from . import constants as C
from .errors import LandmarkNotVisibleError, ThomasCVError
from .landmarks import Landmarks, PoseLandmark
from .measure import Measurement
from .validity import test_position

P = PoseLandmark
#: BlazePose slots of each leg joint, by label
_HIP_KNEE = {"left": (P.LEFT_HIP, P.LEFT_KNEE), "right": (P.RIGHT_HIP, P.RIGHT_KNEE)}
_FOOT = {"left": (P.LEFT_ANKLE, P.LEFT_HEEL, P.LEFT_FOOT_INDEX),
         "right": (P.RIGHT_ANKLE, P.RIGHT_HEEL, P.RIGHT_FOOT_INDEX)}


@dataclass(frozen=True)
class Fusion:
    """The combined reading.

    ``measurement``: measured once on ``landmarks``, the averaged skeleton of the looks in
    ``used`` (indices into the looks given); ``discarded``: looks that disagreed or could not be
    measured; ``spread_thigh_deg``/``spread_knee_deg``: largest difference between the kept
    looks' angles (None with a single kept look).
    """

    measurement: Measurement
    landmarks: Landmarks
    used: tuple
    discarded: tuple
    spread_thigh_deg: Optional[float] = None
    spread_knee_deg: Optional[float] = None

    @property
    def looks_disagreed(self) -> bool:
        return bool(self.discarded)

    def to_dict(self) -> dict:
        r = lambda v: None if v is None else round(float(v), 1)  # noqa: E731
        return {"used": list(self.used), "discarded": list(self.discarded),
                "spread_thigh_deg": r(self.spread_thigh_deg), "spread_knee_deg": r(self.spread_knee_deg)}


def _trunk_len(m: Measurement) -> float:
    sh, hc = (np.asarray(m.points[k], float) for k in ("shoulder_centre", "hip_centre"))
    return max(float(np.linalg.norm(hc - sh)), 1e-6)


def agree(a: Measurement, b: Measurement) -> bool:
    """True when two looks saw the same hanging leg the same way (see the module doc)."""
    if a.side != b.side or a.head_towards != b.head_towards:
        return False
    tol = C.LOOKS_AGREE_TRUNK_FRACTION * min(_trunk_len(a), _trunk_len(b))
    for k in ("knee", "ankle"):
        if np.linalg.norm(np.asarray(a.points[k], float) - np.asarray(b.points[k], float)) > tol:
            return False
    return (abs(a.thigh_angle_deg - b.thigh_angle_deg) < C.LOOKS_AGREE_DEG
            and abs(a.knee_flexion_deg - b.knee_flexion_deg) < C.LOOKS_AGREE_DEG)


def _plausibility(m: Measurement) -> float:
    """How far the shank-to-thigh length ratio is from the body's (0 = as expected); a
    misplaced knee or ankle distorts it (Drillis & Contini 1966)."""
    hip, knee, ankle = (np.asarray(m.points[k], float) for k in ("hip", "knee", "ankle"))
    ratio = np.linalg.norm(ankle - knee) / max(float(np.linalg.norm(knee - hip)), 1e-9)
    return float(abs(np.log(max(ratio, 1e-9) / C.SHANK_TO_THIGH_RATIO)))


def relabel(lm: Landmarks, m: Measurement, labels: tuple) -> Landmarks:
    """``lm`` with its legs' BlazePose labels swapped so that the hanging leg (hip and knee) and
    its ankle sit in the slots ``labels`` = (hip/knee label, ankle label): one labelling for all
    looks (a look may call the hanging leg left, another right; or pair the ankles the other way)."""
    xy, vis = lm.xy.copy(), lm.visibility.copy()
    depth = None if lm.depth is None else lm.depth.copy()
    world = None if lm.world is None else lm.world.copy()
    own_leg, own_ankle = m.leg_labels
    swaps = []
    if own_leg != labels[0]:
        swaps += list(zip(_HIP_KNEE["left"], _HIP_KNEE["right"]))
    if own_ankle != labels[1]:
        swaps += list(zip(_FOOT["left"], _FOOT["right"]))
    for i, j in swaps:
        for arr in (xy, vis) + tuple(a for a in (depth, world) if a is not None):
            arr[[int(i), int(j)]] = arr[[int(j), int(i)]]
    return Landmarks(xy=xy, visibility=vis, image_size=lm.image_size, depth=depth, world=world)


def _usable(lm: Landmarks) -> bool:
    return bool(np.all(np.isfinite(lm.visibility)) and (lm.depth is None or np.all(np.isfinite(lm.depth))))


def fuse_looks(looks: Sequence[Optional[Landmarks]], measure_fn: Callable[[Landmarks], Measurement]) -> Fusion:
    """Combine ``looks`` (None entries: no look) into one reading (see the module doc).

    ``measure_fn`` measures one set of landmarks (raising :class:`ThomasCVError` when it
    cannot). Raises the first look's error when no look can be measured.
    """
    measured: list[tuple[int, Landmarks, Measurement]] = []
    first_error: Optional[ThomasCVError] = None
    for i, lm in enumerate(looks):
        if lm is None:
            continue
        if not _usable(lm):
            first_error = first_error or LandmarkNotVisibleError(
                "The pose model gave no usable value for some joints: they cannot be judged.")
            continue
        try:
            measured.append((i, lm, measure_fn(lm)))
        except ThomasCVError as exc:
            first_error = first_error or exc
    if not measured:
        raise first_error or LandmarkNotVisibleError("No look at the person could be measured.")
    ms = [m for _, _, m in measured]
    n = len(ms)
    ok = np.array([[agree(ms[a], ms[b]) if a != b else True for b in range(n)] for a in range(n)])
    in_test = [test_position(m).is_test_position for m in ms]

    def rank(a: int):  # best first: in the test position, most agreeing, proportions, earliest
        group = np.flatnonzero(ok[a])
        return (not in_test[a], -len(group), round(_plausibility(ms[a]), 2), a)

    anchor = min(range(n), key=rank)
    group = [b for b in range(n) if ok[anchor, b] and (b == anchor or in_test[b] or not in_test[anchor])]
    labels = ms[anchor].leg_labels
    kept = [relabel(measured[b][1], ms[b], labels) for b in group]
    xy = np.mean([k.xy for k in kept], axis=0)
    vis = np.mean([k.visibility for k in kept], axis=0)
    depths = [k.depth for k in kept]
    depth = None if any(d is None for d in depths) else np.mean(depths, axis=0)
    worlds = [k.world for k in kept]
    world = None if any(w_ is None for w_ in worlds) else np.mean(worlds, axis=0)
    fused_lm = Landmarks(xy=xy, visibility=vis, image_size=measured[anchor][1].image_size, depth=depth,
                         world=world)
    try:
        fused = measure_fn(fused_lm)
    except ThomasCVError:
        fused = None
    if fused is None or not agree(fused, ms[anchor]):  # averaging must not make a new pose
        group, fused_lm, fused = [anchor], measured[anchor][1], ms[anchor]
    spread_t = spread_k = None
    if len(group) > 1:
        spread_t = float(np.ptp([ms[b].thigh_angle_deg for b in group]))
        spread_k = float(np.ptp([ms[b].knee_flexion_deg for b in group]))
    used = tuple(measured[b][0] for b in group)
    discarded = tuple(i for i, lm in enumerate(looks) if lm is not None and i not in used)
    if discarded:
        fused = dataclasses.replace(fused, confidence=fused.confidence * C.LOOKS_DISAGREE_CONFIDENCE_FACTOR)
    fused = dataclasses.replace(fused, flip_delta_thigh_deg=spread_t, flip_delta_knee_deg=spread_k,
                                looks_disagreed=bool(discarded))
    return Fusion(fused, fused_lm, used, discarded, spread_t, spread_k)


__all__ = ["Fusion", "agree", "fuse_looks", "relabel"]

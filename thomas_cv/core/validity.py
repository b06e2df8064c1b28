"""Is this a Thomas test? The one place that says so, before anything is graded. Pure.

A reading is the test position only when, positively:

- the trunk lies along the table (``TEST_TRUNK_MAX_DEG``),
- the other hip is drawn up (at least ``TEST_HUGGED_HIP_FLEXION_MIN_DEG``; clearly under
  ``HUGGED_HIP_FLEXION_MIN_DEG``, i.e. under ``HUGGED_HIP_FLEXION_NOT_ASSESSABLE_DEG`` as
  measured, the pelvis is not flat: the findings are not assessable),
- the tested thigh lies within a plausible range of the horizontal,
- the knee is bent and the shank hangs down towards the floor.

Photographed from the far side (the hanging leg behind the hugged one), a reading on which the
looks at the photo disagreed is not graded either: no confident reading of a hidden leg.

A photo from the front gets the same positive check on its own landmarks
(:func:`front_test_position`). Anything else is not the test position: a photo is refused (``not_test_position``) and a video
frame is never chosen as the held position. Thresholds and their reasoning:
:mod:`thomas_cv.core.constants`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

import numpy as np

from . import constants as C
from .errors import NotTestPositionError, ThomasCVError
from .landmarks import LEG, Landmarks, PoseLandmark
from .measure import Measurement


@dataclass(frozen=True)
class Verdict:
    """``refusal``: why this is not the test position (None when it is);
    ``not_assessable``: why the findings cannot be graded although it is (None when they can)."""

    refusal: Optional[str] = None
    not_assessable: Optional[str] = None

    @property
    def is_test_position(self) -> bool:
        return self.refusal is None

    def to_dict(self) -> dict:
        return {"refusal": self.refusal, "not_assessable": self.not_assessable}


def _finite(*values) -> bool:
    return all(v is not None and math.isfinite(float(v)) for v in values)


def test_position(m: Measurement) -> Verdict:
    """The verdict on one reading (see the module docstring)."""
    if not _finite(m.trunk_angle_deg, m.hugged_hip_flexion_deg, m.thigh_angle_deg, m.knee_flexion_deg,
                   m.shank_angle_deg, m.confidence):
        return Verdict("Some angles could not be computed (the pose model gave no usable value): "
                       "not graded. Retake the photo with the whole body in view.")
    reasons = []
    if abs(m.trunk_angle_deg) > C.TEST_TRUNK_MAX_DEG:
        reasons.append(f"the trunk is {abs(m.trunk_angle_deg):.0f} deg off the table line "
                       f"(at most {C.TEST_TRUNK_MAX_DEG:.0f})")
    if m.hugged_hip_flexion_deg < C.TEST_HUGGED_HIP_FLEXION_MIN_DEG:
        reasons.append(f"the other knee is not drawn up ({m.hugged_hip_flexion_deg:.0f} deg hip flexion, "
                       f"the test needs about {C.HUGGED_HIP_FLEXION_MIN_DEG:.0f} or more)")
    if not C.TEST_THIGH_MIN_DEG <= m.thigh_angle_deg <= C.TEST_THIGH_MAX_DEG:
        reasons.append(f"the hanging thigh is {abs(m.thigh_angle_deg):.0f} deg "
                       f"{'below' if m.thigh_angle_deg > 0 else 'above'} the horizontal")
    if m.knee_flexion_deg < C.TEST_KNEE_FLEXION_MIN_DEG:
        reasons.append(f"the knee is almost straight ({m.knee_flexion_deg:.0f} deg flexion)")
    elif m.shank_angle_deg < C.TEST_SHANK_MIN_BELOW_HORIZONTAL_DEG:
        reasons.append("the lower leg does not hang down towards the floor")
    if reasons:
        return Verdict(
            "This does not look like the Thomas test position: " + "; ".join(reasons) + ". Photograph the "
            "person lying on the back at the table end, one knee hugged to the chest, the other leg hanging, "
            "from the side of the hanging leg with the whole body in view."
        )
    if m.looks_disagreed and "far_side_view" in m.flag_codes:
        return Verdict(not_assessable=(
            "Seen from the far side, the hanging leg is partly hidden and the looks at this photo disagree "
            "about it: the angles cannot be trusted. Photograph from the side of the hanging leg."
        ))
    if m.hugged_hip_flexion_deg < C.HUGGED_HIP_FLEXION_NOT_ASSESSABLE_DEG:
        return Verdict(not_assessable=(
            f"The other knee is not drawn up to the chest enough ({m.hugged_hip_flexion_deg:.0f} deg hip flexion, "
            f"at least {C.HUGGED_HIP_FLEXION_MIN_DEG:.0f} needed): the pelvis may not be flat, so the hanging leg "
            "cannot be judged. Re-test with the knee hugged closer."
        ))
    return Verdict()


def front_test_position(lm: Landmarks) -> Verdict:
    """The same positive check for a photo from the front (foot end or above the thigh), from
    the landmarks levelled on the hip line (:mod:`thomas_cv.core.front`): the other knee drawn up
    above the hips, the hanging knee clearly lower than it, the shoulders not below the hips."""
    from .front import _frame  # the front view's own levelled frame: one definition of it

    if not (np.all(np.isfinite(lm.visibility)) and (lm.depth is None or np.all(np.isfinite(lm.depth)))):
        return Verdict("The pose model gave no usable value for some joints: not graded.")
    try:
        fr = _frame(lm)
    except ThomasCVError as exc:
        return Verdict(str(exc))
    xy = fr.xy
    leg = max(float(np.linalg.norm(xy[LEG[s][1]] - xy[LEG[s][0]]) + np.linalg.norm(xy[LEG[s][2]] - xy[LEG[s][1]]))
              for s in ("left", "right"))
    if not leg > 0:
        return Verdict("The legs cannot be placed: not graded.")
    P = PoseLandmark
    hips = (xy[P.LEFT_HIP] + xy[P.RIGHT_HIP]) / 2
    shoulders = (xy[P.LEFT_SHOULDER] + xy[P.RIGHT_SHOULDER]) / 2
    reasons = []
    if (hips[1] - xy[fr.other_knee][1]) / leg < C.FRONT_HUGGED_KNEE_ABOVE_HIPS_MIN:
        reasons.append("the other knee is not drawn up above the hips")
    if (xy[fr.knee][1] - xy[fr.other_knee][1]) / leg < C.FRONT_KNEE_GAP_MIN:
        reasons.append("the two knees are at about the same height (no leg hanging)")
    if (shoulders[1] - hips[1]) / leg > C.FRONT_SHOULDERS_BELOW_HIPS_MAX:
        reasons.append("the shoulders are below the hips")
    if reasons:
        return Verdict(
            "This does not look like the Thomas test position seen from the front: " + "; ".join(reasons)
            + ". Photograph the person lying on the back at the table end, one knee hugged to the chest, the "
            "other leg hanging, from the foot end of the table or from above the hanging thigh."
        )
    return Verdict()


def require_test_position(m: Measurement, name: str = "") -> Verdict:
    """The verdict, or :class:`NotTestPositionError` when this is not the test position."""
    v = test_position(m)
    if v.refusal is not None:
        raise NotTestPositionError(f"{name + ': ' if name else ''}{v.refusal}")
    return v


test_position.__test__ = False  # not a pytest test, whatever its name
front_test_position.__test__ = False

__all__ = ["Verdict", "front_test_position", "test_position", "require_test_position"]

"""Correcting points by hand: move the measured hip, knee, ankle, hugged knee or shoulder of
a result to where the clinician puts them, as new landmarks for
:func:`thomas_cv.pipeline.photo.analyze_landmarks`. Pure (numpy): no maths of angles here.
"""

from __future__ import annotations

from typing import Mapping

import numpy as np

from ..core.landmarks import Landmarks, PoseLandmark as P

#: the points a clinician may move, and the landmarks each may be (the nearest one is moved)
MOVABLE = {
    "hip": (P.LEFT_HIP, P.RIGHT_HIP),
    "knee": (P.LEFT_KNEE, P.RIGHT_KNEE),
    "ankle": (P.LEFT_ANKLE, P.RIGHT_ANKLE),
    "hugged_knee": (P.LEFT_KNEE, P.RIGHT_KNEE),
    "shoulder_centre": (P.LEFT_SHOULDER, P.RIGHT_SHOULDER),  # both shoulders move together
}


def _assign(lm: Landmarks, measured: Mapping[str, list]) -> dict:
    """Which landmark index each measured point stands for: the nearest candidate not
    already taken (so the hanging and the hugged knee never share one)."""
    taken: set = set()
    out = {}
    for name, cands in MOVABLE.items():
        if name == "shoulder_centre" or name not in measured:
            continue
        at = np.asarray(measured[name], float)
        free = [int(i) for i in cands if int(i) not in taken]
        i = min(free, key=lambda j: float(np.linalg.norm(lm.xy[j] - at)))
        taken.add(i)
        out[name] = i
    return out


def move_points(lm: Landmarks, measured: Mapping[str, list], moves: Mapping[str, tuple]) -> Landmarks:
    """New landmarks with the measured points in ``moves`` ({name: (x, y)}, names of
    :data:`MOVABLE`, pixels of ``lm``) put at their new places. ``measured``: the result's
    measured points (``Measurement.points``): they say which landmark each name stands for
    (the nearest candidate; the tested leg is chosen by geometry, not by label), and the
    points not moved stay where the result showed them (what was seen is what is measured).
    A moved point counts as fully visible (a person placed it). Raises ``ValueError`` for
    unknown names or non-finite places.

    >>> import numpy as np
    >>> lm = Landmarks(np.zeros((33, 2)) + 50, np.full(33, 0.4), (100, 100))
    >>> new = move_points(lm, {"knee": [50, 50]}, {"knee": (70, 80)})
    >>> new.xy[25].tolist(), float(new.visibility[25]), lm.xy[25].tolist()
    ([70.0, 80.0], 1.0, [50.0, 50.0])
    """
    xy, vis = lm.xy.copy(), lm.visibility.copy()
    index = _assign(lm, measured)
    for name, i in index.items():
        xy[i] = np.asarray(measured[name], float)
    for name, to in moves.items():
        if name not in MOVABLE:
            raise ValueError(f"cannot move {name!r}: movable points are {', '.join(MOVABLE)}")
        to = np.asarray(to, float)
        if to.shape != (2,) or not np.all(np.isfinite(to)):
            raise ValueError(f"{name}: the new place must be two finite numbers")
        if name == "shoulder_centre":
            idx = [int(i) for i in MOVABLE[name]]
            xy[idx] += to - xy[idx].mean(axis=0)
            vis[idx] = 1.0
        elif name in index:
            xy[index[name]], vis[index[name]] = to, 1.0
        else:
            raise ValueError(f"{name}: the result has no such measured point")
    return Landmarks(xy=xy, visibility=vis, image_size=lm.image_size, depth=lm.depth)


def movable_points(measured: Mapping[str, list]) -> dict:
    """The measured points a clinician can move ({name: [x, y]}), for a correction UI."""
    return {k: [float(v) for v in measured[k]] for k in MOVABLE if k in measured}

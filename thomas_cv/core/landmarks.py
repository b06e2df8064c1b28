"""Pose landmarks as the rest of the package sees them: no model code here."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Optional, Protocol

import numpy as np


class PoseLandmark(IntEnum):
    """BlazePose's 33 landmark indices (the subset and names this tool uses).

    ``LEFT``/``RIGHT`` are the person's own sides, as BlazePose labels them.
    """

    NOSE = 0
    LEFT_EAR = 7
    RIGHT_EAR = 8
    LEFT_SHOULDER = 11
    RIGHT_SHOULDER = 12
    LEFT_ELBOW = 13
    RIGHT_ELBOW = 14
    LEFT_WRIST = 15
    RIGHT_WRIST = 16
    LEFT_HIP = 23
    RIGHT_HIP = 24
    LEFT_KNEE = 25
    RIGHT_KNEE = 26
    LEFT_ANKLE = 27
    RIGHT_ANKLE = 28
    LEFT_HEEL = 29
    RIGHT_HEEL = 30
    LEFT_FOOT_INDEX = 31
    RIGHT_FOOT_INDEX = 32


NUM_LANDMARKS = 33

#: BlazePose's names of all 33 landmarks, by index (the keys of the JSON ``landmarks`` field)
LANDMARK_NAMES = (
    "nose", "left_eye_inner", "left_eye", "left_eye_outer", "right_eye_inner", "right_eye",
    "right_eye_outer", "left_ear", "right_ear", "mouth_left", "mouth_right", "left_shoulder",
    "right_shoulder", "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_pinky",
    "right_pinky", "left_index", "right_index", "left_thumb", "right_thumb", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle", "left_heel", "right_heel",
    "left_foot_index", "right_foot_index",
)

#: joints of one leg, by side, in the order hip, knee, ankle
LEG = {
    "left": (PoseLandmark.LEFT_HIP, PoseLandmark.LEFT_KNEE, PoseLandmark.LEFT_ANKLE),
    "right": (PoseLandmark.RIGHT_HIP, PoseLandmark.RIGHT_KNEE, PoseLandmark.RIGHT_ANKLE),
}
SHOULDER = {"left": PoseLandmark.LEFT_SHOULDER, "right": PoseLandmark.RIGHT_SHOULDER}
#: the joints both views are measured from (``measure.py``'s needed joints, ``front.py``): the two
#: shoulders, hips, knees and ankles. Points placed by hand on a photo the model did not read must
#: give at least these (:meth:`Landmarks.from_dict`).
BODY_JOINTS = (SHOULDER["left"], SHOULDER["right"], *LEG["left"], *LEG["right"])


def other_side(side: str) -> str:
    """The opposite side.

    >>> other_side("left")
    'right'
    """
    return {"left": "right", "right": "left"}[side]


@dataclass(frozen=True, eq=False)
class Landmarks:
    """One person's landmarks in one image.

    ``xy``: (33, 2) pixel coordinates, origin top-left, y down (may lie outside the image).
    ``visibility``: (33,) BlazePose visibility, 0..1.
    ``image_size``: (width, height) in pixels of the image the coordinates refer to.
    ``depth``: optional (33,) relative depth (BlazePose z, smaller = nearer the camera,
    in units of about the image width).
    ``world``: optional (33, 3) metric 3-D landmarks (BlazePose's world landmarks: metres,
    origin between the hips, axes as the camera sees them: x right, y down, z away from the
    camera). Independent of the image's pixels (crops and scaling leave them unchanged).
    """

    xy: np.ndarray
    visibility: np.ndarray
    image_size: tuple[int, int]
    depth: Optional[np.ndarray] = None
    world: Optional[np.ndarray] = None

    def __post_init__(self):
        if self.xy.shape != (NUM_LANDMARKS, 2):
            raise ValueError(f"xy must have shape (33, 2), got {self.xy.shape}")
        if self.visibility.shape != (NUM_LANDMARKS,):
            raise ValueError(f"visibility must have shape (33,), got {self.visibility.shape}")
        if not np.all(np.isfinite(self.xy)):
            raise ValueError("landmark coordinates must be finite")
        if self.world is not None and self.world.shape != (NUM_LANDMARKS, 3):
            raise ValueError(f"world must have shape (33, 3), got {self.world.shape}")

    def point(self, lm: PoseLandmark) -> np.ndarray:
        return self.xy[int(lm)]

    def vis(self, lm: PoseLandmark) -> float:
        return float(self.visibility[int(lm)])

    def inside(self) -> np.ndarray:
        """(33,) booleans: which landmarks lie inside the image (edges included)."""
        w, h = self.image_size
        x, y = self.xy[:, 0], self.xy[:, 1]
        return (x >= 0) & (x <= w) & (y >= 0) & (y <= h)

    def scaled(self, factor: float) -> "Landmarks":
        """The same landmarks for an image scaled by ``factor``."""
        w, h = self.image_size
        return Landmarks(
            xy=self.xy * factor,
            visibility=self.visibility,
            image_size=(int(round(w * factor)), int(round(h * factor))),
            depth=self.depth,
            world=self.world,
        )

    def to_dict(self) -> dict:
        """The JSON ``landmarks`` field: ``image_size`` [w, h] and ``points`` {name: {x, y,
        visibility}} for all 33 landmarks, in the pixels of the image that was measured. The
        same format is read back by :meth:`from_dict` (``--landmarks FILE.json``).

        >>> import numpy as np
        >>> lm = Landmarks(np.arange(66.0).reshape(33, 2), np.ones(33), (640, 480))
        >>> d = lm.to_dict(); d["image_size"], d["points"]["left_knee"]
        ([640, 480], {'x': 50.0, 'y': 51.0, 'visibility': 1.0})
        >>> np.array_equal(Landmarks.from_dict(d).xy, lm.xy)
        True
        """
        return {
            "image_size": [int(self.image_size[0]), int(self.image_size[1])],
            "points": {
                name: {
                    "x": round(float(self.xy[i][0]), 2),
                    "y": round(float(self.xy[i][1]), 2),
                    "visibility": round(float(self.visibility[i]), 3),
                }
                for i, name in enumerate(LANDMARK_NAMES)
            },
        }

    @classmethod
    def from_dict(cls, d: dict, base: Optional["Landmarks"] = None) -> "Landmarks":
        """Landmarks from the JSON ``landmarks`` field (see :meth:`to_dict`).

        Points may be given as ``{x, y[, visibility]}`` or ``[x, y]``. Landmarks missing from
        ``points`` are taken from ``base`` (e.g. the model's own reading of the same photo).
        Without a base the :data:`BODY_JOINTS` must be given; the other landmarks, which no
        measurement uses, are then put where a body has them (:func:`_stand_ins`) with
        visibility 0 (not seen). A hand-placed point without a visibility counts as fully
        visible. Raises ``ValueError`` with a plain message on a malformed file.

        >>> pts = {n: [100.0 + 10 * i, 200.0] for i, n in enumerate(LANDMARK_NAMES) if i in BODY_JOINTS}
        >>> lm = Landmarks.from_dict({"image_size": [640, 480], "points": pts})
        >>> lm.xy[PoseLandmark.LEFT_KNEE].tolist(), float(lm.visibility[PoseLandmark.LEFT_KNEE]), float(lm.visibility[0])
        ([350.0, 200.0], 1.0, 0.0)
        """
        if not isinstance(d, dict) or not isinstance(d.get("points"), dict):
            raise ValueError("landmarks: expected an object with 'image_size' [width, height] and 'points' "
                             "{name: {\"x\": ..., \"y\": ...}}.")
        size = d.get("image_size") or (base.image_size if base is not None else None)
        if size is None or len(size) != 2:
            raise ValueError("landmarks: 'image_size' [width, height] is missing: give the size, in pixels, of the "
                             "photo the points were placed on.")
        w, h = float(size[0]), float(size[1])
        if not (w > 0 and h > 0):
            raise ValueError("landmarks: 'image_size' must be two positive numbers.")
        if base is not None:
            f = w / base.image_size[0]  # base scaled into the file's pixels
            xy, vis = base.xy * f, base.visibility.copy()
        else:
            xy, vis = np.zeros((NUM_LANDMARKS, 2)), np.zeros(NUM_LANDMARKS)
        unknown = sorted(set(d["points"]) - set(LANDMARK_NAMES))
        if unknown:
            raise ValueError(f"landmarks: unknown point name(s) {', '.join(unknown)}; use BlazePose's names, e.g. left_knee.")
        for name, p in d["points"].items():
            i = LANDMARK_NAMES.index(name)
            try:
                if isinstance(p, dict):
                    x, y, v = float(p["x"]), float(p["y"]), float(p.get("visibility", 1.0))
                elif isinstance(p, (str, bytes)):
                    raise TypeError("a text, not two numbers")
                else:
                    x, y = float(p[0]), float(p[1])
                    v = float(p[2]) if len(p) > 2 else 1.0
            except (KeyError, TypeError, ValueError, IndexError) as exc:
                raise ValueError(f"landmarks: point {name!r} is not an x, y pair: write it as "
                                 "{\"x\": 512, \"y\": 300} or [512, 300] (pixels).") from exc
            if not (np.isfinite(x) and np.isfinite(y)):
                raise ValueError(f"landmarks: point {name!r} is not finite.")
            xy[i], vis[i] = (x, y), min(max(v, 0.0), 1.0)
        missing = [n for n in LANDMARK_NAMES if n not in d["points"]]
        if missing and base is None:
            need = [LANDMARK_NAMES[i] for i in BODY_JOINTS if LANDMARK_NAMES[i] in missing]
            if need:
                raise ValueError(f"landmarks: point(s) missing: {', '.join(need)}. Without the model's reading of "
                                 "the photo, give at least both shoulders, hips, knees and ankles (left_shoulder, "
                                 "right_shoulder, left_hip, ..., right_ankle).")
            xy, vis = _stand_ins(xy, vis, set(d["points"]))
        return cls(xy=xy, visibility=vis, image_size=(int(round(w)), int(round(h))),
                   depth=None if base is None else base.depth, world=None if base is None else base.world)


def _stand_ins(xy: np.ndarray, vis: np.ndarray, given: set) -> tuple[np.ndarray, np.ndarray]:
    """Places for the landmarks not given by hand (with the :data:`BODY_JOINTS` given): the
    face beyond the shoulders along the trunk (where a saved image's face is blurred; or at
    the face points given), elbows, wrists and hands at their shoulder, heels and toes at
    their ankle; visibility 0. No measurement uses them."""
    xy, vis = xy.copy(), vis.copy()
    P = PoseLandmark
    sh = (xy[P.LEFT_SHOULDER] + xy[P.RIGHT_SHOULDER]) / 2
    hip = (xy[P.LEFT_HIP] + xy[P.RIGHT_HIP]) / 2
    face_given = [i for i in range(11) if LANDMARK_NAMES[i] in given]
    head = xy[face_given].mean(axis=0) if face_given else sh + 0.4 * (sh - hip)
    for i, name in enumerate(LANDMARK_NAMES):
        if name in given:
            continue
        if i <= 10:
            xy[i] = head
        elif i <= 22:  # shoulders (given), elbows, wrists, hands: by the name's side
            xy[i] = xy[SHOULDER["left" if name.startswith("left") else "right"]]
        elif i >= 29:  # heels and toes
            xy[i] = xy[LEG["left" if name.startswith("left") else "right"][2]]
        vis[i] = 0.0
    return xy, vis


class PoseEstimator(Protocol):
    """Anything that finds one person's landmarks in an RGB image.

    ``estimate`` takes an (H, W, 3) uint8 RGB array and returns :class:`Landmarks` in that
    image's pixel coordinates, or ``None`` when no person is found. ``timestamp_ms``: the
    frame's time in a video (ms, increasing), for estimators that track; photos pass None.
    """

    def estimate(self, image_rgb: np.ndarray, timestamp_ms: Optional[int] = None) -> Optional[Landmarks]: ...

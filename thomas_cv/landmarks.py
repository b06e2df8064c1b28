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

#: joints of one leg, by side, in the order hip, knee, ankle
LEG = {
    "left": (PoseLandmark.LEFT_HIP, PoseLandmark.LEFT_KNEE, PoseLandmark.LEFT_ANKLE),
    "right": (PoseLandmark.RIGHT_HIP, PoseLandmark.RIGHT_KNEE, PoseLandmark.RIGHT_ANKLE),
}
SHOULDER = {"left": PoseLandmark.LEFT_SHOULDER, "right": PoseLandmark.RIGHT_SHOULDER}


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
    """

    xy: np.ndarray
    visibility: np.ndarray
    image_size: tuple[int, int]
    depth: Optional[np.ndarray] = None

    def __post_init__(self):
        if self.xy.shape != (NUM_LANDMARKS, 2):
            raise ValueError(f"xy must have shape (33, 2), got {self.xy.shape}")
        if self.visibility.shape != (NUM_LANDMARKS,):
            raise ValueError(f"visibility must have shape (33,), got {self.visibility.shape}")
        if not np.all(np.isfinite(self.xy)):
            raise ValueError("landmark coordinates must be finite")

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
        )

    def to_dict(self) -> dict:
        return {
            lm.name.lower(): {
                "x": round(float(self.xy[lm][0]), 1),
                "y": round(float(self.xy[lm][1]), 1),
                "visibility": round(float(self.visibility[lm]), 3),
            }
            for lm in PoseLandmark
        }


class PoseEstimator(Protocol):
    """Anything that finds one person's landmarks in an RGB image.

    ``estimate`` takes an (H, W, 3) uint8 RGB array and returns :class:`Landmarks` in that
    image's pixel coordinates, or ``None`` when no person is found.
    """

    def estimate(self, image_rgb: np.ndarray) -> Optional[Landmarks]: ...

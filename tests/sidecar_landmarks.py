"""Landmarks from a sample photo's sidecar (the rig's projected joint centres): a fake
estimator that "sees" the real joints of a rendered photo, for tests without the model."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from synthetic_landmarks import FakeEstimator
from thomas_cv.core.landmarks import NUM_LANDMARKS, Landmarks, PoseLandmark as P

ROOT = Path(__file__).resolve().parents[1]
SAMPLES = ROOT / "sample_images"


def sidecar_landmarks(photo, knee_offset=(0.0, 0.0)) -> Landmarks:
    """Landmarks at the sidecar's keypoints (image pixels); the face beyond the shoulders,
    the rest at the hip centre. ``knee_offset``: moves the tested knee (a model's mistake)."""
    meta = json.loads(Path(photo).with_suffix(".json").read_text())
    kp = {k: np.asarray(v, float) for k, v in meta["keypoints_px"].items()}
    hip_c = (kp["left_hip"] + kp["right_hip"]) / 2
    sh_c = (kp["left_shoulder"] + kp["right_shoulder"]) / 2
    xy = np.tile(hip_c, (NUM_LANDMARKS, 1))
    trunk = float(np.linalg.norm(sh_c - hip_c))
    xy[:11] = sh_c + (sh_c - hip_c) * 0.4 + (0.0, -0.12 * trunk)  # the face, beyond the shoulders, up
    for name, p in kp.items():
        xy[P[name.upper()]] = p
    tested = meta["tested_side"]
    xy[P[f"{tested.upper()}_KNEE"]] += knee_offset
    for s in ("LEFT", "RIGHT"):
        xy[P[f"{s}_HEEL"]] = xy[P[f"{s}_ANKLE"]]
        xy[P[f"{s}_FOOT_INDEX"]] = xy[P[f"{s}_ANKLE"]] + (10, 0)
    return Landmarks(xy=xy, visibility=np.full(NUM_LANDMARKS, 0.95), image_size=(meta["width"], meta["height"]))


def sidecar_estimator(photo, **kw) -> FakeEstimator:
    return FakeEstimator(sidecar_landmarks(photo, **kw))


class SampleEstimator:
    """A fake model for several sample photos: a photo it was given answers with that photo's
    sidecar joints; mirror images and crops of it go to the same photo's fake."""

    def __init__(self, photos, **kw):
        from thomas_cv.media import load_image

        self.items = [(load_image(p).rgb, sidecar_estimator(p, **kw.get(Path(p).name, {}))) for p in photos]
        self.current = None

    def estimate(self, image_rgb, timestamp_ms=None):
        for rgb, est in self.items:
            if rgb.shape == image_rgb.shape and np.array_equal(rgb, image_rgb):
                self.current = est
                break
        return None if self.current is None else self.current.estimate(image_rgb)

    def close(self):
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        pass

"""Bundled sample images and clip, and their ground truth, for the app and browser tests."""

from __future__ import annotations

import json
import os
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def samples_dir() -> Path:
    env = os.environ.get("THOMAS_CV_SAMPLES")
    return Path(env) if env else ROOT / "sample_images"


def _plain(photo: Path) -> bool:
    """A level, side-on camera and a clear view: the angles in the image are the true ones."""
    try:
        cam = json.loads(photo.with_suffix(".json").read_text()).get("camera", {})
    except (OSError, ValueError):
        return False
    return (abs(cam.get("roll_deg", 0.0)) < 0.5 and abs(cam.get("yaw_deg", 0.0)) <= 10
            and not any(cam.get(k) for k in ("far_side", "small_subject", "helper")))


def sample_photos() -> list[Path]:
    """Rendered sample photos with a JSON sidecar, taken with a plain camera."""
    d = samples_dir()
    if not d.is_dir():
        return []
    return sorted(p for p in d.glob("*.jpg") if p.with_suffix(".json").exists() and _plain(p))


def sample_clip() -> Path | None:
    d = samples_dir()
    for p in (d / "clip" / "thomas_settle.mp4", d / "thomas_settle.mp4"):
        if p.exists() and p.with_suffix(".json").exists():
            return p
    return None


def truth(meta: dict) -> dict:
    """The angles as drawn in the image (the sidecar's ``truth_image``), whatever the nesting."""
    for key in ("truth_image", "truth_3d"):
        if isinstance(meta.get(key), dict):
            return meta[key]
    if isinstance(meta.get("final"), dict):
        return truth(meta["final"])
    return meta


def sidecar_landmarks(photo: Path):
    """Landmarks from a sample's ground truth (``keypoints_px``), for tests that need a person
    where the renderer put one but no model: face points placed beyond the shoulders, feet
    at the ankles, everything fully visible."""
    import numpy as np

    from thomas_cv.core.landmarks import NUM_LANDMARKS, Landmarks, PoseLandmark as P

    meta = json.loads(photo.with_suffix(".json").read_text())
    kp = {k: np.asarray(v, float) for k, v in meta["keypoints_px"].items()}
    sh = (kp["left_shoulder"] + kp["right_shoulder"]) / 2
    hip = (kp["left_hip"] + kp["right_hip"]) / 2
    xy = np.tile(hip, (NUM_LANDMARKS, 1))
    xy[:11] = sh + (sh - hip) * 0.33  # the head, a third of a trunk beyond the shoulders
    for name, p in kp.items():
        xy[P[name.upper()]] = p
    for s in ("LEFT", "RIGHT"):
        xy[P[f"{s}_ELBOW"]] = xy[P[f"{s}_WRIST"]] = (xy[P[f"{s}_SHOULDER"]] + xy[P[f"{s}_HIP"]]) / 2
        xy[P[f"{s}_HEEL"]] = xy[P[f"{s}_FOOT_INDEX"]] = xy[P[f"{s}_ANKLE"]]
    return Landmarks(xy=xy, visibility=np.full(NUM_LANDMARKS, 0.95), image_size=(meta["width"], meta["height"]))

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

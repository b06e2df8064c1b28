"""BlazePose through MediaPipe: the only module that imports mediapipe.

Two back-ends, both offline:

- :class:`BlazePose` uses the legacy ``mediapipe.solutions.pose`` graph with the full
  landmark model that ships inside the ``mediapipe==0.10.21`` wheel (no download).
  ``static=True`` for photos (detect on every image), ``static=False`` for video (track).
- :class:`TaskPose` runs a user-supplied ``.task`` file (e.g. the heavy landmarker)
  through MediaPipe's Tasks API, several people per image; it keeps the person who lies
  down (most horizontal trunk).
"""

from __future__ import annotations

import contextlib
import os
import sys
from pathlib import Path
from typing import Optional

import numpy as np

from .errors import InvalidOptionError
from .landmarks import NUM_LANDMARKS, Landmarks, PoseLandmark

# Quieten TensorFlow Lite / glog start-up chatter before mediapipe loads.
os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@contextlib.contextmanager
def quiet_native_stderr():
    """Silence the C++ start-up chatter (TFLite/glog) written straight to fd 2.

    Python-level errors still propagate as exceptions with their messages.
    """
    try:
        fd = sys.stderr.fileno()
    except (AttributeError, OSError, ValueError):  # no real stderr (e.g. under a test runner)
        yield
        return
    sys.stderr.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), fd)
            yield
    finally:
        _flush_c_stdio()  # buffered native messages must land in /dev/null, not later
        os.dup2(saved, fd)
        os.close(saved)


def _flush_c_stdio() -> None:
    try:
        import ctypes

        ctypes.CDLL(None).fflush(None)
    except (OSError, AttributeError):  # pragma: no cover - non-POSIX
        pass


def _from_normalized(lms, width: int, height: int) -> Landmarks:
    arr = np.array([[p.x, p.y, p.z, getattr(p, "visibility", 1.0) or 0.0] for p in lms], dtype=float)
    if arr.shape[0] != NUM_LANDMARKS:
        raise ValueError(f"expected {NUM_LANDMARKS} landmarks, got {arr.shape[0]}")
    xy = arr[:, :2] * np.array([width, height], dtype=float)
    return Landmarks(
        xy=xy,
        visibility=np.clip(arr[:, 3], 0.0, 1.0),
        image_size=(width, height),
        depth=arr[:, 2],
    )


def _check_rgb(image_rgb: np.ndarray) -> np.ndarray:
    if image_rgb.ndim != 3 or image_rgb.shape[2] != 3 or image_rgb.dtype != np.uint8:
        raise ValueError("pose estimation needs an (H, W, 3) uint8 RGB image")
    return np.ascontiguousarray(image_rgb)


class BlazePose:
    """BlazePose full (bundled with mediapipe). Implements :class:`PoseEstimator`.

    Not thread-safe; make one per worker process. Use as a context manager or call
    :meth:`close`.
    """

    def __init__(self, static: bool = True, min_detection_confidence: float = 0.3):
        with quiet_native_stderr():
            import mediapipe as mp  # heavy import: only when a model is really needed

            self._pose = mp.solutions.pose.Pose(
                static_image_mode=static,
                model_complexity=1,
                smooth_landmarks=not static,
                enable_segmentation=False,
                min_detection_confidence=min_detection_confidence,
                min_tracking_confidence=0.5,
            )
            # the graph starts its threads lazily: one blank frame makes their start-up
            # messages happen now, inside the quiet block
            self._pose.process(np.zeros((64, 64, 3), np.uint8))
            if not static:
                self._pose.reset()
        self.static = static
        self._warm = False

    def estimate(self, image_rgb: np.ndarray) -> Optional[Landmarks]:
        img = _check_rgb(image_rgb)
        if not self._warm:  # the first detection prints native start-up messages
            with quiet_native_stderr():
                res = self._pose.process(img)
            self._warm = res.pose_landmarks is not None
        else:
            res = self._pose.process(img)
        if res.pose_landmarks is None:
            return None
        h, w = img.shape[:2]
        return _from_normalized(res.pose_landmarks.landmark, w, h)

    def close(self) -> None:
        with quiet_native_stderr():
            self._pose.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def _lying_score(lm: Landmarks) -> float:
    """How horizontal the trunk is: |dx| / length of shoulder-centre -> hip-centre (1 = flat)."""
    P = PoseLandmark
    sh = (lm.point(P.LEFT_SHOULDER) + lm.point(P.RIGHT_SHOULDER)) / 2
    hp = (lm.point(P.LEFT_HIP) + lm.point(P.RIGHT_HIP)) / 2
    d = hp - sh
    n = float(np.hypot(*d))
    return abs(float(d[0])) / n if n > 0 else 0.0


def pick_lying_person(people: list[Landmarks]) -> Optional[Landmarks]:
    """Of several people, the one lying down (most horizontal trunk), ties to the largest."""
    if not people:
        return None

    def key(lm: Landmarks):
        span = float(np.ptp(lm.xy[:, 0]) + np.ptp(lm.xy[:, 1]))
        return (round(_lying_score(lm), 1), span)

    return max(people, key=key)


class TaskPose:
    """A MediaPipe Tasks ``.task`` pose landmarker file (e.g. the heavy model).

    Finds up to ``num_poses`` people and returns the one lying down.
    """

    def __init__(self, model_path: str | os.PathLike, static: bool = True, num_poses: int = 3):
        path = Path(model_path)
        if not path.is_file():
            raise InvalidOptionError(
                f"Model file not found: {path}. Give the path of a MediaPipe pose landmarker .task file."
            )
        import mediapipe as mp
        from mediapipe.tasks import python as mp_tasks
        from mediapipe.tasks.python import vision

        self._mp = mp
        self.static = static
        mode = vision.RunningMode.IMAGE if static else vision.RunningMode.VIDEO
        opts = vision.PoseLandmarkerOptions(
            base_options=mp_tasks.BaseOptions(model_asset_path=str(path)),
            running_mode=mode,
            num_poses=num_poses,
            min_pose_detection_confidence=0.3,
        )
        try:
            self._lm = vision.PoseLandmarker.create_from_options(opts)
        except (RuntimeError, ValueError) as exc:
            raise InvalidOptionError(
                f"{path.name} is not a usable MediaPipe pose landmarker model ({exc})."
            ) from exc
        self._t_ms = 0

    def estimate(self, image_rgb: np.ndarray) -> Optional[Landmarks]:
        img = _check_rgb(image_rgb)
        mp_img = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=img)
        if self.static:
            res = self._lm.detect(mp_img)
        else:
            self._t_ms += 33
            res = self._lm.detect_for_video(mp_img, self._t_ms)
        h, w = img.shape[:2]
        people = [_from_normalized(p, w, h) for p in res.pose_landmarks]
        return pick_lying_person(people)

    def close(self) -> None:
        self._lm.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


def make_estimator(model: Optional[str] = None, static: bool = True):
    """The bundled BlazePose, or a user's ``.task`` model when ``model`` is a path."""
    if model:
        return TaskPose(model, static=static)
    return BlazePose(static=static)

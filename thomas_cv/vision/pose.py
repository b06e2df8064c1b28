"""BlazePose through MediaPipe's Tasks API: the only module that imports mediapipe.

The model ships with the project as a ``.task`` bundle (``thomas_cv/models/``, built by
``python -m tools.model.build_task`` from Google's Apache-2.0 BlazePose files; see
``thomas_cv/models/NOTICE``): nothing is downloaded at run time. ``model`` is ``"heavy"``
(the larger landmark network: the default for photos), ``"full"`` (the default for video
and the live camera, 2.4x cheaper per frame) or the path of a user's own pose landmarker
``.task`` file. On the mixed synthetic yardstick (tuning seed 10) heavy halved the worst
errors (thigh 28 -> 16 deg, knee 43 -> 24 deg) and raised findings agreement on clear-cut
cases from 74% to 85% (``benchmarks/accuracy.py --model full|heavy``).

``static=True`` runs the IMAGE mode (a fresh detection per photo); ``static=False`` the
VIDEO mode (the person is tracked from frame to frame; timestamps must increase). Up to
``num_poses`` people are found per image and the one lying down is returned, so a helper
standing beside the table is not measured.
"""

from __future__ import annotations

import contextlib
import os
import sys
import threading
import weakref
from importlib import resources
from pathlib import Path
from typing import Optional

import numpy as np

from ..core.errors import InvalidOptionError
from ..core.landmarks import NUM_LANDMARKS, Landmarks, PoseLandmark

# Quieten TensorFlow Lite / glog start-up chatter before mediapipe loads.
os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

#: bundled models by name (files in thomas_cv/models/)
BUNDLED_MODELS = {"full": "pose_landmarker_full.task", "heavy": "pose_landmarker_heavy.task"}
#: the default model for photos (IMAGE mode) and for video/live (VIDEO mode)
DEFAULT_PHOTO_MODEL = "heavy"
DEFAULT_VIDEO_MODEL = "full"
#: people looked for in one image (the subject, a helper, a passer-by)
NUM_POSES = 3
#: frame interval assumed in VIDEO mode when the caller gives no timestamp (30 fps)
DEFAULT_FRAME_MS = 33


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


def _from_normalized(lms, width: int, height: int, world=None) -> Landmarks:
    """Landmarks from one person's normalized landmarks (and their world landmarks, metres,
    when given: :attr:`Landmarks.world`)."""
    arr = np.array(
        [[p.x, p.y, p.z if p.z is not None else 0.0, p.visibility if p.visibility is not None else 0.0] for p in lms],
        dtype=float,
    )
    if arr.shape[0] != NUM_LANDMARKS:
        raise ValueError(f"expected {NUM_LANDMARKS} landmarks, got {arr.shape[0]}")
    xy = arr[:, :2] * np.array([width, height], dtype=float)
    vis = np.nan_to_num(arr[:, 3], nan=0.0)  # an unknown visibility is "not seen", never graded
    return Landmarks(
        xy=xy,
        visibility=np.clip(vis, 0.0, 1.0),
        image_size=(width, height),
        depth=arr[:, 2],
        world=_world(world),
    )


def _world(lms) -> Optional[np.ndarray]:
    """(33, 3) world landmarks in metres, or None when the model gave none (or not 33)."""
    if lms is None:
        return None
    arr = np.array([[p.x, p.y, p.z] for p in lms], dtype=float)
    return arr if arr.shape == (NUM_LANDMARKS, 3) else None


def _check_rgb(image_rgb: np.ndarray) -> np.ndarray:
    if image_rgb.ndim != 3 or image_rgb.shape[2] != 3 or image_rgb.dtype != np.uint8:
        raise ValueError("pose estimation needs an (H, W, 3) uint8 RGB image")
    return np.ascontiguousarray(image_rgb)


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


def default_model(static: bool = True) -> str:
    """The bundled model used when none is given: heavy for photos, full for video/live."""
    return DEFAULT_PHOTO_MODEL if static else DEFAULT_VIDEO_MODEL


def model_path(model: Optional[str | os.PathLike] = None, static: bool = True) -> Path:
    """The ``.task`` file for ``model``: a bundled name (``full``, ``heavy``) or a path;
    ``None``: the default for the mode (:func:`default_model`)."""
    name = str(model) if model else default_model(static)
    if name in BUNDLED_MODELS:
        path = Path(str(resources.files("thomas_cv") / "models" / BUNDLED_MODELS[name]))
        if not path.is_file():  # pragma: no cover - a broken install
            raise InvalidOptionError(
                f"The bundled {name} model is missing ({path}). Reinstall thomas-cv."
            )
        return path
    path = Path(name)
    if not path.is_file():
        raise InvalidOptionError(
            f"Model file not found: {path}. Give 'full', 'heavy' or the path of a MediaPipe pose landmarker .task file."
        )
    return path


class BlazePose:
    """BlazePose on MediaPipe's Tasks API. Implements :class:`PoseEstimator`.

    ``model``: ``"heavy"`` or ``"full"`` (bundled) or a ``.task`` path; ``None``: heavy for
    photos, full for video (:func:`default_model`).
    ``static``: IMAGE mode (photos) or VIDEO mode (tracking, for clips and the live camera).
    Not thread-safe; make one per worker process. Use as a context manager or call
    :meth:`close`.
    """

    def __init__(
        self,
        model: Optional[str | os.PathLike] = None,
        static: bool = True,
        num_poses: int = NUM_POSES,
        min_detection_confidence: float = 0.3,
    ):
        path = model_path(model, static)
        with quiet_native_stderr():
            import mediapipe as mp  # heavy import: only when a model is really needed
            from mediapipe.tasks import python as mp_tasks
            from mediapipe.tasks.python import vision

            opts = vision.PoseLandmarkerOptions(
                base_options=mp_tasks.BaseOptions(model_asset_path=str(path)),
                running_mode=vision.RunningMode.IMAGE if static else vision.RunningMode.VIDEO,
                num_poses=num_poses,
                min_pose_detection_confidence=min_detection_confidence,
                min_pose_presence_confidence=0.5,
                min_tracking_confidence=0.5,
            )
            try:
                self._lm = vision.PoseLandmarker.create_from_options(opts)
            except (RuntimeError, ValueError) as exc:
                raise InvalidOptionError(
                    f"{path.name} is not a usable MediaPipe pose landmarker model ({' '.join(str(exc).split())[:160]})."
                ) from exc
        # Closed when this object goes (or at exit), while the landmarker is still whole:
        # MediaPipe's landmarker sits in a reference cycle with its call dispatcher, and one
        # left to the cycle collector hung the process for good (its __del__ waited on the
        # dispatcher's thread, already gone: a CI run never ended, issue 13).
        self._finalizer = weakref.finalize(self, _close_landmarker, self._lm)
        self._finalizer.atexit = False  # at exit: _close_all, early enough (see _close_at_exit)
        _close_at_exit(self)
        self._mp = mp
        self.static = static
        self.model = str(model or default_model(static))
        self._t_ms = -1
        self._warm = False

    def estimate_all(self, image_rgb: np.ndarray, timestamp_ms: Optional[int] = None) -> list[Landmarks]:
        """Everyone found in ``image_rgb`` (pixel coordinates of that image).

        VIDEO mode: ``timestamp_ms`` of the frame (must increase); default: the previous
        frame's plus 33 ms.
        """
        img = _check_rgb(image_rgb)
        mp_img = self._mp.Image(image_format=self._mp.ImageFormat.SRGB, data=img)
        # MediaPipe prints start-up messages on the first detection and a one-off warning on
        # the first person found in a non-square image: keep fd 2 quiet until both happened
        ctx = contextlib.nullcontext() if self._warm else quiet_native_stderr()
        with ctx:
            if self.static:
                res = self._lm.detect(mp_img)
            else:
                t = self._t_ms + DEFAULT_FRAME_MS if timestamp_ms is None else int(timestamp_ms)
                t = max(t, self._t_ms + 1)  # MediaPipe refuses a timestamp that does not increase
                self._t_ms = t
                res = self._lm.detect_for_video(mp_img, t)
        h, w = img.shape[:2]
        self._warm = self._warm or (bool(res.pose_landmarks) and h != w)
        worlds = list(getattr(res, "pose_world_landmarks", None) or [])
        worlds += [None] * (len(res.pose_landmarks) - len(worlds))
        return [_from_normalized(p, w, h, wl) for p, wl in zip(res.pose_landmarks, worlds)]

    def estimate(self, image_rgb: np.ndarray, timestamp_ms: Optional[int] = None) -> Optional[Landmarks]:
        """The person lying down in ``image_rgb``, or ``None`` when nobody is found."""
        return pick_lying_person(self.estimate_all(image_rgb, timestamp_ms))

    def close(self) -> None:
        self._finalizer()  # closes once; later calls do nothing

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


_OPEN: "weakref.WeakSet[BlazePose]" = weakref.WeakSet()


def _close_landmarker(lm) -> None:
    with quiet_native_stderr():
        lm.close()


def _close_all() -> None:
    for est in list(_OPEN):
        est.close()


def _close_at_exit(est: BlazePose) -> None:
    """Close ``est`` at the latest when the interpreter exits. MediaPipe runs its calls on a
    thread pool, which Python shuts down before ``atexit`` hooks and before garbage collection
    at exit; a landmarker still open then (a batch worker's) printed a traceback from
    MediaPipe's ``__del__``. ``threading._register_atexit`` hooks run before that shutdown
    (concurrent.futures uses the same hook), last registered first."""
    if not _OPEN:
        try:
            threading._register_atexit(_close_all)  # noqa: SLF001 - the only hook early enough
        except RuntimeError:  # the interpreter is already shutting down
            pass
    _OPEN.add(est)


def make_estimator(model: Optional[str] = None, static: bool = True) -> BlazePose:
    """The bundled BlazePose (``model`` None: the mode's default, ``"full"``, ``"heavy"``) or a
    user's ``.task``."""
    return BlazePose(model, static=static)

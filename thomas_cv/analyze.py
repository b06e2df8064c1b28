"""One photo in, one result out: wiring of media -> pose -> measure -> interpret -> overlay.

This is the core API that the command line, the batch runner and the web app share.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass, field
from collections import deque
from typing import Iterable, Iterator, Optional, Union

import numpy as np

from . import constants as C
from .errors import InvalidOptionError, NoPersonFoundError, ThomasCVError
from .geometry import horizon_from_points
from .interpret import DISCLAIMER, MUSCLES, Finding, interpret
from .landmarks import Landmarks, PoseEstimator
from .measure import Measurement, fuse, make_flag, measure, more_plausible, with_calibrated_uncertainty
from .media import Source, load_image
from .overlay import draw_overlay
from .person import estimate_mirrored, estimate_on_crop, find_lying_person
from .perspective import apply_homography

#: the output contract's columns, in order (CSV); findings follow as <muscle>_status
CONTRACT_KEYS = (
    "file",
    "ok",
    "error",
    "error_code",
    "side",
    "thigh_angle_deg",
    "knee_flexion_deg",
    "knee_inner_angle_deg",
    "hip_extension_to_trunk_deg",
    "hugged_hip_flexion_deg",
    "horizon_deg",
    "horizon_source",
    "view_yaw_deg",
    "thigh_angle_uncertainty_deg",
    "knee_flexion_uncertainty_deg",
    "trunk_angle_deg",
    "head_towards",
    "confidence",
    "flags",
)


#: a mirror-image measurement further off than this is a different reading, not fused
FLIP_AGREE_DEG = 10.0
#: when the mirror-image reading differs by this much (either angle), a third look (a crop
#: around the person) is taken and the median of the three kept
THIRD_LOOK_DEG = 4.0


@dataclass(frozen=True)
class Horizon:
    """How to find the horizontal reference.

    ``kind``: "auto" (default: the table edge found in the image, else the x axis with a
    flag), "image" (the x axis), "angle" (``value`` = degrees a level line makes with the
    image x axis, counter-clockwise on screen positive) or "points" (``points`` = two
    (x, y) pixels of the original image on a level line, e.g. the table edge).
    """

    kind: str = "auto"
    value: float = 0.0
    points: Optional[tuple[tuple[float, float], tuple[float, float]]] = None

    @classmethod
    def parse(cls, text: Union[str, float, None]) -> "Horizon":
        """Parse ``--horizon``: ``image``, a number, or ``X1,Y1,X2,Y2``.

        >>> Horizon.parse("image").kind, Horizon.parse("-3").value, Horizon.parse("0,10,100,0").kind
        ('image', -3.0, 'points')
        """
        if text is None:
            return cls("auto")
        if isinstance(text, (int, float)):
            return cls("angle", float(text))
        t = str(text).strip().lower()
        if t == "image":
            return cls("image")
        if t in ("", "auto"):
            return cls("auto")
        parts = [p for p in t.replace(";", ",").split(",") if p.strip()]
        try:
            nums = [float(p) for p in parts]
        except ValueError:
            nums = []
        if len(parts) == 1 and nums and np.isfinite(nums[0]) and abs(nums[0]) < 45:
            return cls("angle", nums[0])
        if len(parts) == 4 and len(nums) == 4 and all(np.isfinite(nums)):
            a, b = (nums[0], nums[1]), (nums[2], nums[3])
            if a == b:
                raise InvalidOptionError("--horizon: the two points are the same; give two points on the table edge.")
            return cls("points", points=(a, b))
        raise InvalidOptionError(
            f"--horizon {text!r} is not understood: use 'image', 'auto', an angle in degrees between -45 and 45 "
            "(e.g. 3.5), or two points on a level line as X1,Y1,X2,Y2."
        )

    def degrees(self) -> float:
        if self.kind == "angle":
            return self.value
        if self.kind == "points":
            return horizon_from_points(*self.points)
        return 0.0


@dataclass(frozen=True)
class Result:
    """Everything known about one input. ``ok`` is False when ``error`` is set."""

    file: str
    measurement: Optional[Measurement] = None
    findings: dict = field(default_factory=dict)
    notes: tuple = ()
    error: Optional[ThomasCVError] = None
    overlay: Optional[np.ndarray] = field(default=None, repr=False, compare=False)
    landmarks: Optional[Landmarks] = field(default=None, repr=False, compare=False)

    @property
    def ok(self) -> bool:
        return self.error is None and self.measurement is not None

    def to_dict(self) -> dict:
        """The output contract: flat keys, degrees rounded to 0.1, findings nested."""
        d = {k: None for k in CONTRACT_KEYS}
        d.update(flip_delta_thigh_deg=None, flip_delta_knee_deg=None)
        d.update(file=self.file, ok=self.ok, flags=[])
        if self.error is not None:
            d.update(error=str(self.error), error_code=self.error.code)
        if self.measurement is not None:
            md = self.measurement.to_dict()
            d.update(md)  # contract keys, then diagnostics (flip deltas)
        d["findings"] = {m: f.to_dict() for m, f in self.findings.items()}
        d["notes"] = list(self.notes)
        return d

    def to_row(self) -> dict:
        """One flat CSV row: findings as ``<muscle>_status``, flags joined by ';'."""
        d = self.to_dict()
        findings = d.pop("findings")
        d.pop("notes")
        d["flags"] = ";".join(d["flags"])
        for m in MUSCLES:
            d[f"{m}_status"] = findings.get(m, {}).get("status")
        return d


def analyze_image(
    rgb: np.ndarray,
    estimator: PoseEstimator,
    *,
    file: str = "",
    side: Optional[str] = None,
    horizon: Horizon = Horizon(),
    pain: Optional[str] = None,
    with_overlay: bool = True,
    refine: bool = True,
    flip: bool = True,
    focal_35mm: Optional[float] = None,
) -> Result:
    """Measure one upright RGB image (``horizon`` points may be in original-image pixels:
    a uniform downscale leaves the angle unchanged). ``focal_35mm``: the camera's 35 mm
    equivalent focal length (EXIF), for the perspective correction; else a phone's is assumed.

    Raises :class:`ThomasCVError` subclasses on failure.
    """
    lm = find_lying_person(rgb, estimator, refine=refine)
    if lm is None:
        raise NoPersonFoundError(
            f"{file or 'image'}: no person found. Use a side photo with the whole body on the table in view."
        )
    ref = resolve_reference(rgb, lm, horizon, focal_35mm=focal_35mm)
    m = measure_with_reference(lm, side=side, ref=ref)
    if flip:  # test-time flip: fuse with the measurement of the mirror image
        m2 = _another_look(estimate_mirrored(rgb, estimator), side, ref)
        if m2 is not None:
            dt, dk = m2.thigh_angle_deg - m.thigh_angle_deg, m2.knee_flexion_deg - m.knee_flexion_deg
            m3 = None
            if max(abs(dt), abs(dk)) >= THIRD_LOOK_DEG:  # the two looks differ: a third decides
                m3 = _another_look(estimate_on_crop(rgb, estimator, lm), side, ref)
            if m3 is not None:
                m = fuse([m, m2, m3])  # the median of three: one wrong look is outvoted
            elif abs(dt) < FLIP_AGREE_DEG and abs(dk) < FLIP_AGREE_DEG:
                m = fuse([m, m2])
            else:  # two different readings: keep the more plausible one
                m = more_plausible(m, m2)
            m = dataclasses.replace(m, flip_delta_thigh_deg=abs(dt), flip_delta_knee_deg=abs(dk))
    m = with_calibrated_uncertainty(m)
    findings, notes = interpret(m, pain=pain)
    overlay = draw_overlay(rgb, m, findings) if with_overlay else None
    return Result(file=file, measurement=m, findings=findings, notes=tuple(notes), overlay=overlay, landmarks=lm)


@dataclass(frozen=True, eq=False)
class Reference:
    """The horizontal reference of one camera view, resolved.

    ``horizon_deg``: angle (deg, counter-clockwise on screen positive, 0 = image x axis) of a
    level line; ``source``: where it came from (``image``, ``angle``, ``points``,
    ``table_edge``, ``image_fallback``). With ``homography`` (the table's long lines were
    seen converging), angles are measured in the body plane re-projected square to the camera
    (:mod:`thomas_cv.perspective`), and ``view_yaw_deg`` says how far the camera was turned
    from square (deg, unsigned); ``table_edge``: the two end points (pixels) of the table
    line drawn on the overlay.
    """

    horizon_deg: float = 0.0
    source: str = "image"
    homography: Optional[np.ndarray] = None
    view_yaw_deg: Optional[float] = None
    table_edge: Optional[tuple] = None


def resolve_reference(
    rgb: np.ndarray, lm: Landmarks, horizon: Horizon = Horizon(), *, focal_35mm: Optional[float] = None
) -> Reference:
    """The horizontal reference for ``rgb`` (``auto``: the table edge, and the perspective of
    the table's long lines when three or more of them are found)."""
    if horizon.kind != "auto":
        return Reference(horizon.degrees(), horizon.kind)
    from .horizon import find_table_edge, find_table_perspective
    from .perspective import body_plane_rectification, focal_px_from_35mm

    edge = find_table_edge(rgb, lm)
    h, w = rgb.shape[:2]
    f_px = focal_px_from_35mm(focal_35mm or C.DEFAULT_FOCAL_35MM, w, h)
    persp = find_table_perspective(rgb, lm, f_px, edge)
    if persp is None:
        if edge is None:
            return Reference(0.0, "image_fallback")
        return Reference(edge.horizon_deg, "table_edge", table_edge=(edge.p1, edge.p2))
    H = body_plane_rectification(persp.direction, f_px, (w / 2.0, h / 2.0), vertical=persp.vertical)
    if edge is not None:
        drawn = (edge.p1, edge.p2)
    else:  # no single dominant edge: draw the longest of the table lines instead
        longest = max(persp.segments, key=lambda s_: np.hypot(s_[2] - s_[0], s_[3] - s_[1]))
        drawn = (tuple(longest[:2]), tuple(longest[2:]))
    return Reference(horizon_from_points(*drawn), "table_edge", H, persp.view_yaw_deg, drawn)


def _another_look(lm: Optional[Landmarks], side: Optional[str], ref: "Reference") -> Optional[Measurement]:
    """The measurement from a second set of landmarks, or None when there is none to use."""
    if lm is None:
        return None
    try:
        return measure_with_reference(lm, side=side, ref=ref)
    except ThomasCVError:
        return None


def measure_with_reference(lm: Landmarks, *, side: Optional[str], ref: Reference) -> Measurement:
    """measure() against a resolved reference; points stay in image pixels."""
    if ref.homography is None:
        m = measure(lm, side=side, horizon_deg=ref.horizon_deg, horizon_source=ref.source)
    else:
        H = ref.homography
        square = Landmarks(xy=apply_homography(H, lm.xy), visibility=lm.visibility, image_size=lm.image_size,
                           depth=lm.depth)
        m = measure(square, side=side, horizon_deg=0.0, horizon_source=ref.source, in_picture=lm.inside())
        Hinv = np.linalg.inv(H)
        points = {k: apply_homography(Hinv, [v])[0].tolist() for k, v in m.points.items()}
        # the level line through the tested hip, as the image shows it
        level = apply_homography(Hinv, [np.asarray(m.points["hip"], float) + (100.0, 0.0)])[0]
        flags = m.flags
        if ref.view_yaw_deg is not None and ref.view_yaw_deg > C.VIEW_YAW_FLAG_DEG:
            flags = flags + (make_flag("oblique_view", value=ref.view_yaw_deg),)
        m = dataclasses.replace(m, points=points, horizon_deg=horizon_from_points(points["hip"], level),
                                view_yaw_deg=ref.view_yaw_deg, flags=flags)
    if ref.table_edge is not None:
        m = dataclasses.replace(m, points={**m.points, "table_edge": [list(ref.table_edge[0]), list(ref.table_edge[1])]})
    return m


def analyze_path(
    src: Union[Source, os.PathLike],
    estimator: PoseEstimator,
    *,
    name: Optional[str] = None,
    side: Optional[str] = None,
    horizon: Horizon = Horizon(),
    pain: Optional[str] = None,
    with_overlay: bool = True,
    **options,
) -> Result:
    """Load and measure one photo; never raises for bad input: the error is in the result.

    ``options`` go to :func:`analyze_image` (``refine``, ``flip``).
    """
    file = name or (str(src) if not isinstance(src, (bytes, bytearray)) else "upload")
    try:
        img = load_image(src)
        return analyze_image(
            img.rgb, estimator, file=file, side=side, horizon=horizon, pain=pain, with_overlay=with_overlay,
            focal_35mm=img.focal_35mm, **options
        )
    except ThomasCVError as exc:
        return Result(file=file, error=exc)
    except Exception as exc:  # noqa: BLE001 - a bug must not stop the other photos
        return Result(file=file, error=_unexpected(file, exc))


def _unexpected(file: str, exc: Exception) -> ThomasCVError:
    from .errors import InternalError

    msg = " ".join(str(exc).split())[:200]
    return InternalError(f"{os.path.basename(file)}: unexpected failure ({exc.__class__.__name__}: {msg}). Please report this file.")


def iter_analyze(
    sources: Iterable[Union[str, os.PathLike]],
    estimator: PoseEstimator,
    *,
    prefetch: int = 2,
    **kwargs,
) -> Iterator[Result]:
    """Measure many photos in order, decoding the next ones in a background thread while
    the model works on the current one (decoding a 12 MP JPEG costs about as much as the
    model). Never raises for bad input: errors are in the results."""
    from concurrent.futures import ThreadPoolExecutor

    def load(src):
        try:
            return load_image(src)
        except ThomasCVError as exc:
            return exc
        except Exception as exc:  # noqa: BLE001
            return _unexpected(str(src), exc)

    srcs = iter(sources)
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="thomas-cv-decode") as pool:
        queue: deque = deque()
        for src in srcs:
            queue.append((src, pool.submit(load, src)))
            if len(queue) > prefetch:
                break
        while queue:
            src, fut = queue.popleft()
            nxt = next(srcs, None)
            if nxt is not None:
                queue.append((nxt, pool.submit(load, nxt)))
            img = fut.result()
            file = str(src)
            if isinstance(img, ThomasCVError):
                yield Result(file=file, error=img)
                continue
            try:
                yield analyze_image(img.rgb, estimator, file=file, focal_35mm=img.focal_35mm, **kwargs)
            except ThomasCVError as exc:
                yield Result(file=file, error=exc)
            except Exception as exc:  # noqa: BLE001
                yield Result(file=file, error=_unexpected(file, exc))


__all__ = [
    "CONTRACT_KEYS",
    "DISCLAIMER",
    "Horizon",
    "Reference",
    "Result",
    "Finding",
    "analyze_image",
    "analyze_path",
    "iter_analyze",
    "measure_with_reference",
    "resolve_reference",
]

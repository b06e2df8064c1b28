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

from ..core import constants as C
from ..core.errors import (InvalidOptionError, LandmarkNotVisibleError, NoPersonFoundError, NotTestPositionError,
                     ThomasCVError, WrongViewError)
from ..core.front import Corrected, FrontMeasurement, correct_side_angles, measure_front, recognise_view
from ..core.geometry import horizon_from_points
from ..core.interpret import DISCLAIMER, MUSCLES, Finding, interpret, interpret_front
from ..core.landmarks import Landmarks, PoseEstimator
from ..core.fusion import fuse_looks
from ..core.measure import Measurement, camera_distance_trunks, make_flag, measure, with_calibrated_uncertainty
from ..media import Source, load_image
from ..vision.overlay import draw_overlay
from ..vision.person import estimate_mirrored, estimate_on_crop, find_lying_person, head_box, other_people
from ..core.perspective import apply_homography
from ..core.validity import front_test_position, require_test_position

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
    # the front view (issue 14): empty for a side view alone; a front view alone leaves the
    # side angles above empty; with both, the side angles corrected in 3-D as well
    "view",
    "view_place",
    "thigh_abduction_deg",
    "shank_deviation_deg",
    "thigh_abduction_uncertainty_deg",
    "shank_deviation_uncertainty_deg",
    "thigh_angle_corrected_deg",
    "knee_flexion_corrected_deg",
    "front_file",
)


#: when the mirror-image reading differs by this much (either angle), or sees another leg, a
#: third look (a crop around the person) is taken; the looks are combined as whole skeletons
#: (thomas_cv.core.fusion)
THIRD_LOOK_DEG = 4.0
#: the mirror look is taken only when the first look is doubtful: it fails (no measurement,
#: not the test position) or sees the measured leg's hip, knee or ankle with a visibility
#: under this. On tuning seed 10 (240 renders, heavy model; benchmarks/flip_gate.py) this took
#: the mirror look on 28% of photos with thigh MAE 4.21 vs 4.17 deg, knee 5.91 vs 5.88, the
#: same worst errors and photos measured, findings agreement 85.6 vs 84.5% and coverage
#: 55.9/67.7 vs 53.7/65.5% against a mirror look on every photo: 1.7 fewer model passes a photo
MIRROR_LOOK_BELOW_VISIBILITY = 0.98


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
    #: True when the landmarks were placed or moved by hand (``model_reading`` then holds
    #: the model's own angles and findings of the same photo, or its error)
    corrected: bool = False
    model_reading: Optional[dict] = None
    #: the front view of the same position (``view`` "front" when it is the only view)
    front: Optional[FrontMeasurement] = None
    corrected_3d: Optional[Corrected] = None
    front_file: Optional[str] = None
    front_overlay: Optional[np.ndarray] = field(default=None, repr=False, compare=False)
    front_landmarks: Optional[Landmarks] = field(default=None, repr=False, compare=False)
    front_error: Optional[ThomasCVError] = None
    #: True when the front photo's points were placed or moved by hand (``front_model_reading``
    #: then holds the model's own front reading or its error), as ``corrected`` for the side
    front_corrected: bool = False
    front_model_reading: Optional[dict] = None
    #: head boxes (x0, y0, x1, y1) of other people in the photo, found when an overlay is
    #: drawn, so that saved images blur their faces too (never written to CSV or JSON)
    other_faces: tuple = field(default=(), repr=False, compare=False)
    #: the same for the front photo of a side + front result
    front_other_faces: tuple = field(default=(), repr=False, compare=False)

    @property
    def view(self) -> Optional[str]:
        """``side`` (a side view, with or without a front view) or ``front`` (a front view alone)."""
        if self.measurement is not None:
            return "side"
        return "front" if self.front is not None else None

    @property
    def ok(self) -> bool:
        return self.error is None and (self.measurement is not None or self.front is not None)

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
        if self.front is not None:
            fd = self.front.to_dict()
            flags = d["flags"] + [c for c in fd.pop("flags") if c not in d["flags"]]
            if self.measurement is not None:  # the side view's side and confidence lead
                fd.pop("side"), fd.pop("confidence")
            fd.pop("camera_elevation_deg")
            d.update(fd, flags=flags, front_file=self.front_file)
        d["view"] = self.view
        if self.front_error is not None:  # the side result stands; the front photo was not measured
            d.update(front_file=self.front_file, front_error=str(self.front_error),
                     front_error_code=self.front_error.code)
        if self.corrected_3d is not None:
            d.update(self.corrected_3d.to_dict())
        d["findings"] = {m: f.to_dict() for m, f in self.findings.items()}
        d["notes"] = list(self.notes)
        d["corrected"] = self.corrected
        if self.model_reading is not None:
            d["model_reading"] = self.model_reading
        if self.landmarks is not None:  # image pixels; --landmarks reads this format back
            d["landmarks"] = self.landmarks.to_dict()
        if self.front_file is not None:  # a front photo given with the side one
            d["front_corrected"] = self.front_corrected
            if self.front_model_reading is not None:
                d["front_model_reading"] = self.front_model_reading
            if self.front_landmarks is not None:  # read back by --landmarks, matched by front_file
                d["front_landmarks"] = self.front_landmarks.to_dict()
        return d

    def reading(self) -> dict:
        """The angles and findings alone (no landmarks): what ``model_reading`` keeps."""
        d = self.to_dict()
        for k in ("landmarks", "model_reading", "corrected", "file", "front_landmarks", "front_model_reading"):
            d.pop(k, None)
        return d

    def to_row(self) -> dict:
        """One flat CSV row: findings as ``<muscle>_status``, flags joined by ';'."""
        d = self.to_dict()
        findings = d.pop("findings")
        d.pop("notes")
        for k in ("landmarks", "model_reading", "front_landmarks", "front_model_reading"):
            d.pop(k, None)
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
    view: Optional[str] = None,
) -> Result:
    """Measure one upright RGB image (``horizon`` points may be in original-image pixels:
    a uniform downscale leaves the angle unchanged). ``focal_35mm``: the camera's 35 mm
    equivalent focal length (EXIF), for the perspective correction; else a phone's is assumed.
    The view (side or front) is recognised from the landmarks; ``view`` ("side" / "front")
    demands one, and another raises :class:`WrongViewError`.

    Raises :class:`ThomasCVError` subclasses on failure.
    """
    lm = find_lying_person(rgb, estimator, refine=refine)
    if lm is None:
        raise NoPersonFoundError(
            f"{file or 'image'}: no person found. Use a side photo with the whole body on the table in view."
        )
    try:
        front = _front_view(rgb, lm, file=file, view=view, side=side, pain=pain, with_overlay=with_overlay,
                            focal_35mm=focal_35mm)
    except ThomasCVError as exc:
        exc.landmarks = lm  # a refused front reading: its points go with it, to be corrected by hand
        raise
    if front is not None:
        return with_bystanders(front, rgb, estimator, lm)
    ref = resolve_reference(rgb, lm, horizon, focal_35mm=focal_35mm)
    looks = [lm]
    measure_fn = lambda x: measure_with_reference(x, side=side, ref=ref)  # noqa: E731
    if flip and _doubtful(rgb, lm, measure_fn, file):
        # test-time flip: another, partly independent look at the mirror image
        looks.append(estimate_mirrored(rgb, estimator))
        try:
            first = fuse_looks(looks, measure_fn)
        except ThomasCVError:
            first = None
        if first is None or first.discarded or (first.spread_thigh_deg is not None and max(
                first.spread_thigh_deg, first.spread_knee_deg) >= THIRD_LOOK_DEG):
            looks.append(estimate_on_crop(rgb, estimator, lm))  # the looks differ: a third decides
    fusion = fuse_looks(looks, measure_fn)
    res = finalise(rgb, fusion.measurement, file=file, pain=pain, with_overlay=with_overlay,
                   landmarks=fusion.landmarks)
    return with_bystanders(res, rgb, estimator, lm)


def with_bystanders(res: Result, rgb: np.ndarray, estimator: Optional[PoseEstimator],
                    subject: Optional[Landmarks]) -> Result:
    """``res`` with the head boxes of the other people in ``rgb`` (a helper, another patient:
    :func:`other_people`, looking again with ``subject`` hidden), so that a saved image blurs their
    faces too. Only when an overlay was drawn (an image may be saved) and a model can look; the
    one rule for side and front photos."""
    if res.overlay is None or estimator is None or subject is None:
        return res
    return dataclasses.replace(res, other_faces=tuple(head_box(o) for o in other_people(rgb, estimator, subject)))


def _front_view(rgb: Optional[np.ndarray], lm: Landmarks, *, file: str, view: Optional[str], side: Optional[str],
                pain: Optional[str], with_overlay: bool, focal_35mm: Optional[float],
                thigh_angle_deg: Optional[float] = None, hand: bool = False) -> Optional[Result]:
    """The view rule for one person's landmarks, the model's or placed by hand: the view is
    recognised from the landmarks; :class:`WrongViewError` when ``view`` demands the other one;
    a front view's result (:func:`analyze_front_landmarks`); None when they are to be read as a
    side view (a side view, or front-looking landmarks no body fits from the front, unless the
    front view was demanded). ``hand``: the landmarks were placed by hand (for the message)."""
    guess = recognise_view(lm)
    if view is not None and guess.view != view:
        _wrong_view(file, view, hand)
    if guess.view != "front":
        return None
    try:
        return analyze_front_landmarks(rgb, lm, file=file, side=side, pain=pain, with_overlay=with_overlay,
                                       focal_35mm=focal_35mm, thigh_angle_deg=thigh_angle_deg)
    except LandmarkNotVisibleError:
        if view == "front":
            raise
        # no body fits these landmarks seen from the front: read them as a side photo, whose
        # test-position gate says what is wrong (e.g. a half-sitting person seen from the side)
        return None


def _doubtful(rgb: np.ndarray, lm: Landmarks, measure_fn, file: str) -> bool:
    """Whether the first look alone is doubtful enough to pay for the mirror look: it gives no
    reading in the test position, or sees the measured leg's hip, knee or ankle with a
    visibility under MIRROR_LOOK_BELOW_VISIBILITY."""
    from ..core.landmarks import PoseLandmark as P

    try:
        alone = fuse_looks([lm], measure_fn)
        require_test_position(alone.measurement, os.path.basename(file))
    except ThomasCVError:
        return True
    m, seen = alone.measurement, alone.landmarks
    if seen is None or m.side not in ("left", "right"):
        return True
    leg = [getattr(P, f"{m.side.upper()}_{j}") for j in ("HIP", "KNEE", "ANKLE")]
    return min(round(seen.vis(j), 3) for j in leg) < MIRROR_LOOK_BELOW_VISIBILITY


def _wrong_view(file: str, expected: str, hand: bool = False) -> None:
    name = os.path.basename(file) or "the photo"
    if hand:  # the points placed by hand show the other view
        shown = "side" if expected == "front" else "front"
        raise WrongViewError(f"The points placed by hand for {name} show a {shown} view ("
                             + ("the hips on top of each other" if shown == "side" else "both hips apart")
                             + f"), not the {expected} view asked for: place them on the {expected} photo, or give "
                             f"them under the {shown} photo's file name.")
    if expected == "front":
        raise WrongViewError(f"{name} looks like a side view (the hips lie on top of each other), not the front "
                             "view asked for: photograph the hanging leg from the foot end of the table.")
    raise WrongViewError(f"{name} looks like a front view (both hips apart), not the side view asked for: "
                         "photograph square to the hanging leg from its side.")


def analyze_front_landmarks(rgb: Optional[np.ndarray], lm: Landmarks, *, file: str = "", side: Optional[str] = None,
                            pain: Optional[str] = None, with_overlay: bool = True,
                            focal_35mm: Optional[float] = None, thigh_angle_deg: Optional[float] = None) -> Result:
    """A front view alone: thigh abduction and shank deviation, TFL / IT band and sartorius.
    Raises :class:`NotTestPositionError` when the photo does not show the test position."""
    verdict = front_test_position(lm)
    if verdict.refusal is not None:
        raise NotTestPositionError(f"{os.path.basename(file) + ': ' if file else ''}{verdict.refusal}")
    f = front_measurement(lm, side=side, focal_35mm=focal_35mm, thigh_angle_deg=thigh_angle_deg)
    findings, notes = interpret_front(f, pain=pain)
    overlay = None
    if with_overlay and rgb is not None:
        from ..vision.overlay_front import draw_front_overlay

        overlay = draw_front_overlay(rgb, f, findings)
    return Result(file=file, front=f, findings=findings, notes=tuple(notes), overlay=overlay, landmarks=lm)


def front_measurement(lm: Landmarks, *, side: Optional[str] = None, focal_35mm: Optional[float] = None,
                      thigh_angle_deg: Optional[float] = None) -> FrontMeasurement:
    from ..core.perspective import focal_px_from_35mm

    w, h = lm.image_size
    f_px = focal_px_from_35mm(focal_35mm or C.DEFAULT_FOCAL_35MM, w, h)
    return measure_front(lm, f_px=f_px, side=side, thigh_angle_deg=thigh_angle_deg)


def combine_views(side: Result, front: Result, *, pain: Optional[str] = None) -> Result:
    """One result from a side and a front view of the same position: the side's angles and
    findings, the front's abduction and shank deviation with TFL / IT band and sartorius, and
    the side angles corrected in 3-D. An error in the side view is the result's error; a front
    photo that cannot be measured (no person, not the test position, landmarks no body can have)
    leaves the side result standing, with the front's error in ``front_error`` and a note, and
    TFL / IT band and sartorius not assessable with that reason. The front's landmarks (also of
    a refused reading, to be corrected by hand) and whether they were placed by hand go along."""
    if side.error is not None:
        return side
    if front.error is not None:
        why = f"The front photo could not be measured: {front.error}"
        findings = dict(side.findings)
        for mu in ("tfl_itb", "sartorius"):
            if mu in findings and findings[mu].status == "not_assessable":
                findings[mu] = Finding(mu, "not_assessable", why)
        return dataclasses.replace(side, front_file=front.file, front_error=front.error, findings=findings,
                                   notes=tuple(dict.fromkeys([*side.notes, why])), front_landmarks=front.landmarks,
                                   front_corrected=front.corrected, front_model_reading=front.model_reading)
    m, f = side.measurement, front.front
    corrected = correct_side_angles(m.thigh_angle_deg, m.knee_flexion_deg, f)
    findings, notes = interpret(m, pain=pain, front=f)
    notes = list(dict.fromkeys([*side.notes, *notes]))
    return dataclasses.replace(side, front=f, corrected_3d=corrected, front_file=front.file, findings=findings,
                               notes=tuple(notes), front_overlay=front.overlay, front_landmarks=front.landmarks,
                               front_other_faces=front.other_faces,
                               front_corrected=front.corrected, front_model_reading=front.model_reading)


def analyze_pair(side_rgb: np.ndarray, front_rgb: np.ndarray, estimator: PoseEstimator, *, file: str = "",
                 front_file: str = "", side: Optional[str] = None, pain: Optional[str] = None,
                 with_overlay: bool = True, focal_35mm: Optional[float] = None,
                 front_focal_35mm: Optional[float] = None, landmarks=None, front_landmarks=None,
                 **options) -> Result:
    """Measure a side and a front photo of one test (see :func:`combine_views`). Raises
    :class:`WrongViewError` when either photo (or the points given for it) shows the other view.
    ``landmarks`` / ``front_landmarks``: points placed by hand for the side / front photo (a
    ``landmarks`` object or :class:`Landmarks`; :func:`analyze_corrected`)."""
    if landmarks is None:
        s = analyze_image(side_rgb, estimator, file=file, side=side, pain=pain, with_overlay=with_overlay,
                          focal_35mm=focal_35mm, view="side", **options)
    else:
        try:
            model = analyze_image(side_rgb, estimator, file=file, side=side, pain=pain, with_overlay=with_overlay,
                                  focal_35mm=focal_35mm, view="side", **options)
        except ThomasCVError as exc:
            model = Result(file=file, error=exc)
        s = analyze_corrected(side_rgb, landmarks, model, file=file, side=side, pain=pain, view="side",
                              horizon=options.get("horizon", Horizon()), with_overlay=with_overlay,
                              focal_35mm=focal_35mm)
        if isinstance(s.error, WrongViewError):
            raise s.error
    return add_front_view(s, front_rgb, estimator, front_file=front_file, pain=pain, with_overlay=with_overlay,
                          focal_35mm=front_focal_35mm, refine=options.get("refine", True), points=front_landmarks)


def add_front_view(s: Result, front_rgb: np.ndarray, estimator: Optional[PoseEstimator], *, front_file: str = "",
                   pain: Optional[str] = None, with_overlay: bool = True, focal_35mm: Optional[float] = None,
                   refine: bool = True, points=None) -> Result:
    """A side result ``s`` joined with a front photo of the same position (:func:`combine_views`):
    the front view measured as the side's leg, with the side's thigh angle (both ``measure
    --front`` and the live view's second capture), from ``points`` placed by hand when given
    (:func:`read_front`). Raises :class:`WrongViewError` when the front photo (or its points)
    is a side view; any other failure to read it leaves ``s`` standing (``front_error``)."""
    if not s.ok or s.measurement is None:
        return s
    fr = read_front(front_rgb, estimator, file=front_file, side=s.measurement.side, pain=pain,
                    with_overlay=with_overlay, focal_35mm=focal_35mm, thigh_angle_deg=s.measurement.thigh_angle_deg,
                    refine=refine, points=points)
    if isinstance(fr.error, WrongViewError):
        raise fr.error  # the photos mixed up: a clear error, not half a result
    return combine_views(s, fr, pain=pain)


def read_front(front_rgb: np.ndarray, estimator: Optional[PoseEstimator], *, file: str = "",
               side: Optional[str] = None, pain: Optional[str] = None, with_overlay: bool = True,
               focal_35mm: Optional[float] = None, thigh_angle_deg: Optional[float] = None, refine: bool = True,
               points=None) -> Result:
    """A front photo of one test read as the tested leg's front view; never raises for a photo
    that cannot be read (the error, ``wrong_view`` for a side view, is in the result, with the
    model's landmarks when it found a person). By the model (``estimator``; None: no model
    reading), and from ``points`` placed by hand when given (:func:`analyze_corrected`: joints
    left out come from the model's reading, the model's own reading is kept beside, and the
    points decide the view)."""
    model = None
    if estimator is not None:
        lm = find_lying_person(front_rgb, estimator, refine=refine)
        try:
            if lm is None:
                raise NoPersonFoundError(f"{os.path.basename(file) or 'front photo'}: no person found. Photograph "
                                         "from the foot end with both hips and the hanging leg in view.")
            model = _front_view(front_rgb, lm, file=file, view="front", side=side, pain=pain,
                                with_overlay=with_overlay, focal_35mm=focal_35mm, thigh_angle_deg=thigh_angle_deg)
        except ThomasCVError as exc:
            model = Result(file=file, error=exc, landmarks=lm)
    if points is None:
        if model is None:
            return Result(file=file, error=InvalidOptionError(
                f"{os.path.basename(file) or 'front photo'}: neither a pose model nor points placed by hand to read it."))
        return with_bystanders(model, front_rgb, estimator, model.landmarks)
    res = analyze_corrected(front_rgb, points, model, file=file, side=side, pain=pain, view="front",
                            with_overlay=with_overlay, focal_35mm=focal_35mm, thigh_angle_deg=thigh_angle_deg)
    return with_bystanders(res, front_rgb, estimator, res.landmarks)


def finalise(rgb: Optional[np.ndarray], m: Measurement, *, file: str = "", pain: Optional[str] = None,
             with_overlay: bool = True, landmarks: Optional[Landmarks] = None, corrected: bool = False,
             model_reading: Optional[dict] = None) -> Result:
    """One reading (already combined from its looks) into a :class:`Result`: the test-position
    gate (:class:`NotTestPositionError` when it is not the test), the calibrated uncertainty,
    the findings and the overlay drawn from exactly the reading's landmarks. Photo, video,
    live and hand-corrected points all end here (``corrected``/``model_reading``: see Result)."""
    verdict = require_test_position(m, os.path.basename(file))
    m = with_calibrated_uncertainty(m)
    findings, notes = interpret(m, pain=pain)
    if verdict.not_assessable and verdict.not_assessable not in notes:
        notes = [verdict.not_assessable, *notes]
    overlay = draw_overlay(rgb, m, findings, landmarks=landmarks) if (with_overlay and rgb is not None) else None
    return Result(file=file, measurement=m, findings=findings, notes=tuple(notes), overlay=overlay, landmarks=landmarks,
                  corrected=corrected, model_reading=model_reading)


def analyze_landmarks(
    rgb: np.ndarray,
    lm: Landmarks,
    *,
    file: str = "",
    side: Optional[str] = None,
    horizon: Horizon = Horizon(),
    pain: Optional[str] = None,
    with_overlay: bool = True,
    focal_35mm: Optional[float] = None,
    model: Optional[Result] = None,
    view: Optional[str] = None,
    thigh_angle_deg: Optional[float] = None,
) -> Result:
    """Measure ``rgb`` from given landmarks (hand-placed or hand-corrected) through the same
    steps as the model's own: the view is recognised from them (``view`` demands one, else
    :class:`WrongViewError`); a front view goes through :func:`analyze_front_landmarks` (its
    test-position and body checks; ``thigh_angle_deg`` from the side view of the same
    position), a side view through the reference, measurement and :func:`finalise`. ``lm`` may
    refer to a differently scaled copy of ``rgb`` (``lm.image_size``): it is scaled to ``rgb``.
    ``model``: the model's own result for the same photo, kept beside the corrected one.
    The result is marked ``corrected``. Raises :class:`ThomasCVError` subclasses.

    There is only one look (the points as given), so the uncertainty is the model's
    calibrated single-look value: a hand-placed point is not assumed to be more exact.
    """
    h, w = rgb.shape[:2]
    if lm.image_size[0] != w:
        lm = lm.scaled(w / lm.image_size[0])
    reading = _model_reading(model)
    front = _front_view(rgb, lm, file=file, view=view, side=side, pain=pain, with_overlay=with_overlay,
                        focal_35mm=focal_35mm, thigh_angle_deg=thigh_angle_deg, hand=True)
    if front is not None:
        return dataclasses.replace(front, corrected=True, model_reading=reading)
    ref = resolve_reference(rgb, lm, horizon, focal_35mm=focal_35mm)
    fusion = fuse_looks([lm], lambda x: measure_with_reference(x, side=side, ref=ref))  # one look: the points as given
    return finalise(rgb, fusion.measurement, file=file, pain=pain, with_overlay=with_overlay,
                    landmarks=fusion.landmarks, corrected=True, model_reading=reading)


def _model_reading(model: Optional[Result]) -> Optional[dict]:
    """What a corrected result keeps of the model's own result: its reading, or its error."""
    if model is None:
        return None
    return model.reading() if model.ok else {"ok": False, "error": str(model.error),
                                             "error_code": getattr(model.error, "code", None)}


def resolve_landmarks(given: Union[Landmarks, dict], model: Optional[Result]) -> Landmarks:
    """Landmarks from a ``landmarks`` object (``--landmarks``), joints left out taken from the
    model's reading of the same photo; without one, :meth:`Landmarks.from_dict`'s rule (the
    shoulders, hips, knees and ankles must be given). :class:`InvalidOptionError` when unusable."""
    if isinstance(given, Landmarks):
        return given
    base = model.landmarks if model is not None and model.landmarks is not None else None
    try:
        return Landmarks.from_dict(given, base=base)
    except ValueError as exc:
        raise InvalidOptionError(f"--landmarks: {exc}") from None


def analyze_corrected(rgb: np.ndarray, points: Union[Landmarks, dict], model: Optional[Result], *, file: str = "",
                      side: Optional[str] = None, horizon: Horizon = Horizon(), pain: Optional[str] = None,
                      with_overlay: bool = True, focal_35mm: Optional[float] = None, view: Optional[str] = None,
                      thigh_angle_deg: Optional[float] = None) -> Result:
    """A photo measured from points placed or corrected by hand (:func:`resolve_landmarks`
    against ``model``, the model's own result of the same photo or None, then
    :func:`analyze_landmarks`), never raising: a failure is the result's error, still marked
    corrected, with the model's reading and the points used. The other people's faces the
    model found stay with it (the same photo)."""
    reading, lm = _model_reading(model), None
    try:
        lm = resolve_landmarks(points, model)
        res = analyze_landmarks(rgb, lm, file=file, side=side, horizon=horizon, pain=pain, with_overlay=with_overlay,
                                focal_35mm=focal_35mm, model=model, view=view, thigh_angle_deg=thigh_angle_deg)
    except ThomasCVError as exc:
        return Result(file=file, error=exc, corrected=True, model_reading=reading, landmarks=lm)
    if model is not None and model.other_faces:
        res = dataclasses.replace(res, other_faces=model.other_faces)
    seen = recognise_view(model.landmarks).view if model is not None and model.landmarks is not None else None
    if view is None and seen is not None and res.view is not None and seen != res.view:
        # no slot demanded a view, so the points decide it; say so when the model saw the other one
        note = (f"The model saw a {seen} view in this photo, the points placed by hand show a {res.view} view: "
                f"measured as a {res.view} view. Check that the points belong to this photo.")
        res = dataclasses.replace(res, notes=(note, *res.notes))
    return res


@dataclass(frozen=True, eq=False)
class Reference:
    """The horizontal reference of one camera view, resolved.

    ``horizon_deg``: angle (deg, counter-clockwise on screen positive, 0 = image x axis) of a
    level line; ``source``: where it came from (``image``, ``angle``, ``points``,
    ``table_edge``, ``image_fallback``). With ``homography`` (the table's long lines were
    seen converging), angles are measured in the body plane re-projected square to the camera
    (:mod:`thomas_cv.core.perspective`), and ``view_yaw_deg`` says how far the camera was turned
    from square (deg, unsigned); ``table_edge``: the two end points (pixels) of the table
    line drawn on the overlay.
    """

    horizon_deg: float = 0.0
    source: str = "image"
    homography: Optional[np.ndarray] = None
    view_yaw_deg: Optional[float] = None
    table_edge: Optional[tuple] = None
    #: the camera's focal length in pixels of this image (EXIF 35 mm equivalent, else
    #: DEFAULT_FOCAL_35MM) and its downward pitch (deg) from the table's vertical lines, when
    #: seen: cues of how far to trust the reading (thomas_cv.core.measure.uncertainty_deg)
    f_px: Optional[float] = None
    pitch_deg: Optional[float] = None


def resolve_reference(
    rgb: np.ndarray, lm: Landmarks, horizon: Horizon = Horizon(), *, focal_35mm: Optional[float] = None
) -> Reference:
    """The horizontal reference for ``rgb`` (``auto``: the table edge, and the perspective of
    the table's long lines when three or more of them are found)."""
    from ..core.perspective import body_plane_rectification, focal_px_from_35mm, pitch_from_vertical

    h, w = rgb.shape[:2]
    f_px = focal_px_from_35mm(focal_35mm or C.DEFAULT_FOCAL_35MM, w, h)
    if horizon.kind != "auto":
        return Reference(horizon.degrees(), horizon.kind, f_px=f_px)
    from ..vision.table import find_table_edge, find_table_perspective

    edge = find_table_edge(rgb, lm)
    persp = find_table_perspective(rgb, lm, f_px, edge)
    if persp is None:
        if edge is None:
            return Reference(0.0, "image_fallback", f_px=f_px)
        return Reference(edge.horizon_deg, "table_edge", table_edge=edge.shown or (edge.p1, edge.p2), f_px=f_px)
    H = body_plane_rectification(persp.direction, f_px, (w / 2.0, h / 2.0), vertical=persp.vertical)
    shown = None
    if edge is not None:
        drawn, shown = (edge.p1, edge.p2), edge.shown
    else:  # no single dominant edge: draw the longest of the table lines instead
        longest = max(persp.segments, key=lambda s_: np.hypot(s_[2] - s_[0], s_[3] - s_[1]))
        drawn = (tuple(longest[:2]), tuple(longest[2:]))
    pitch = None if persp.vertical is None else pitch_from_vertical(persp.vertical)
    return Reference(horizon_from_points(*drawn), "table_edge", H, persp.view_yaw_deg, shown or drawn,
                     f_px=f_px, pitch_deg=pitch)


def measure_with_reference(lm: Landmarks, *, side: Optional[str], ref: Reference) -> Measurement:
    """measure() against a resolved reference; points stay in image pixels."""
    if ref.homography is None:
        m = measure(lm, side=side, horizon_deg=ref.horizon_deg, horizon_source=ref.source)
    else:
        H = ref.homography
        square = Landmarks(xy=apply_homography(H, lm.xy), visibility=lm.visibility, image_size=lm.image_size,
                           depth=lm.depth, world=lm.world)
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
    if ref.f_px is not None or ref.pitch_deg is not None:
        m = dataclasses.replace(m, view_pitch_deg=ref.pitch_deg,
                                camera_distance_trunks=camera_distance_trunks(m, ref.f_px))
    return m


def _refused(file: str, exc: ThomasCVError) -> Result:
    """A photo that could not be measured: its error, with the points the model found when it
    found a person (``exc.landmarks``, set by :func:`analyze_image`), to be corrected by hand."""
    return Result(file=file, error=exc, landmarks=getattr(exc, "landmarks", None))


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
        img = load_image(src, name=os.path.basename(file) if isinstance(src, (bytes, bytearray)) else None)
        return analyze_image(
            img.rgb, estimator, file=file, side=side, horizon=horizon, pain=pain, with_overlay=with_overlay,
            focal_35mm=img.focal_35mm, **options
        )
    except ThomasCVError as exc:
        return _refused(file, exc)
    except Exception as exc:  # noqa: BLE001 - a bug must not stop the other photos
        return Result(file=file, error=_unexpected(file, exc))


def analyze_pair_paths(side_src: Union[Source, os.PathLike], front_src: Union[Source, os.PathLike],
                       estimator: PoseEstimator, *, name: Optional[str] = None, front_name: Optional[str] = None,
                       side: Optional[str] = None, pain: Optional[str] = None, with_overlay: bool = True,
                       **options) -> Result:
    """Load and measure a side and a front photo of one test (:func:`analyze_pair`; ``options``
    may hold its ``landmarks`` / ``front_landmarks``, points placed by hand); never raises for
    bad input: the error is in the result."""
    file = name or str(side_src)
    front_file = front_name or str(front_src)
    try:
        def _nm(src, f):
            return os.path.basename(f) if isinstance(src, (bytes, bytearray)) else None

        s_img, f_img = load_image(side_src, name=_nm(side_src, file)), load_image(front_src, name=_nm(front_src, front_file))
        return analyze_pair(s_img.rgb, f_img.rgb, estimator, file=file, front_file=front_file, side=side, pain=pain,
                            with_overlay=with_overlay, focal_35mm=s_img.focal_35mm,
                            front_focal_35mm=f_img.focal_35mm, **options)
    except ThomasCVError as exc:
        return Result(file=file, error=exc, front_file=front_file)
    except Exception as exc:  # noqa: BLE001 - a bug must not stop the other photos
        return Result(file=file, error=_unexpected(file, exc), front_file=front_file)


#: batch pairing rule: NAME_side.<ext> and NAME_front.<ext> in one folder are one test
PAIR_SUFFIXES = ("_side", "_front")


def pair_photos(paths: Iterable[Union[str, os.PathLike]]) -> list[tuple[str, Optional[str]]]:
    """Group photos into (side, front) pairs by name: ``NAME_side.jpg`` with ``NAME_front.jpg``
    (any supported extension, same folder, case-insensitive suffix). Everything else, and a
    ``_side`` or ``_front`` photo without its partner, is measured alone as ``(path, None)``.
    Order follows the first appearance.

    >>> pair_photos(["a_side.jpg", "b.jpg", "a_front.png", "c_front.jpg"])
    [('a_side.jpg', 'a_front.png'), ('b.jpg', None), ('c_front.jpg', None)]
    """
    paths = [str(p) for p in paths]

    def key(p: str):
        stem, _ = os.path.splitext(p)
        low = stem.lower()
        for suf in PAIR_SUFFIXES:
            if low.endswith(suf):
                return stem[: -len(suf)].lower(), suf
        return None, None

    fronts: dict = {}
    sides: dict = {}
    for p in paths:
        k, suf = key(p)
        if suf == "_front":
            fronts.setdefault(k, p)
        elif suf == "_side":
            sides.setdefault(k, p)
    out: list[tuple[str, Optional[str]]] = []
    used: set = set()
    for p in paths:
        if p in used:
            continue
        k, suf = key(p)
        if suf == "_side" and k in fronts and sides.get(k) == p:
            out.append((p, fronts[k]))
            used.update((p, fronts[k]))
        elif suf == "_front" and k in sides and fronts.get(k) == p:
            out.append((sides[k], p))
            used.update((sides[k], p))
        else:
            out.append((p, None))
            used.add(p)
    return out


def _unexpected(file: str, exc: Exception) -> ThomasCVError:
    from ..core.errors import InternalError

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
                yield _refused(file, exc)
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
    "analyze_landmarks",
    "analyze_corrected",
    "read_front",
    "resolve_landmarks",
    "finalise",
    "analyze_path",
    "analyze_pair",
    "analyze_pair_paths",
    "pair_photos",
    "finalise",
    "iter_analyze",
    "measure_with_reference",
    "resolve_reference",
]

"""Both legs of one person on one day as one assessment: each side's findings, the
left-right difference per muscle with its uncertainty, an asymmetry note, and what usually
follows each finding. No new angle maths: the sides are ordinary pipeline results.

Front views (issue 14) plug in per side through ``front_left`` / ``front_right``: anything
with ``to_dict()`` (or a dict) that may carry ``findings`` ({muscle: {status, reason}}, e.g.
``tfl_itb``, ``sartorius``) and, for the left-right comparison, the angles named in
:data:`FRONT_MUSCLE_ANGLES` with their ``*_uncertainty_deg``. Without them those muscles stay
``not_assessable`` from the side view, as today.
"""

from __future__ import annotations

import dataclasses
import datetime as _dt
import json
import math
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Optional, Union

from .. import __version__
from ..core import constants as C
from ..pipeline.photo import (Horizon, Result, analyze_corrected, analyze_image, analyze_landmarks, combine_views,
                       read_front)
from ..core.errors import InvalidOptionError, ThomasCVError
from ..core.interpret import DISCLAIMER, MUSCLES
from ..core.landmarks import Landmarks, PoseEstimator
from ..media import load_image

SIDES = ("left", "right")
SCHEMA = "thomas-cv/assessment"
SCHEMA_VERSION = 1

#: the side-view angle each muscle's finding turns on, and its uncertainty key
MUSCLE_ANGLES = {
    "iliopsoas": ("thigh_angle_deg", "thigh_angle_uncertainty_deg"),
    "rectus_femoris": ("knee_flexion_deg", "knee_flexion_uncertainty_deg"),
}
#: the front-view angle (issue 14) a muscle's comparison uses when front results carry it
FRONT_MUSCLE_ANGLES = {
    "tfl_itb": ("thigh_abduction_deg", "thigh_abduction_uncertainty_deg"),  # thomas_cv.core.front.FrontMeasurement
}
MUSCLE_LABELS = {
    "iliopsoas": "Iliopsoas (one-joint hip flexors)",
    "rectus_femoris": "Rectus femoris (two-joint hip flexor)",
    "tfl_itb": "Tensor fasciae latae / IT band",
    "sartorius": "Sartorius",
}
ANGLE_LABELS = {
    "thigh_angle_deg": "thigh angle",
    "knee_flexion_deg": "knee flexion",
    "thigh_abduction_deg": "thigh abduction",
}

#: what usually follows each finding (self-care a person may be pointed to; docs/thomas_test.md, issue 16)
FOLLOW_UPS = {
    "pain": "Pain in the hip or knee in the test position: rule out a joint or spine problem with a "
    "clinician first; do not start stretching on these angles.",
    "iliopsoas": "Short iliopsoas: hip-flexor stretching with the trunk side-bent away from the "
    "stretched side (adds to the psoas stretch); contract-relax techniques (post-isometric "
    "relaxation, reciprocal inhibition); glute bridges to engage the hip extensors.",
    "rectus_femoris": "Short rectus femoris: the kneeling hip-flexor stretch with the knee bent "
    "(foot drawn up behind), split squats; contract-relax techniques.",
    "tfl_itb": "Tight TFL / IT band: foam rolling the TFL and the adductors; hip-abductor stretching.",
    "sartorius": "Sartorius pattern: stretching the hip flexors with the thigh turned in and drawn "
    "towards the midline; contract-relax techniques.",
    "borderline": "Borderline readings lie within the measurement uncertainty of the cut-off: re-test "
    "(ideally with a sharper, square-on photo) before acting on them.",
    "pass_tight": "A pass while the front of the hip still feels tight points to tension or "
    "overactivity rather than a short muscle: activate the glutes and hamstrings (e.g. glute "
    "bridges) rather than stretching more.",
    "manual": "When tightness persists despite regular stretching, manual therapy is an option.",
    "retest": "Re-test in a few weeks with the same set-up (table, camera position) to see whether "
    "it works; save the assessment to compare.",
}


def _as_dict(x: Any) -> Optional[dict]:
    if x is None:
        return None
    if isinstance(x, dict):
        return x
    if hasattr(x, "to_dict"):
        return x.to_dict()
    raise TypeError(f"a front result must be a dict or have to_dict(), got {type(x).__name__}")


@dataclass(frozen=True)
class Comparison:
    """One muscle's left-right comparison. ``difference_deg`` = left minus right;
    ``uncertainty_deg`` = sqrt(u_left^2 + u_right^2); ``asymmetric`` when
    |difference| > ``ASYMMETRY_FACTOR`` x uncertainty (None when not compared)."""

    muscle: str
    angle: str
    left_deg: Optional[float]
    right_deg: Optional[float]
    difference_deg: Optional[float]
    uncertainty_deg: Optional[float]
    asymmetric: Optional[bool]
    note: str

    def to_dict(self) -> dict:
        r = lambda v: None if v is None else round(float(v), 1)  # noqa: E731
        return {"muscle": self.muscle, "angle": self.angle, "left_deg": r(self.left_deg),
                "right_deg": r(self.right_deg), "difference_deg": r(self.difference_deg),
                "uncertainty_deg": r(self.uncertainty_deg), "asymmetric": self.asymmetric, "note": self.note}


def compare_values(muscle: str, angle: str, left: float, u_left: float, right: float, u_right: float) -> Comparison:
    """Left-right comparison of one angle (higher = longer muscle for every angle used).

    >>> c = compare_values("rectus_femoris", "knee_flexion_deg", 90.0, 3.0, 80.0, 4.0)
    >>> c.difference_deg, c.uncertainty_deg, c.asymmetric
    (10.0, 5.0, True)
    >>> compare_values("rectus_femoris", "knee_flexion_deg", 90.0, 3.0, 86.0, 4.0).asymmetric
    False
    """
    d = float(left) - float(right)
    u = math.hypot(u_left, u_right)
    asym = abs(d) > C.ASYMMETRY_FACTOR * u
    what = ANGLE_LABELS.get(angle, angle)
    if asym:
        tighter = "right" if d > 0 else "left"
        note = (f"The {tighter} side reads {abs(d):.0f} deg less {what} (left minus right {d:+.1f} +/- {u:.1f} deg): "
                f"more than the combined uncertainty, so the {tighter} side's {MUSCLE_LABELS[muscle].split(' (')[0].lower()} "
                "likely is tighter than the other.")
    else:
        note = (f"Left minus right {d:+.1f} deg, within the combined uncertainty (+/-{u:.1f} deg): "
                "no left-right difference shown.")
    return Comparison(muscle, angle, float(left), float(right), d, u, asym, note)


@dataclass(frozen=True)
class Assessment:
    """Left and right (and optional front-view) results of one person on one day."""

    left: Optional[Result]
    right: Optional[Result]
    person: Optional[str] = None
    date: Optional[str] = None  # ISO YYYY-MM-DD
    front_left: Any = None
    front_right: Any = None
    #: the photos measured ({side: RGB array}, the pixels the results refer to), for the
    #: report's overlays (drawn on the face-blurred photo); never written to JSON
    photos: dict = field(default_factory=dict, repr=False, compare=False)

    def side(self, s: str) -> Optional[Result]:
        return {"left": self.left, "right": self.right}[s]

    def front(self, s: str) -> Optional[dict]:
        return _as_dict({"left": self.front_left, "right": self.front_right}[s])

    def findings(self, s: str) -> dict:
        """{muscle: {status, reason}} for one side: the side view's, with a front view's
        findings taking over the muscles it can judge."""
        res = self.side(s)
        out = {m: f.to_dict() for m, f in (res.findings.items() if res is not None and res.ok else ())}
        fr = self.front(s)
        if fr:
            for mu, f in (fr.get("findings") or {}).items():
                if mu in MUSCLES and f.get("status") not in (None, "not_assessable"):
                    out[mu] = {"status": f["status"], "reason": f.get("reason", "")}
        return out

    @property
    def comparisons(self) -> tuple:
        out = []
        for mu in MUSCLES:
            if mu in MUSCLE_ANGLES:
                key, ukey = MUSCLE_ANGLES[mu]
                vals = {s: (self.side(s).to_dict() if self.side(s) is not None and self.side(s).ok else None) for s in SIDES}
            elif mu in FRONT_MUSCLE_ANGLES:
                key, ukey = FRONT_MUSCLE_ANGLES[mu]
                vals = {}
                for s in SIDES:  # a front view measured with the side (Result.front), else the hook's
                    r = self.side(s)
                    rd = r.to_dict() if r is not None and r.ok and r.front is not None else None
                    vals[s] = rd if rd is not None else self.front(s)
                if all(v is None for v in vals.values()):
                    continue  # no front views: nothing to compare
            else:
                continue
            missing = [s for s in SIDES if vals[s] is None or vals[s].get(key) is None]
            if missing:
                out.append(Comparison(mu, key, None, None, None, None, None,
                                      f"Not compared: the {' and '.join(missing)} side was not measured."))
                continue
            unassessable = [s for s in SIDES if self.findings(s).get(mu, {}).get("status") == "not_assessable"]
            if unassessable:
                out.append(Comparison(mu, key, vals["left"][key], vals["right"][key], None, None, None,
                                      f"Not compared: the {' and '.join(unassessable)} side could not be assessed."))
                continue
            out.append(compare_values(mu, key, vals["left"][key], vals["left"].get(ukey) or 0.0,
                                      vals["right"][key], vals["right"].get(ukey) or 0.0))
        return tuple(out)

    def follow_ups(self) -> list[str]:
        """What usually follows these findings, most urgent first (texts of FOLLOW_UPS)."""
        keys: list[str] = []
        results = [r for r in (self.left, self.right) if r is not None and r.ok]
        if any(n.startswith("Pain in the") for r in results for n in r.notes):
            keys.append("pain")
        else:
            statuses = [f.get("status") for s in SIDES for f in self.findings(s).values()]
            for mu in MUSCLES:
                if any(self.findings(s).get(mu, {}).get("status") == "short" for s in SIDES):
                    keys.append(mu)
            if "borderline" in statuses:
                keys.append("borderline")
            assessed = [x for x in statuses if x != "not_assessable"]
            if assessed and all(x == "normal" for x in assessed):
                keys.append("pass_tight")
            if any(k in MUSCLES for k in keys):
                keys.append("manual")
        keys.append("retest")
        return [FOLLOW_UPS[k] for k in keys]

    def to_dict(self) -> dict:
        """The assessment as JSON (``assessment.json``): both sides' full results (the
        output contract), the merged findings, the comparison and the follow-ups."""
        return {
            "schema": SCHEMA,
            "schema_version": SCHEMA_VERSION,
            "tool_version": __version__,
            "person": self.person,
            "date": self.date,
            "sides": {s: (None if self.side(s) is None else self.side(s).to_dict()) for s in SIDES},
            "front": {s: self.front(s) for s in SIDES},
            "findings": {s: self.findings(s) for s in SIDES},
            "comparison": [c.to_dict() for c in self.comparisons],
            "asymmetry_rule": f"|left - right| > {C.ASYMMETRY_FACTOR:g} x sqrt(u_left^2 + u_right^2)",
            "follow_ups": self.follow_ups(),
            "disclaimer": DISCLAIMER,
        }

    def rows(self) -> list[dict]:
        """CSV: one row per side (the batch columns, plus person, date and the comparison)."""
        comp = {c.muscle: c for c in self.comparisons}
        rows = []
        for s in SIDES:
            res = self.side(s)
            if res is None:
                continue
            row = {"person": self.person, "date": self.date, "assessed_side": s, **res.to_row(),
                   "corrected": res.corrected}
            for mu in MUSCLES:
                if mu in self.findings(s):
                    row[f"{mu}_status"] = self.findings(s)[mu]["status"]
            for mu, c in comp.items():
                row[f"{mu}_left_minus_right_deg"] = None if c.difference_deg is None else round(c.difference_deg, 1)
                row[f"{mu}_asymmetric"] = c.asymmetric
            rows.append(row)
        return rows


def parse_date(text: Optional[str]) -> str:
    """``--date``: an ISO date (YYYY-MM-DD); today when not given.

    >>> parse_date("2026-03-01")
    '2026-03-01'
    """
    if text is None:
        return _dt.date.today().isoformat()
    try:
        return _dt.date.fromisoformat(str(text).strip()).isoformat()
    except ValueError:
        raise InvalidOptionError(f"--date {text!r} is not a date: use YYYY-MM-DD, e.g. 2026-03-01.") from None


def measure_side(
    src: Union[str, os.PathLike, bytes],
    estimator: Optional[PoseEstimator],
    side: str,
    *,
    name: Optional[str] = None,
    horizon: Horizon = Horizon(),
    pain: Optional[str] = None,
    landmarks: Optional[Union[Landmarks, dict]] = None,
    flip: bool = True,
    front: Optional[Union[str, os.PathLike, bytes]] = None,
    front_name: Optional[str] = None,
    front_landmarks: Optional[Union[Landmarks, dict]] = None,
) -> tuple[Result, Optional[Any]]:
    """One side's photo measured as that side (``side`` is passed to the measurement, so a
    photo of the other leg is flagged ``side_overridden``). With ``landmarks`` (hand-placed or
    corrected) the result is measured from them and keeps the model's own reading beside it
    (``estimator`` may then be None: no model reading). ``front``: a front-view photo of the
    same leg (issue 14): TFL / IT band and sartorius are then graded and the side angles
    corrected in 3-D (:func:`thomas_cv.pipeline.photo.combine_views`); ``front_name`` names it when
    given as bytes; ``front_landmarks``: its points placed by hand (:func:`measure_front_photo`).
    Returns the result and the side photo as measured (RGB array, None when unreadable). Never
    raises for bad input."""
    file = name or (str(src) if not isinstance(src, (bytes, bytearray)) else f"{side}.jpg")
    try:
        img = load_image(src)
    except ThomasCVError as exc:
        return Result(file=file, error=exc), None
    try:
        model = None
        if estimator is not None:
            try:
                model = analyze_image(img.rgb, estimator, file=file, side=side, horizon=horizon, pain=pain,
                                      flip=flip, focal_35mm=img.focal_35mm, view="side")
            except ThomasCVError as exc:
                model = Result(file=file, error=exc)
        res = model
        if landmarks is not None:
            res = analyze_corrected(img.rgb, landmarks, model, file=file, side=side, horizon=horizon, pain=pain,
                                    focal_35mm=img.focal_35mm, view="side")
        if front is not None and res.ok and (estimator is not None or front_landmarks is not None):
            res = combine_views(res, measure_front_photo(front, estimator, side=res.measurement.side, pain=pain,
                                                         thigh_angle_deg=res.measurement.thigh_angle_deg,
                                                         name=front_name, landmarks=front_landmarks), pain=pain)
        return res, img.rgb
    except ThomasCVError as exc:
        return Result(file=file, error=exc), img.rgb


def measure_front_photo(src, estimator: Optional[PoseEstimator], *, side: Optional[str], pain: Optional[str] = None,
                        thigh_angle_deg: Optional[float] = None, name: Optional[str] = None,
                        landmarks: Optional[Union[Landmarks, dict]] = None) -> Result:
    """A front-view photo of one leg (from the foot end or from above) measured alone, for
    :func:`thomas_cv.pipeline.photo.combine_views`: :func:`thomas_cv.pipeline.photo.read_front`, from the
    ``landmarks`` placed by hand when given (the model's reading kept beside). A side view (or
    side-view points) is the result's ``wrong_view`` error. Never raises for bad input."""
    file = name or (str(src) if not isinstance(src, (bytes, bytearray)) else "front.jpg")
    try:
        img = load_image(src)
    except ThomasCVError as exc:
        return Result(file=file, error=exc)
    return read_front(img.rgb, estimator, file=file, side=side, pain=pain, focal_35mm=img.focal_35mm,
                      thigh_angle_deg=thigh_angle_deg, points=landmarks)


def load_landmarks_file(path: Union[str, os.PathLike]) -> dict[str, dict]:
    """Hand-corrected landmarks by photo name (basename) from a JSON file in the format the
    tool writes: a result (``measure --format json``), a list of them (``results.json``), or
    an ``assessment.json``; any object with ``file`` and ``landmarks`` counts, and a side +
    front result's ``front_file`` and ``front_landmarks`` too. Values are the ``landmarks``
    objects (checked here; joints left out are filled from the model's reading when measured,
    :func:`thomas_cv.pipeline.photo.resolve_landmarks`). Key ``""`` holds the only entry when there is exactly one."""
    how = "write it as 'thomas-cv measure PHOTO --format json' does (README: 'Correcting points by hand')"
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise InvalidOptionError(f"--landmarks {path}: file not found.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidOptionError(f"--landmarks {path}: not a readable JSON file ({exc}): {how}.") from None
    found: dict[str, dict] = {}

    def walk(x):
        if isinstance(x, dict):
            pairs = [(f, k) for f, k in (("file", "landmarks"), ("front_file", "front_landmarks")) if k in x]
            for fkey, key in pairs:
                lm = x[key]
                if lm is None:
                    continue  # a result without points (nothing was found): nothing to correct
                if not isinstance(lm, dict):
                    raise InvalidOptionError(f"--landmarks {path}: '{key}' must be an object with 'image_size' and "
                                             f"'points': {how}.")
                size = lm.get("image_size") or [1, 1]
                try:  # the names and numbers are checked now, against a stand-in for the model's points
                    import numpy as np

                    Landmarks.from_dict(lm, base=Landmarks(np.zeros((33, 2)), np.zeros(33), tuple(size)))
                except (ValueError, TypeError) as exc:
                    raise InvalidOptionError(f"--landmarks {path}: {exc}") from None
                found[os.path.basename(str(x.get(fkey) or ""))] = lm
            if pairs:
                return
            for v in x.values():
                walk(v)
        elif isinstance(x, list):
            for v in x:
                walk(v)

    walk(data)
    if not found:
        raise InvalidOptionError(f"--landmarks {path}: no 'landmarks' field found; write one with "
                                 "'thomas-cv measure PHOTO --format json' and move the points there, or write "
                                 "{\"file\": \"PHOTO.jpg\", \"landmarks\": {\"image_size\": [W, H], \"points\": "
                                 "{...}}} by hand (README: 'Correcting points by hand').")
    if len(found) == 1:
        found[""] = next(iter(found.values()))
    return found


def landmarks_for(photo: Union[str, os.PathLike], table: Optional[dict], only: bool) -> Optional[dict]:
    """The corrected landmarks for ``photo`` from :func:`load_landmarks_file`'s table (by its
    name; the single entry when ``only`` one photo is measured)."""
    if not table:
        return None
    hit = table.get(os.path.basename(str(photo)))
    if hit is None and only:
        hit = table.get("")
    return hit


def assess(
    left: Optional[Union[str, os.PathLike, bytes]],
    right: Optional[Union[str, os.PathLike, bytes]],
    estimator: Optional[PoseEstimator],
    *,
    person: Optional[str] = None,
    date: Optional[str] = None,
    horizon: Horizon = Horizon(),
    pain: Optional[dict] = None,
    landmarks: Optional[dict] = None,
    names: Optional[dict] = None,
    front_left: Any = None,
    front_right: Any = None,
    flip: bool = True,
    front_photos: Optional[dict] = None,
) -> Assessment:
    """Measure both sides' photos (either may be None) into one :class:`Assessment`.
    ``pain``, ``landmarks``, ``names`` and ``front_photos`` (front-view photos): per side
    ({"left": ..., "right": ...}). ``front_left``/``front_right``: front results measured
    elsewhere (the hook described in the module docstring)."""
    pain, landmarks, names, fronts = pain or {}, landmarks or {}, names or {}, front_photos or {}
    results, photos = {"left": None, "right": None}, {}
    for s, src in (("left", left), ("right", right)):
        if src is None:
            continue
        results[s], rgb = measure_side(src, estimator, s, name=names.get(s), horizon=horizon, pain=pain.get(s),
                                       landmarks=landmarks.get(s), flip=flip, front=fronts.get(s))
        if rgb is not None:
            photos[s] = rgb
    return Assessment(results["left"], results["right"], person=person, date=parse_date(date),
                      front_left=front_left, front_right=front_right, photos=photos)


#: batch pairing rule: NAME_left.ext + NAME_right.ext (also -left/-right, " left"/" right",
#: any letter case) are the two sides of one assessment named NAME
PAIR_SUFFIXES = {"left": ("_left", "-left", " left"), "right": ("_right", "-right", " right")}


def pair_photos(paths: list) -> tuple[list[tuple[str, Any, Any]], list]:
    """Split photo paths into assessments by the naming rule (:data:`PAIR_SUFFIXES`):
    ``[(NAME, left_path, right_path)]`` for complete pairs, and the unpaired rest (to be
    measured alone), each in input order.

    >>> pair_photos(["a/p1_left.jpg", "a/p1_RIGHT.jpg", "a/p2_left.jpg", "a/x.jpg"])
    ([('p1', 'a/p1_left.jpg', 'a/p1_RIGHT.jpg')], ['a/p2_left.jpg', 'a/x.jpg'])
    """
    by_name: dict[tuple, dict] = {}
    order: list[tuple] = []
    for i, p in enumerate(paths):
        kind, s, name = _name_parts(p)
        if kind != "side":
            continue
        key = (str(Path(str(p)).parent), name)
        if key not in by_name:
            by_name[key] = {}
            order.append(key)
        by_name[key].setdefault(s, i)
    pairs, paired = [], set()
    for key in order:
        d = by_name[key]
        if "left" in d and "right" in d:
            pairs.append((key[1], paths[d["left"]], paths[d["right"]]))
            paired.update((d["left"], d["right"]))
    alone = [p for i, p in enumerate(paths) if i not in paired]
    return pairs, alone


#: batch front photos: NAME_left_front.ext / NAME_right_front.ext (the side word, then _front,
#: -front or " front", any letter case): the front view of that leg, for NAME's assessment
FRONT_SUFFIXES = ("_front", "-front", " front")


def _name_parts(p) -> tuple[Optional[str], Optional[str], str]:
    """(kind "side"/"front"/None, side or None, NAME) of a batch photo by the naming rule."""
    stem = Path(str(p)).stem
    kind, rest = "side", stem
    hit = next((suf for suf in FRONT_SUFFIXES if stem.lower().endswith(suf)), None)
    if hit:
        kind, rest = "front", stem[: -len(hit)]
    for s, suffixes in PAIR_SUFFIXES.items():
        suf = next((x for x in suffixes if rest.lower().endswith(x)), None)
        if suf:
            return kind, s, rest[: -len(suf)]
    return None, None, stem


@dataclass(frozen=True)
class BatchJob:
    """One assessment of a batch: its NAME, the side photos ``sides`` ({side: path}; the key
    None for a photo whose side the name does not say: found from the photo) and the front
    photos ``fronts`` ({side: path})."""

    name: str
    sides: dict
    fronts: dict = field(default_factory=dict)


def batch_jobs(paths: list) -> tuple[list[BatchJob], list]:
    """Photos of a batch (``thomas-cv assess PHOTOS_OR_DIR``) grouped into assessments by the
    naming rule, and the front photos left over. In one folder, ``NAME_left`` + ``NAME_right``
    (:data:`PAIR_SUFFIXES`) are one assessment named NAME, and ``NAME_left_front`` /
    ``NAME_right_front`` (:data:`FRONT_SUFFIXES`) add that leg's front view; a side photo
    without its partner is an assessment of its own (named by its file, with its front photo if
    there is one), as is any other photo (its side found from the photo). A front photo whose
    side photo is missing cannot be assessed: it is returned in the second list. Complete pairs
    come first, then the rest, each in input order.

    >>> jobs, left_over = batch_jobs(["a/p1_left.jpg", "a/p1_right.jpg", "a/p1_Left_Front.jpg", "a/x.jpg",
    ...                               "a/p2_right_front.jpg"])
    >>> [(j.name, sorted(j.sides), sorted(j.fronts)) for j in jobs], left_over
    ([('p1', ['left', 'right'], ['left']), ('x', [None], [])], ['a/p2_right_front.jpg'])
    """
    pairs, alone = pair_photos([p for p in paths if _name_parts(p)[0] != "front"])
    fronts, extra = {}, []
    for p in paths:
        kind, side, base = _name_parts(p)
        if kind == "front":
            key = (str(Path(str(p)).parent), base.lower(), side)
            if key in fronts:
                extra.append(p)  # a second front photo of the same leg: left over
            else:
                fronts[key] = p
    used = set()

    def front_of(photo, side):
        kind, s, base = _name_parts(photo)
        key = (str(Path(str(photo)).parent), base.lower(), side)
        if kind == "side" and key in fronts:
            used.add(key)
            return {side: fronts[key]}
        return {}

    jobs = [BatchJob(name, {"left": lp, "right": rp}, {**front_of(lp, "left"), **front_of(rp, "right")})
            for name, lp, rp in pairs]
    for p in alone:
        _, side, _ = _name_parts(p)
        jobs.append(BatchJob(Path(str(p)).stem, {side: p}, front_of(p, side) if side else {}))
    left_over = [p for key, p in fronts.items() if key not in used] + extra
    return jobs, [p for p in paths if any(p is q for q in left_over)]


def corrected_result(
    model: Result,
    photo,
    moves: dict,
    *,
    side: Optional[str] = None,
    horizon: Horizon = Horizon(),
    pain: Optional[str] = None,
    table_edge: Optional[tuple] = None,
    focal_35mm: Optional[float] = None,
) -> Result:
    """The model's result with points moved by hand (``moves``: {name: (x, y)} in ``photo``'s
    pixels, names of :data:`thomas_cv.clinic.correction.MOVABLE`), re-measured through the
    same steps as the model's own points. ``table_edge``: two (x, y) points of a level line
    placed by hand: it becomes the horizontal reference. The result keeps the model's reading.
    Never raises for a bad placement: the error is in the result."""
    from .correction import move_points

    if not model.ok or model.landmarks is None:
        return model
    try:
        lm = move_points(model.landmarks, model.measurement.points, moves)
    except ValueError as exc:
        raise InvalidOptionError(str(exc)) from None
    if table_edge is not None:
        (x1, y1), (x2, y2) = table_edge
        horizon = Horizon("points", points=((float(x1), float(y1)), (float(x2), float(y2))))
    try:
        res = analyze_landmarks(photo, lm, file=model.file, side=side, horizon=horizon, pain=pain,
                                focal_35mm=focal_35mm, model=model)
        if model.front is not None:  # the front view of the same leg stays with it
            res = combine_views(res, Result(file=model.front_file, front=model.front, overlay=model.front_overlay,
                                            landmarks=model.front_landmarks, other_faces=model.front_other_faces),
                                pain=pain)
        return dataclasses.replace(res, other_faces=model.other_faces)  # the same photo: the same bystanders
    except ThomasCVError as exc:
        return Result(file=model.file, error=exc, landmarks=lm, corrected=True, model_reading=model.reading())

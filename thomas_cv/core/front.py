"""The front view of the Thomas test: thigh abduction and shank deviation. Pure: numpy only.

Seen from the foot end of the table (camera at about table height looking towards the head)
or from above the hanging thigh (the same camera raised, looking down at the knee), the test's
third criterion shows: the hanging thigh should not drift outwards, and the shank should hang
straight down (docs/thomas_test.md; BMC Sports Sci Med Rehabil 2021, s13102-021-00242-y, table 4).

Angles (degrees), one definition each (docs/thomas_test.md, issue 14):

- ``thigh_abduction_deg``: angle of the hip->knee line out of the body's sagittal plane (the
  plane through the hip along the table's long axis), **+ = knee away from the midline**.
- ``shank_deviation_deg``: the knee->ankle line seen from the foot end (the table's
  cross-section) against straight down, **+ = foot swung outwards** (away from the midline).
  With the knee bent the shank swings like a pendulum about the thigh: a foot swung outwards
  means hip internal rotation, inwards means external rotation (docs/thomas_test.md;
  Kendall et al. 1993).

How: the photo is levelled on the hip line (the two hips lie level and square to the body's
long axis), mirrored so that the tested leg's outside points to +x (each formula exists once),
and the hanging leg is the one whose knee hangs lowest (geometry settles it: BlazePose swaps
left and right on views from the foot end). The thigh and shank are then rebuilt in 3-D with a
pinhole camera (principal point at the image centre, focal length from the photo's EXIF) and
body proportions: the distance between the hip landmarks sets the hips' depth, the thigh's
length puts the knee on its ray, the shank's length the ankle. The thigh's lateral share is the
abduction; the shank is turned into the table's cross-section with the camera elevation the
thigh shows. Each angle's uncertainty comes from varying every assumption over its plausible
range and the joints by their typical error, scaled by a factor fitted on tuning renders.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from . import constants as C
from .errors import LandmarkNotVisibleError, WrongViewError
from .landmarks import LEG, Landmarks, PoseLandmark

VIEWS = ("side", "front")
#: where the camera stood for a front view
FRONT_PLACES = ("foot_end", "above")

FRONT_FLAG_MESSAGES = {
    "oblique_front_view": "The camera looked at the leg from about {value:.0f} deg above the table, between the "
    "two supported places (level with the table at the foot end, or high above the thigh): the angles are less sure.",
    "landmark_not_visible": "Some joints are hard to see ({value}): the front-view angles near them are less sure.",
    "leg_length_mismatch": "The thigh or shank looks longer than body proportions allow ({value}): the "
    "joints may be misplaced, or the camera is very close; the angles are less sure.",
    "low_confidence": "Confidence is low ({value:.2f}): the front-view findings are not assessed.",
    "side_overridden": "The tested side was set by hand to {value}, but the {other} leg hangs: check the side.",
}


@dataclass(frozen=True)
class Flag:
    """A quality warning of a front view: stable ``code`` and a sentence for people."""

    code: str
    message: str

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


def _flag(code: str, **values) -> Flag:
    return Flag(code, FRONT_FLAG_MESSAGES[code].format(**values))


@dataclass(frozen=True)
class ViewGuess:
    """Which view a photo shows, from the landmarks' layout alone.

    ``view``: ``side`` or ``front``; ``place``: for a front view, ``foot_end`` or ``above``.
    ``hip_width_ratio``: distance between the hips over the longer leg's image length (side
    views show the hips almost on top of each other); ``shank_to_thigh``: image length of the
    hanging shank over its thigh (the thigh is foreshortened from the foot end, the shank
    from above).
    """

    view: str
    place: Optional[str]
    hip_width_ratio: float
    shank_to_thigh: float

    def to_dict(self) -> dict:
        return {"view": self.view, "place": self.place, "hip_width_ratio": round(self.hip_width_ratio, 3),
                "shank_to_thigh": round(self.shank_to_thigh, 3)}


@dataclass(frozen=True)
class FrontMeasurement:
    """The front-view angles of one photo (conventions in the module docstring).

    ``points``: pixel positions (original image) of the joints used, for the overlay, plus
    ``midline`` (two points of the sagittal line through the tested hip, square to the hip line).
    """

    side: str
    place: str
    thigh_abduction_deg: float
    shank_deviation_deg: float
    thigh_abduction_uncertainty_deg: float
    shank_deviation_uncertainty_deg: float
    camera_elevation_deg: float
    confidence: float
    flags: tuple = ()
    points: dict = field(default_factory=dict)
    visibility: dict = field(default_factory=dict)

    @property
    def flag_codes(self) -> list[str]:
        return [f.code for f in self.flags]

    def to_dict(self) -> dict:
        r = lambda v: round(float(v), 1)  # noqa: E731 - degrees to 0.1
        return {
            "side": self.side,
            "view_place": self.place,
            "thigh_abduction_deg": r(self.thigh_abduction_deg),
            "shank_deviation_deg": r(self.shank_deviation_deg),
            "thigh_abduction_uncertainty_deg": r(self.thigh_abduction_uncertainty_deg),
            "shank_deviation_uncertainty_deg": r(self.shank_deviation_uncertainty_deg),
            "camera_elevation_deg": r(self.camera_elevation_deg),
            "confidence": round(float(self.confidence), 2),
            "flags": self.flag_codes,
        }


# ------------------------------------------------------------------------------ the frame
def _level_angle(lm: Landmarks) -> float:
    """Angle (rad, image frame, y down) that turns the hip line onto the x axis, chosen so that
    the image's down stays down (photos are upright)."""
    d = lm.point(PoseLandmark.RIGHT_HIP) - lm.point(PoseLandmark.LEFT_HIP)
    ang = float(np.arctan2(d[1], d[0]))
    # fold to (-pi/2, pi/2]: the hip line has no direction
    if ang > np.pi / 2:
        ang -= np.pi
    elif ang <= -np.pi / 2:
        ang += np.pi
    return ang


def _rotate(p: np.ndarray, ang: float) -> np.ndarray:
    """Rotate points (relative to the centre) by -ang (image frame)."""
    c, s = np.cos(ang), np.sin(ang)
    x, y = p[..., 0], p[..., 1]
    return np.stack([x * c + y * s, -x * s + y * c], axis=-1)


@dataclass(frozen=True)
class _Frame:
    """Landmarks levelled on the hip line about the image centre, mirrored so the tested leg's
    outside is +x; which labels the geometry picked for the tested leg."""

    xy: np.ndarray        # (33, 2) canonical, relative to the image centre
    mirror: float         # +1 or -1: the x sign applied after levelling
    hip: int
    knee: int
    ankle: int
    other_hip: int
    other_knee: int
    side: str             # the person's side of the hanging leg


def _frame(lm: Landmarks) -> _Frame:
    P = PoseLandmark
    w, h = lm.image_size
    c = np.array([w / 2.0, h / 2.0])
    lvl = _rotate(lm.xy - c, _level_angle(lm))
    knees = [LEG["left"][1], LEG["right"][1]]
    k_i = max(knees, key=lambda i: lvl[i][1])  # the hanging knee hangs lowest
    ok_i = knees[0] if k_i == knees[1] else knees[1]
    hips = [P.LEFT_HIP, P.RIGHT_HIP]
    # the tested hip: the one nearer the hanging knee across the body (labels may be swapped)
    h_i = min(hips, key=lambda i: abs(lvl[i][0] - lvl[k_i][0]))
    oh_i = hips[0] if h_i == hips[1] else hips[1]
    # each knee with an ankle, so that the two shanks are the shortest pair (labels may be swapped)
    a1, a2 = LEG["left"][2], LEG["right"][2]
    dist = lambda a, b: float(np.linalg.norm(lvl[a] - lvl[b]))  # noqa: E731
    a_i = a1 if dist(a1, k_i) + dist(a2, ok_i) <= dist(a2, k_i) + dist(a1, ok_i) else a2
    if abs(lvl[h_i][0] - lvl[oh_i][0]) < 1e-6:
        raise LandmarkNotVisibleError(
            "The two hips fall on the same point: this is not a view from the front. "
            "Photograph from the foot end of the table or from above the hanging thigh."
        )
    mirror = 1.0 if lvl[h_i][0] > lvl[oh_i][0] else -1.0
    # Looking from the foot end towards the head (or down from above it), the person's left
    # is on the image's right once the photo is levelled with the body below: image +x = left.
    side = "left" if mirror > 0 else "right"
    xy = lvl * np.array([mirror, 1.0])
    return _Frame(xy, mirror, int(h_i), int(k_i), int(a_i), int(oh_i), int(ok_i), side)


def _to_image(lm: Landmarks, fr: _Frame, pts) -> np.ndarray:
    """Canonical points back to the original image's pixels."""
    w, h = lm.image_size
    p = np.asarray(pts, float) * np.array([fr.mirror, 1.0])
    return _rotate(p, -_level_angle(lm)) + np.array([w / 2.0, h / 2.0])


# ------------------------------------------------------------------------------ views
def _steepness(a: np.ndarray, b: np.ndarray) -> float:
    """Angle of a->b from the image horizontal, 0..90 deg."""
    d = np.asarray(b, float) - np.asarray(a, float)
    return float(np.degrees(np.arctan2(abs(d[1]), abs(d[0]) + 1e-9)))


def recognise_view(lm: Landmarks) -> ViewGuess:
    """Side or front, and for a front view where the camera stood, from the landmarks' layout.

    A side photo shows the body lying across the image: the trunk and the hanging thigh run
    roughly along the image's horizontal (the test keeps the thigh within about 30 deg of it),
    and the two hips lie almost on top of each other. A front photo, from the foot end or from
    above, shows the trunk running up and down the image or foreshortened, or the hanging thigh
    running up and down while the trunk is not flat across it, or the hips a hip width apart
    (``FRONT_MIN_HIP_WIDTH_RATIO`` of the leg's image length). Any of these makes it a front
    view (thresholds fitted on tuning renders, constants.py). (A side photo with a flat
    trunk and a steep thigh stays a side view: not the test position, which the side
    measurement says.) From the foot end the hanging thigh points at the camera and looks
    short against its shank; from above, the shank points away and looks short.
    """
    P = PoseLandmark
    hip_w = float(np.linalg.norm(lm.point(P.LEFT_HIP) - lm.point(P.RIGHT_HIP)))
    legs = []
    for s in ("left", "right"):
        hi, ki, ai = LEG[s]
        legs.append(float(np.linalg.norm(lm.xy[ki] - lm.xy[hi]) + np.linalg.norm(lm.xy[ai] - lm.xy[ki])))
    leg = max(max(legs), 1e-9)
    ratio = hip_w / leg
    # the hanging leg: the knee lowest in the (upright) image; its hip the nearer across
    k_i = max((P.LEFT_KNEE, P.RIGHT_KNEE), key=lambda i: lm.xy[i][1])
    h_i = min((P.LEFT_HIP, P.RIGHT_HIP), key=lambda i: abs(lm.xy[i][0] - lm.xy[k_i][0]))
    a1, a2 = P.LEFT_ANKLE, P.RIGHT_ANKLE
    a_i = min((a1, a2), key=lambda i: float(np.linalg.norm(lm.xy[i] - lm.xy[k_i])))
    thigh = float(np.linalg.norm(lm.xy[k_i] - lm.xy[h_i]))
    shank = float(np.linalg.norm(lm.xy[a_i] - lm.xy[k_i]))
    s2t = shank / max(thigh, 1e-9)
    sc = (lm.point(P.LEFT_SHOULDER) + lm.point(P.RIGHT_SHOULDER)) / 2
    hc = (lm.point(P.LEFT_HIP) + lm.point(P.RIGHT_HIP)) / 2
    trunk_steep = _steepness(sc, hc) if np.linalg.norm(sc - hc) > 1e-6 else 90.0
    thigh_steep = _steepness(lm.xy[h_i], lm.xy[k_i]) if thigh > 1e-6 else 90.0
    trunk_short = float(np.linalg.norm(sc - hc)) < C.FRONT_MAX_TRUNK_TO_LEG * leg
    front = (ratio >= C.FRONT_MIN_HIP_WIDTH_RATIO or trunk_steep >= C.FRONT_MIN_TRUNK_STEEPNESS_DEG or trunk_short
             or (thigh_steep >= C.FRONT_MIN_THIGH_STEEPNESS_DEG and trunk_steep >= C.SIDE_MAX_TRUNK_STEEPNESS_DEG))
    if not front:
        return ViewGuess("side", None, ratio, s2t)
    place = "foot_end" if s2t >= C.FOOT_END_MIN_SHANK_TO_THIGH else "above"
    return ViewGuess("front", place, ratio, s2t)


def require_view(lm: Landmarks, expected: str) -> ViewGuess:
    """The view guess, or :class:`WrongViewError` when the photo is not the ``expected`` view."""
    g = recognise_view(lm)
    if g.view != expected:
        if expected == "front":
            msg = ("This photo looks like a side view (the hips lie on top of each other), not the front view "
                   "asked for: photograph the hanging leg from the foot end of the table or from above the thigh.")
        else:
            msg = ("This photo looks like a front view (both hips apart), not the side view asked for: photograph "
                   "square to the hanging leg from its side.")
        raise WrongViewError(msg)
    return g


# ------------------------------------------------------------------------------ 3-D
def _on_sphere(ray: np.ndarray, centre: np.ndarray, radius: float, nearer: bool) -> tuple[np.ndarray, float]:
    """Point on the camera ray ``ray`` (depth component 1) at ``radius`` from ``centre``: the
    nearer or farther of the two, or the closest approach when the ray misses; False when it
    misses, and by how much (a share of the radius; 0 when it meets the sphere)."""
    a = float(ray @ ray)
    b = float(ray @ centre)
    cc = float(centre @ centre) - radius * radius
    disc = b * b - a * cc
    if disc < 0:
        p = ray * (b / a)
        return p, float(np.linalg.norm(p - centre) / radius - 1.0)
    r = np.sqrt(disc)
    t = (b - r) / a if nearer else (b + r) / a
    return ray * t, 0.0


@dataclass(frozen=True)
class _Priors:
    """The body and camera assumptions behind one reading (varied for the uncertainty)."""

    thigh_to_hip_width: float = C.THIGH_TO_HIP_WIDTH
    shank_to_thigh: float = C.SHANK_TO_THIGH_RATIO
    focal_scale: float = 1.0
    thigh_angle_deg: float = C.FRONT_ASSUMED_THIGH_ANGLE_DEG
    trunk_to_thigh: float = C.TRUNK_TO_THIGH


def _angles(xy: np.ndarray, fr: _Frame, f_px: float, pr: _Priors, use_trunk: bool) -> tuple[float, float, float, float]:
    """(abduction, shank deviation, camera elevation, length mismatch) of canonical points; the
    mismatch is how much longer than body proportions allow a limb looks (0 = it fits)."""
    f = f_px * pr.focal_scale
    ray = lambda p: np.array([p[0] / f, p[1] / f, 1.0])  # noqa: E731 - depth component 1
    hip, ohip, knee, ankle = xy[fr.hip], xy[fr.other_hip], xy[fr.knee], xy[fr.ankle]
    hip_w_px = float(np.linalg.norm(hip - ohip))
    # hips' depth in thigh lengths: the hip width (pixels) is thigh/ratio at that depth
    d_hip = f / (hip_w_px * pr.thigh_to_hip_width)
    H = ray(hip) * d_hip
    K, ok1 = _on_sphere(ray(knee), H, 1.0, nearer=True)
    A, ok2 = _on_sphere(ray(ankle), K, pr.shank_to_thigh, nearer=False)
    T, S = K - H, A - K
    T /= max(np.linalg.norm(T), 1e-12)
    S /= max(np.linalg.norm(S), 1e-12)
    # camera elevation: the thigh's sagittal part (image down, towards the camera) makes
    # elevation + thigh angle with the optical axis's perpendicular
    e = float(np.arctan2(T[1], -T[2])) - np.radians(pr.thigh_angle_deg)
    lateral = np.array([1.0, 0.0, 0.0])  # the hip line, levelled: across the body
    down = np.array([0.0, np.cos(e), np.sin(e)])  # straight down, for a camera not turned
    if use_trunk:
        # the body's long axis in 3-D: the shoulder centre lies a trunk length from the hip
        # centre, further from the camera; it corrects for a camera turned about the vertical
        P = PoseLandmark
        hc = (xy[P.LEFT_HIP] + xy[P.RIGHT_HIP]) / 2
        sc = (xy[P.LEFT_SHOULDER] + xy[P.RIGHT_SHOULDER]) / 2
        Hc = ray(hc) * d_hip
        Sc, _ = _on_sphere(ray(sc), Hc, pr.trunk_to_thigh, nearer=False)
        long_ = (Sc - Hc) / max(float(np.linalg.norm(Sc - Hc)), 1e-12)
        lateral = lateral - (lateral @ long_) * long_
        lateral /= np.linalg.norm(lateral)
        up = np.cross(lateral, long_)  # anterior = up for a person lying on the back
        if up @ down > 0:  # the sign that agrees with the thigh's estimate of straight down
            up = -up
        down = -up
        e = float(np.arcsin(np.clip(-long_[1], -1, 1)))  # the long axis dips away by the elevation
    abduction = float(np.degrees(np.arcsin(np.clip(T @ lateral, -1, 1))))
    deviation = float(np.degrees(np.arctan2(S @ lateral, S @ down)))
    return abduction, deviation, float(np.degrees(e)), max(ok1, ok2)


def _spread(values: list[float], base: float) -> float:
    return float(np.sqrt(sum((v - base) ** 2 for v in values)))


def measure_front(
    lm: Landmarks,
    *,
    f_px: Optional[float] = None,
    side: Optional[str] = None,
    thigh_angle_deg: Optional[float] = None,
    guess: Optional[ViewGuess] = None,
) -> FrontMeasurement:
    """Measure the front view of a Thomas test from one person's landmarks.

    ``f_px``: focal length in pixels (default: a phone's, ``DEFAULT_FOCAL_35MM``);
    ``thigh_angle_deg``: the thigh angle from a side view of the same position, when known
    (else a typical value is assumed); ``side`` overrides the side label reported.
    Raises :class:`WrongViewError` for a side view and :class:`LandmarkNotVisibleError` when
    the joints cannot be placed.
    """
    from .perspective import focal_px_from_35mm

    if side is not None and side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    if not guess:
        require_view(lm, "front")  # raises WrongViewError on a side view
    w, h = lm.image_size
    if f_px is None:
        f_px = focal_px_from_35mm(C.DEFAULT_FOCAL_35MM, w, h)
    fr = _frame(lm)
    for a, b, what in ((fr.hip, fr.knee, "hip and knee"), (fr.knee, fr.ankle, "knee and ankle")):
        if not np.linalg.norm(fr.xy[a] - fr.xy[b]) > 1e-3:
            raise LandmarkNotVisibleError(
                f"The {what} of the hanging leg fall on the same point: the leg cannot be measured. "
                "Make sure the whole hanging leg is in the picture."
            )
    outside = [n for n, i in (("hip", fr.hip), ("knee", fr.knee), ("ankle", fr.ankle)) if not lm.inside()[i]]
    if outside:
        raise LandmarkNotVisibleError(
            f"The {' and '.join(outside)} of the hanging leg {'is' if len(outside) == 1 else 'are'} outside the "
            "picture: step back so that both hips and the whole hanging leg are in view."
        )
    pr = _Priors(thigh_to_hip_width=C.THIGH_TO_HIP_WIDTH, shank_to_thigh=C.SHANK_TO_THIGH_RATIO,
                 thigh_angle_deg=C.FRONT_ASSUMED_THIGH_ANGLE_DEG if thigh_angle_deg is None else float(thigh_angle_deg),
                 trunk_to_thigh=C.TRUNK_TO_THIGH)
    P = PoseLandmark
    inside = lm.inside()
    use_trunk = all(inside[i] and lm.visibility[i] >= C.MIN_VISIBILITY for i in (P.LEFT_SHOULDER, P.RIGHT_SHOULDER))
    abd, dev, elev, mismatch = _angles(fr.xy, fr, f_px, pr, use_trunk)
    consistent = mismatch <= C.FRONT_MAX_LENGTH_MISMATCH

    # --- uncertainty: each assumption over its plausible range, joints by their typical error
    abd_v, dev_v = [], []
    for var in (
        dataclasses.replace(pr, thigh_to_hip_width=pr.thigh_to_hip_width * (1 + C.FRONT_HIP_WIDTH_REL_SD)),
        dataclasses.replace(pr, shank_to_thigh=pr.shank_to_thigh * (1 + C.FRONT_SHANK_RATIO_REL_SD)),
        dataclasses.replace(pr, trunk_to_thigh=pr.trunk_to_thigh * (1 + C.FRONT_TRUNK_RATIO_REL_SD)),
        dataclasses.replace(pr, focal_scale=1 + C.FRONT_FOCAL_REL_SD),
        dataclasses.replace(pr, thigh_angle_deg=pr.thigh_angle_deg + (C.FRONT_THIGH_ANGLE_SD_DEG if thigh_angle_deg is None else C.DEFAULT_THIGH_UNCERTAINTY_DEG)),
    ):
        a2, d2, _, _ = _angles(fr.xy, fr, f_px, var, use_trunk)
        abd_v.append(a2)
        dev_v.append(d2)
    hip_w_px = float(np.linalg.norm(fr.xy[fr.hip] - fr.xy[fr.other_hip]))
    sigma = C.FRONT_JOINT_SD_HIP_WIDTHS * hip_w_px
    joints = [fr.hip, fr.knee, fr.ankle] + ([P.LEFT_SHOULDER, P.RIGHT_SHOULDER] if use_trunk else [])
    for idx in joints:
        for d in ((1.0, 0.0), (0.0, 1.0)):
            xy2 = fr.xy.copy()
            xy2[idx] = xy2[idx] + sigma * np.asarray(d)
            a2, d2, _, _ = _angles(xy2, fr, f_px, pr, use_trunk)
            abd_v.append(a2)
            dev_v.append(d2)
    u_abd = C.FRONT_UNC_FACTOR * _spread(abd_v, abd) + C.FRONT_UNC_FLOOR_DEG
    u_dev = C.FRONT_UNC_FACTOR * _spread(dev_v, dev) + C.FRONT_UNC_FLOOR_DEG

    # --- flags and confidence
    flags: list[Flag] = []
    tested_side = fr.side
    if side is not None and side != tested_side:
        flags.append(_flag("side_overridden", value=side, other=tested_side))
        tested_side = side
    # a reading the body cannot have is not a measurement: say so rather than give a number
    leg_px = float(np.linalg.norm(fr.xy[fr.knee] - fr.xy[fr.hip]) + np.linalg.norm(fr.xy[fr.ankle] - fr.xy[fr.knee]))
    why = []
    if hip_w_px < C.FRONT_MIN_PLAUSIBLE_HIP_RATIO * leg_px:
        why.append("the two hips are placed almost on one point")
    if mismatch > C.FRONT_REFUSE_LENGTH_MISMATCH:
        why.append(f"the thigh or shank looks {mismatch * 100:.0f}% longer than body proportions allow")
    if not C.FRONT_ELEVATION_MIN_DEG <= elev <= C.FRONT_ELEVATION_MAX_DEG:
        why.append(f"the leg's layout implies an impossible camera place ({elev:.0f} deg elevation)")
    if why:
        raise LandmarkNotVisibleError(
            "The pose model did not place both hips and the hanging leg consistently in this front photo ("
            + "; ".join(why) + "): not measured. Retake it from the foot end of the table with both hips, the "
            "whole hanging leg and the shoulders in view, or measure the side view alone."
        )
    lo, hi = C.FRONT_ELEVATION_FOOT_END_MAX_DEG, C.FRONT_ELEVATION_ABOVE_MIN_DEG
    oblique = lo < elev < hi
    if oblique:
        flags.append(_flag("oblique_front_view", value=elev))
        u_abd, u_dev = u_abd * C.POOR_VIEW_UNC_FACTOR, u_dev * C.POOR_VIEW_UNC_FACTOR
    if not consistent:
        flags.append(_flag("leg_length_mismatch", value="joints off their body proportions"))
        u_abd, u_dev = u_abd * C.POOR_VIEW_UNC_FACTOR, u_dev * C.POOR_VIEW_UNC_FACTOR
    used = {"hip": fr.hip, "knee": fr.knee, "ankle": fr.ankle, "other_hip": fr.other_hip}
    low = sorted(k for k, i in used.items() if lm.visibility[i] < C.MIN_VISIBILITY)
    if low:
        flags.append(_flag("landmark_not_visible", value=", ".join(low)))
    confidence = float(np.clip(np.mean([lm.visibility[i] for i in used.values()])
                               * (0.8 if oblique else 1.0) * (0.8 if not consistent else 1.0), 0, 1))
    if confidence < C.MIN_CONFIDENCE:
        flags.append(_flag("low_confidence", value=confidence))

    # --- evidence for the overlay: the joints, and the sagittal line through the tested hip
    hip_c = fr.xy[fr.hip]
    knee_len = float(np.linalg.norm(fr.xy[fr.knee] - hip_c))
    mid = _to_image(lm, fr, [hip_c, hip_c + np.array([0.0, 1.2 * max(knee_len, hip_w_px)])])
    points = {
        "hip": lm.xy[fr.hip].tolist(),
        "knee": lm.xy[fr.knee].tolist(),
        "ankle": lm.xy[fr.ankle].tolist(),
        "other_hip": lm.xy[fr.other_hip].tolist(),
        "other_knee": lm.xy[fr.other_knee].tolist(),
        "midline": [mid[0].tolist(), mid[1].tolist()],
        "outwards": _to_image(lm, fr, [hip_c, hip_c + np.array([1.0, 0.0])])[1].tolist(),
    }
    vis = {k: round(float(lm.visibility[i]), 3) for k, i in used.items()}
    # where the camera stood: the elevation the thigh shows decides (the layout guess is a first look)
    if elev <= lo:
        place = "foot_end"
    elif elev >= hi:
        place = "above"
    else:
        place = "foot_end" if elev - lo < hi - elev else "above"
    return FrontMeasurement(
        side=tested_side, place=place, thigh_abduction_deg=abd, shank_deviation_deg=dev,
        thigh_abduction_uncertainty_deg=float(u_abd), shank_deviation_uncertainty_deg=float(u_dev),
        camera_elevation_deg=elev, confidence=confidence, flags=tuple(flags), points=points, visibility=vis,
    )


# ------------------------------------------------------------------------------ two views
@dataclass(frozen=True)
class Corrected:
    """Side-view angles corrected with the front view's 3-D thigh and shank (degrees).

    ``thigh_angle_deg``: the thigh's own slope below the horizontal (+ = knee below the hip),
    not its shadow on the sagittal plane; ``knee_flexion_deg``: the angle between thigh and
    shank in 3-D (0 = straight). A side photo sees both only as projected on the body's plane:
    an abducted thigh looks steeper than it is, and a shank swung in or out changes the knee
    angle seen.
    """

    thigh_angle_deg: float
    knee_flexion_deg: float

    def to_dict(self) -> dict:
        return {"thigh_angle_corrected_deg": round(float(self.thigh_angle_deg), 1),
                "knee_flexion_corrected_deg": round(float(self.knee_flexion_deg), 1)}


def leg_in_3d(thigh_angle_deg: float, knee_flexion_deg: float, abduction_deg: float,
              shank_deviation_deg: float) -> tuple[np.ndarray, np.ndarray]:
    """Unit thigh and shank vectors from the side view's (sagittal) angles and the front view's.

    Frame: x towards the feet along the table, y up, z outwards (away from the midline).
    The side view fixes each segment's direction within the sagittal plane, the front view how
    far it leaves it: the thigh by its abduction, the shank by its deviation seen from the foot end.

    >>> t, s = leg_in_3d(0.0, 90.0, 0.0, 0.0)
    >>> np.round(t, 6).tolist(), np.round(s, 6).tolist()
    ([1.0, -0.0, 0.0], [0.0, -1.0, 0.0])
    """
    th, a = np.radians(thigh_angle_deg), np.radians(abduction_deg)
    t = np.array([np.cos(a) * np.cos(th), -np.cos(a) * np.sin(th), np.sin(a)])
    phi = th + np.radians(knee_flexion_deg)  # the shank's projection, below the horizontal
    sx, sy = np.cos(phi), -np.sin(phi)
    if -sy > 1e-6:  # shank pointing down: its sideways part from the deviation seen from the foot end
        sz = np.tan(np.radians(shank_deviation_deg)) * (-sy)
    else:
        sz = 0.0
    s = np.array([sx, sy, sz])
    return t, s / np.linalg.norm(s)


def correct_side_angles(thigh_angle_deg: float, knee_flexion_deg: float, front: FrontMeasurement) -> Corrected:
    """The side view's thigh angle and knee flexion corrected for the abduction and rotation the
    front view of the same position shows (:class:`Corrected`).

    >>> round(correct_side_angles(10.0, 90.0, _fm(0.0, 0.0)).thigh_angle_deg, 6)
    10.0
    >>> c = correct_side_angles(20.0, 90.0, _fm(20.0, 0.0))
    >>> round(c.thigh_angle_deg, 2)   # asin(cos 20 x sin 20): less steep than its shadow
    18.75
    """
    t, s = leg_in_3d(thigh_angle_deg, knee_flexion_deg, front.thigh_abduction_deg, front.shank_deviation_deg)
    thigh = float(np.degrees(np.arcsin(np.clip(-t[1], -1, 1))))
    knee = float(np.degrees(np.arccos(np.clip(t @ s, -1, 1))))
    return Corrected(thigh, knee)


def _fm(abduction: float, deviation: float) -> FrontMeasurement:
    """A bare front measurement (doctests)."""
    return FrontMeasurement("right", "foot_end", abduction, deviation, 3.0, 4.0, 5.0, 0.9)

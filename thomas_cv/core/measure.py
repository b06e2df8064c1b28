"""From landmarks to the Thomas-test angles and quality flags. Pure: numpy only.

Angles (degrees), as defined in docs/thomas_test.md, all measured against the horizontal reference
``horizon_deg`` (the angle a level line makes with the image x axis, counter-clockwise on
screen positive; 0 = the image's x axis):

- ``thigh_angle_deg``: hip->knee of the tested (hanging) leg against the horizontal,
  **positive when the knee is below the hip**. 0 = parallel, +10 optimal, negative =
  thigh raised (short iliopsoas).
- ``knee_flexion_deg``: 180 minus the inner angle hip-knee-ankle; 0 = straight leg.
- ``knee_inner_angle_deg``: the inner angle hip-knee-ankle itself (180 = straight).
- ``hip_extension_to_trunk_deg``: angle between the trunk line (shoulder centre -> hip
  centre) continued past the hip and the tested thigh; positive = thigh behind the trunk
  line. Independent of the horizon.
- ``hugged_hip_flexion_deg``: angle between the same continued trunk line and the hugged
  thigh; positive = knee drawn towards the chest. Independent of the horizon.
- ``trunk_angle_deg``: trunk line against the horizontal, positive when the shoulders lie
  above the hips (head raised).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Optional

import numpy as np

from . import constants as C
from .errors import LandmarkNotVisibleError, NotTestPositionError
from .geometry import (
    inner_angle,
    segment_angle_below_horizontal,
    signed_angle,
    to_canonical,
)
from .landmarks import LEG, SHOULDER, Landmarks, PoseLandmark, other_side

SIDES = ("left", "right")


@dataclass(frozen=True)
class Flag:
    """A quality warning: a stable snake_case ``code`` and a sentence for people."""

    code: str
    message: str

    def to_dict(self) -> dict:
        return {"code": self.code, "message": self.message}


FLAG_MESSAGES = {
    "hugged_knee_not_drawn_up": "The other knee is not drawn up to the chest enough "
    "({value:.0f} deg hip flexion, want at least {limit:.0f}): the pelvis may not be flat, "
    "so the thigh angle can read too high.",
    "trunk_not_flat": "The trunk is not flat on the table ({value:.0f} deg from the "
    "horizontal reference): check the back lies flat and the horizontal reference is right.",
    "landmark_not_visible": "Some joints are hard to see ({value}): angles near them are less sure.",
    "person_not_lying": "The person does not seem to lie down ({value:.0f} deg trunk tilt): "
    "the Thomas test is done lying on the back.",
    "image_too_small": "The person is small in the image ({value:.0f} px trunk): move closer "
    "or use a higher resolution.",
    "not_side_view": "This does not look like a side view (hips {value:.2f} trunk lengths "
    "apart or thigh foreshortened): photograph perpendicular to the tested leg.",
    "far_side_view": "The hanging leg seems to be the one further from the camera: "
    "photograph from the side of the tested leg for the most reliable angles.",
    "horizon_from_image": "No table edge was found, so the horizontal reference is the image's "
    "x axis: keep the camera level, or give the table edge (--horizon X1,Y1,X2,Y2) or the camera roll.",
    "oblique_view": "The camera was about {value:.0f} deg from square to the body (the table's "
    "long edges converge): the angles are corrected for perspective but less sure. Photograph "
    "square to the tested side.",
    "low_confidence": "Confidence is low ({value:.2f}): findings are not assessed.",
    "side_overridden": "The tested side was set by hand to {value}, but the {other} leg "
    "hangs lower: check the side.",
}


def make_flag(code: str, **values) -> Flag:
    return Flag(code, FLAG_MESSAGES[code].format(**values))


@dataclass(frozen=True)
class Measurement:
    """The Thomas-test angles of one image, with the evidence they came from.

    Degrees throughout; conventions in the module docstring. ``points`` holds the pixel
    positions (original image coordinates) of the joints used, for the overlay.
    """

    side: str
    head_towards: str
    thigh_angle_deg: float
    knee_flexion_deg: float
    knee_inner_angle_deg: float
    hip_extension_to_trunk_deg: float
    hugged_hip_flexion_deg: float
    trunk_angle_deg: float
    horizon_deg: float
    horizon_source: str
    confidence: float
    thigh_angle_uncertainty_deg: float
    knee_flexion_uncertainty_deg: float
    visibility: dict = field(default_factory=dict)
    flags: tuple = ()
    points: dict = field(default_factory=dict)
    flip_delta_thigh_deg: Optional[float] = None
    flip_delta_knee_deg: Optional[float] = None
    view_yaw_deg: Optional[float] = None
    #: shank (knee -> ankle) against the horizontal, positive when the ankle hangs below the
    #: knee (90 = straight down); for the test-position check (thomas_cv.core.validity)
    shank_angle_deg: Optional[float] = None
    #: BlazePose's labels of the hanging leg's hip/knee and of the ankle paired with it
    #: (which leg hangs, for combining several looks: thomas_cv.core.fusion)
    leg_labels: Optional[tuple] = None
    #: another look at the same photo saw something else (another leg or side) and was
    #: discarded (thomas_cv.core.fusion): the uncertainty is widened
    looks_disagreed: bool = False
    #: how far the camera looks down (deg, + = down, 0 = level), from the vanishing point of the
    #: table's vertical lines (thomas_cv.vision.table); None when they were not found
    view_pitch_deg: Optional[float] = None
    #: the camera's distance to the body in trunk lengths (focal length in pixels over the trunk's
    #: length in pixels, shoulder centre -> hip centre, pinhole camera): near cameras (wide-angle
    #: lenses) show the leg's depth as perspective; None when the focal length is unknown
    camera_distance_trunks: Optional[float] = None
    #: proportions seen in the (levelled, square) image, in trunk lengths: ``thigh`` and
    #: ``shank`` (the hanging leg's segments), ``hip_dx``/``hip_dy`` and ``shoulder_dx``/
    #: ``shoulder_dy`` (hanging-leg-side joint minus the other one; x towards the feet, y down),
    #: ``near_side_drop``: how far the near side's hip and shoulder lie below the far side's
    #: (mean of the two pairs): a camera looking down by p shows about their spacing x sin p
    proportions: dict = field(default_factory=dict)

    @property
    def flag_codes(self) -> list[str]:
        return [f.code for f in self.flags]

    def to_dict(self) -> dict:
        r = lambda v: round(float(v), 1)  # noqa: E731 - degrees to 0.1
        return {
            "side": self.side,
            "head_towards": self.head_towards,
            "thigh_angle_deg": r(self.thigh_angle_deg),
            "knee_flexion_deg": r(self.knee_flexion_deg),
            "knee_inner_angle_deg": r(self.knee_inner_angle_deg),
            "hip_extension_to_trunk_deg": r(self.hip_extension_to_trunk_deg),
            "hugged_hip_flexion_deg": r(self.hugged_hip_flexion_deg),
            "trunk_angle_deg": r(self.trunk_angle_deg),
            "horizon_deg": r(self.horizon_deg),
            "horizon_source": self.horizon_source,
            "view_yaw_deg": None if self.view_yaw_deg is None else r(self.view_yaw_deg),
            "thigh_angle_uncertainty_deg": r(self.thigh_angle_uncertainty_deg),
            "knee_flexion_uncertainty_deg": r(self.knee_flexion_uncertainty_deg),
            "confidence": round(float(self.confidence), 2),
            "flags": self.flag_codes,
            "flip_delta_thigh_deg": None if self.flip_delta_thigh_deg is None else r(self.flip_delta_thigh_deg),
            "flip_delta_knee_deg": None if self.flip_delta_knee_deg is None else r(self.flip_delta_knee_deg),
            "looks_disagreed": self.looks_disagreed,
            "view_pitch_deg": None if self.view_pitch_deg is None else r(self.view_pitch_deg),
            "camera_distance_trunks": (None if self.camera_distance_trunks is None
                                       else round(float(self.camera_distance_trunks), 2)),
            "proportions": {k: round(float(v), 3) for k, v in self.proportions.items()},
        }


#: segments shorter than this (pixels) have no direction: joints on top of each other
MIN_SEGMENT_PX = 1e-3


def _too_short(v: np.ndarray) -> bool:
    """True for a segment too short to have a direction (also guards against denormals,
    whose length underflows to 0)."""
    return not float(np.hypot(v[0], v[1])) > MIN_SEGMENT_PX


def _hip_flexion(trunk_dir: np.ndarray, hip: np.ndarray, knee: np.ndarray) -> float:
    """Hip flexion relative to the continued trunk line, canonical frame (deg, + = flexion)."""
    return -signed_angle(trunk_dir, knee - hip)


@dataclass(frozen=True)
class _Leg:
    label: str  # BlazePose's label of the knee
    hip: np.ndarray
    knee: np.ndarray
    ankle: np.ndarray
    flexion: float  # hip flexion relative to the continued trunk line


def measure(
    lm: Landmarks,
    *,
    side: Optional[str] = None,
    horizon_deg: float = 0.0,
    horizon_source: str = "image",
    in_picture: Optional[np.ndarray] = None,
) -> Measurement:
    """Measure the Thomas test from one person's landmarks.

    The tested leg is the hanging one: the leg whose hip is far less flexed relative to the
    trunk, whatever BlazePose calls it. ``side`` ("left"/"right") overrides the side label
    reported. Raises :class:`NotTestPositionError` if the person does not lie down, and
    :class:`LandmarkNotVisibleError` if the joints cannot be placed at all. ``in_picture``:
    (33,) booleans, which landmarks lie inside the photo (default: inside ``lm.image_size``;
    given when ``lm`` has been re-projected, e.g. square to the body plane).
    """
    if side is not None and side not in SIDES:
        raise ValueError(f"side must be 'left' or 'right', got {side!r}")
    P = PoseLandmark
    needed = [P.LEFT_SHOULDER, P.RIGHT_SHOULDER, *LEG["left"], *LEG["right"]]
    _require_finite(lm, needed)
    vis = {p.name.lower(): round(lm.vis(p), 3) for p in needed}
    # Level only (no mirroring yet) to find where the head lies.
    lvl = to_canonical(lm.xy, horizon_deg, head_right=False)
    sh_mid = (lvl[P.LEFT_SHOULDER] + lvl[P.RIGHT_SHOULDER]) / 2
    hip_mid = (lvl[P.LEFT_HIP] + lvl[P.RIGHT_HIP]) / 2
    head_right = bool(sh_mid[0] > hip_mid[0])
    can = to_canonical(lm.xy, horizon_deg, head_right=head_right)
    sh_mid = (can[P.LEFT_SHOULDER] + can[P.RIGHT_SHOULDER]) / 2
    hip_mid = (can[P.LEFT_HIP] + can[P.RIGHT_HIP]) / 2
    trunk = hip_mid - sh_mid
    trunk_len = float(np.linalg.norm(trunk))
    if trunk_len < 1e-6:
        raise LandmarkNotVisibleError(
            "Shoulders and hips fall on the same point: the trunk cannot be placed. "
            "Use a side photo showing the whole body."
        )
    # trunk angle: + when shoulders above hips (canonical: head left, so trunk points right)
    trunk_angle = segment_angle_below_horizontal(sh_mid, hip_mid)
    if abs(trunk_angle) > C.LYING_TRUNK_TILT_MAX_DEG:
        raise NotTestPositionError(
            f"The person does not seem to lie down (trunk {abs(trunk_angle):.0f} deg from the "
            "horizontal): the Thomas test is measured lying on the back at the table end."
        )

    # --- pick the hanging leg by geometry, not by BlazePose's labels ----------------------
    legs = []
    for s in SIDES:
        hip_i, knee_i, _ = LEG[s]
        hip, knee = can[hip_i], can[knee_i]
        if _too_short(knee - hip):
            continue
        legs.append((s, hip, knee, _hip_flexion(trunk, hip, knee)))
    if len(legs) < 2:
        raise LandmarkNotVisibleError(
            "A hip and knee fall on the same point: the legs cannot be told apart. "
            "Use a side photo showing both legs."
        )
    legs.sort(key=lambda t: t[3])
    (t_label, t_hip, t_knee, t_flex), (h_label, h_hip, h_knee, h_flex) = legs
    # Ankles: pair each knee with the nearer ankle (guards against swapped ankle labels).
    a_same, a_other = can[LEG[t_label][2]], can[LEG[h_label][2]]
    if (np.linalg.norm(a_same - t_knee) + np.linalg.norm(a_other - h_knee)) <= (
        np.linalg.norm(a_other - t_knee) + np.linalg.norm(a_same - h_knee)
    ):
        t_ankle, t_ankle_label = a_same, t_label
    else:
        t_ankle, t_ankle_label = a_other, h_label

    # --- side: the photographed (near) side of a supine person --------------------------
    # Lying on the back, face up, head towards image left, the camera sees the person's
    # right side (right = anterior x superior points at the camera). The hanging leg is on
    # the near side unless depth says it is further away than the hugged leg.
    near_side = "left" if head_right else "right"
    flags: list[Flag] = []
    far = False
    if lm.depth is not None:
        dz = float(lm.depth[LEG[t_label][1]] - lm.depth[LEG[h_label][1]])
        far = dz > 0.05  # hanging knee clearly behind the hugged knee
    tested_side = other_side(near_side) if far else near_side
    if far:
        flags.append(make_flag("far_side_view"))
    if side is not None:
        if side != tested_side:
            flags.append(make_flag("side_overridden", value=side, other=tested_side))
        tested_side = side

    # --- angles -----------------------------------------------------------------------------
    if _too_short(t_ankle - t_knee):
        raise LandmarkNotVisibleError(
            "The knee and ankle of the hanging leg fall on the same point: the knee angle "
            "cannot be measured. Make sure the lower leg is in the picture."
        )
    thigh = segment_angle_below_horizontal(t_hip, t_knee)
    shank = segment_angle_below_horizontal(t_knee, t_ankle)
    inner = inner_angle(t_hip, t_knee, t_ankle)
    hip_ext = -t_flex
    hug_flex = h_flex

    # --- quality flags ------------------------------------------------------------------------
    if hug_flex < C.HUGGED_HIP_FLEXION_MIN_DEG:
        flags.append(make_flag("hugged_knee_not_drawn_up", value=hug_flex, limit=C.HUGGED_HIP_FLEXION_MIN_DEG))
    if abs(trunk_angle) > C.TRUNK_TILT_MAX_DEG:
        flags.append(make_flag("trunk_not_flat", value=abs(trunk_angle)))
    used = {
        "hip": LEG[t_label][0],
        "knee": LEG[t_label][1],
        "ankle": LEG[t_ankle_label][2],
        "shoulder": SHOULDER[tested_side],
    }
    # A joint placed outside the picture is a guess, however confident the model is
    # (BlazePose extrapolates legs cut off by the frame edge): no measurement from it.
    if in_picture is None:
        in_picture = lm.inside()
    outside = [k for k in ("hip", "knee", "ankle") if not in_picture[used[k]]]
    if outside:
        raise LandmarkNotVisibleError(
            f"The {' and '.join(outside)} of the hanging leg {'is' if len(outside) == 1 else 'are'} outside the "
            "picture: take the photo from further away so that the whole leg, foot included, is in view."
        )
    low = sorted(k for k, p in used.items() if lm.vis(p) < C.MIN_VISIBILITY)
    if low:
        flags.append(make_flag("landmark_not_visible", value=", ".join(low)))
    if trunk_len < C.MIN_IMAGE_SIDE_PX / 2:
        flags.append(make_flag("image_too_small", value=trunk_len))
    hip_sep = float(np.linalg.norm(can[P.LEFT_HIP] - can[P.RIGHT_HIP])) / trunk_len
    thigh_ratio = float(np.linalg.norm(t_knee - t_hip)) / trunk_len
    side_view_penalty = 1.0
    if hip_sep > C.SIDE_VIEW_MAX_HIP_SEPARATION or thigh_ratio < C.SIDE_VIEW_MIN_THIGH_TO_TRUNK:
        flags.append(make_flag("not_side_view", value=hip_sep))
        side_view_penalty = 0.6
    if horizon_source == "image_fallback":
        flags.append(make_flag("horizon_from_image"))

    key_vis = [lm.vis(p) for p in used.values()]
    confidence = float(np.clip(np.mean(key_vis) * side_view_penalty * (0.8 if far else 1.0), 0, 1))
    if confidence < C.MIN_CONFIDENCE:
        flags.append(make_flag("low_confidence", value=confidence))

    sh_t, sh_h = (SHOULDER[s_] for s_ in (t_label, h_label))
    proportions = {
        "thigh": float(np.linalg.norm(t_knee - t_hip)) / trunk_len,
        "shank": float(np.linalg.norm(t_ankle - t_knee)) / trunk_len,
        "hip_dx": float(t_hip[0] - h_hip[0]) / trunk_len, "hip_dy": float(t_hip[1] - h_hip[1]) / trunk_len,
        "shoulder_dx": float(can[sh_t][0] - can[sh_h][0]) / trunk_len,
        "shoulder_dy": float(can[sh_t][1] - can[sh_h][1]) / trunk_len,
    }
    # a camera looking down shows the near side's hip and shoulder below the far side's, by
    # about their spacing x sin(pitch): the hanging leg's side is the near one unless far
    drop = (proportions["hip_dy"] + proportions["shoulder_dy"]) / 2
    proportions["near_side_drop"] = -drop if far else drop
    points = {
        "hip": lm.xy[LEG[t_label][0]].tolist(),
        "knee": lm.xy[LEG[t_label][1]].tolist(),
        "ankle": lm.xy[LEG[t_ankle_label][2]].tolist(),
        "hugged_hip": lm.xy[LEG[h_label][0]].tolist(),
        "hugged_knee": lm.xy[LEG[h_label][1]].tolist(),
        "shoulder_centre": ((lm.xy[P.LEFT_SHOULDER] + lm.xy[P.RIGHT_SHOULDER]) / 2).tolist(),
        "hip_centre": ((lm.xy[P.LEFT_HIP] + lm.xy[P.RIGHT_HIP]) / 2).tolist(),
    }
    return Measurement(
        side=tested_side,
        head_towards="right" if head_right else "left",
        thigh_angle_deg=thigh,
        knee_flexion_deg=180.0 - inner,
        knee_inner_angle_deg=inner,
        hip_extension_to_trunk_deg=hip_ext,
        hugged_hip_flexion_deg=hug_flex,
        trunk_angle_deg=trunk_angle,
        horizon_deg=float(horizon_deg),
        horizon_source=horizon_source,
        confidence=confidence,
        thigh_angle_uncertainty_deg=C.DEFAULT_THIGH_UNCERTAINTY_DEG,
        knee_flexion_uncertainty_deg=C.DEFAULT_KNEE_UNCERTAINTY_DEG,
        visibility=vis,
        flags=tuple(flags),
        points=points,
        shank_angle_deg=shank,
        leg_labels=(t_label, t_ankle_label),
        proportions=proportions,
    )


def _require_finite(lm: Landmarks, needed) -> None:
    """A landmark whose visibility (or depth) is not a number cannot be judged: never graded.
    (Regression: a NaN visibility once passed the confidence gate and was graded.)"""
    idx = [int(p) for p in needed]
    bad = [PoseLandmark(i).name.lower() for i in idx if not np.isfinite(lm.visibility[i])]
    if lm.depth is not None:
        bad += [PoseLandmark(i).name.lower() for i in idx if not np.isfinite(lm.depth[i])]
    if bad:
        raise LandmarkNotVisibleError(
            f"The pose model gave no usable value for {', '.join(sorted(set(bad)))}: "
            "these joints cannot be judged. Retake the photo with the whole body clearly in view."
        )


FUSED_ANGLES = ("thigh_angle_deg", "knee_flexion_deg", "hip_extension_to_trunk_deg", "hugged_hip_flexion_deg", "trunk_angle_deg")


def fuse(measurements: list[Measurement]) -> Measurement:
    """One measurement from several of the same pose (test-time flips, video frames): the
    median of each angle, the median confidence; evidence points and flags of the first.
    """
    if not measurements:
        raise ValueError("nothing to fuse")
    first = measurements[0]
    if len(measurements) == 1:
        return first
    med = {k: float(np.median([getattr(m, k) for m in measurements])) for k in FUSED_ANGLES}
    return dataclasses.replace(
        first,
        knee_inner_angle_deg=180.0 - med["knee_flexion_deg"],
        confidence=float(np.median([m.confidence for m in measurements])),
        **med,
    )


def uncertainty_deg(
    flip_delta_thigh: Optional[float],
    flip_delta_knee: Optional[float],
    *,
    view_yaw_deg: Optional[float] = None,
    horizon_from_image: bool = False,
    poor_view: bool = False,
    looks_disagreed: bool = False,
    far_side: bool = False,
    view_pitch_deg: Optional[float] = None,
    camera_distance_trunks: Optional[float] = None,
    thigh_to_trunk: Optional[float] = None,
    near_side_drop: Optional[float] = None,
    k=C,
) -> tuple[float, float]:
    """(thigh, knee) uncertainty in degrees from what is known about one reading.

    A base value, plus a share of how much the mirror-image reading disagreed, plus a fixed
    amount for an oblique camera (beyond ``VIEW_YAW_FLAG_DEG``), when another look at the
    photo disagreed and was discarded (:mod:`thomas_cv.core.fusion`) and when the hanging leg is the
    one further from the camera (far-side view); widened when the horizontal
    is only the image axis (unknown roll) or joints are hard to see. ``k`` holds the
    constants (``thomas_cv.core.constants``; the calibration script passes trial values).

    What the photo shows of the camera and the leg out of the picture plane (all observable,
    none from a renderer's truth) adds (deg): ``*_UNC_YAW_DEG`` x (yaw / 20 deg)^2 for the
    estimated camera yaw (perspective errors grow with its square), ``*_UNC_VIEW_UNKNOWN_DEG``
    when the yaw could not be estimated (no table lines), ``*_UNC_PITCH_DEG`` x (pitch / 20)^2
    for the camera's downward pitch from the table's verticals, ``*_UNC_NEAR_DEG`` x
    (``UNC_NEAR_REF_TRUNKS`` / distance) for a near camera (a depth d out of the body plane
    shifts a joint by about d / distance: wide-angle lenses), ``*_UNC_DROP_DEG`` per 0.1 trunk
    lengths that the near side's hip and shoulder lie below the far side's (the body's own cue
    of a camera looking down, seen on every photo), and ``*_UNC_SHORT_THIGH_DEG`` per
    0.1 of thigh shortening (thigh / trunk in the image under ``UNC_THIGH_TO_TRUNK``: the thigh
    leaves the picture plane, e.g. drawn out sideways).
    """
    if flip_delta_thigh is None:  # a single reading (no flip, or video frames)
        ut, uk = k.THIGH_UNC_NOFLIP_DEG, k.KNEE_UNC_NOFLIP_DEG
    else:
        ut = k.THIGH_UNC_BASE_DEG + k.THIGH_UNC_PER_FLIP_DELTA * flip_delta_thigh
        uk = k.KNEE_UNC_BASE_DEG + k.KNEE_UNC_PER_FLIP_DELTA * (flip_delta_knee or 0.0)
    if view_yaw_deg is not None and view_yaw_deg > k.VIEW_YAW_FLAG_DEG:
        ut, uk = ut + k.THIGH_UNC_OBLIQUE_DEG, uk + k.KNEE_UNC_OBLIQUE_DEG
    if view_yaw_deg is None:
        ut, uk = ut + k.THIGH_UNC_VIEW_UNKNOWN_DEG, uk + k.KNEE_UNC_VIEW_UNKNOWN_DEG
    else:
        q = (float(view_yaw_deg) / 20.0) ** 2
        ut, uk = ut + k.THIGH_UNC_YAW_DEG * q, uk + k.KNEE_UNC_YAW_DEG * q
    if view_pitch_deg is not None:
        q = (max(float(view_pitch_deg), 0.0) / 20.0) ** 2
        ut, uk = ut + k.THIGH_UNC_PITCH_DEG * q, uk + k.KNEE_UNC_PITCH_DEG * q
    if camera_distance_trunks is not None and camera_distance_trunks > 0:
        q = k.UNC_NEAR_REF_TRUNKS / float(camera_distance_trunks)
        ut, uk = ut + k.THIGH_UNC_NEAR_DEG * q, uk + k.KNEE_UNC_NEAR_DEG * q
    if near_side_drop is not None:
        q = max(0.0, float(near_side_drop)) / 0.1
        ut, uk = ut + k.THIGH_UNC_DROP_DEG * q, uk + k.KNEE_UNC_DROP_DEG * q
    if thigh_to_trunk is not None:
        q = max(0.0, k.UNC_THIGH_TO_TRUNK - float(thigh_to_trunk)) / 0.1
        ut, uk = ut + k.THIGH_UNC_SHORT_THIGH_DEG * q, uk + k.KNEE_UNC_SHORT_THIGH_DEG * q
    if looks_disagreed:
        ut, uk = ut + k.THIGH_UNC_LOOKS_DISAGREE_DEG, uk + k.KNEE_UNC_LOOKS_DISAGREE_DEG
    if far_side:
        ut, uk = ut + k.THIGH_UNC_FAR_SIDE_DEG, uk + k.KNEE_UNC_FAR_SIDE_DEG
    if horizon_from_image:
        ut = float(np.hypot(ut, k.UNKNOWN_ROLL_DEG))
    if poor_view:
        ut, uk = ut * k.POOR_VIEW_UNC_FACTOR, uk * k.POOR_VIEW_UNC_FACTOR
    return float(ut), float(uk)


def uncertainty_cues(m: Measurement) -> dict:
    """The keyword arguments of :func:`uncertainty_deg` for one reading: what the photo shows
    (one place for the measurement and the calibration script)."""
    return dict(
        view_yaw_deg=_finite(m.view_yaw_deg), horizon_from_image=m.horizon_source == "image_fallback",
        poor_view="landmark_not_visible" in m.flag_codes or "not_side_view" in m.flag_codes,
        looks_disagreed=m.looks_disagreed, far_side="far_side_view" in m.flag_codes,
        view_pitch_deg=_finite(m.view_pitch_deg), camera_distance_trunks=_finite(m.camera_distance_trunks),
        thigh_to_trunk=_finite(m.proportions.get("thigh")),
        near_side_drop=_finite(m.proportions.get("near_side_drop")),
    )


def _finite(value) -> Optional[float]:
    """A cue as a number, or None when it is missing or not finite: a cue that could not be
    read counts as not seen, never as a NaN uncertainty (which no gate would catch)."""
    if value is None:
        return None
    value = float(value)
    return value if np.isfinite(value) else None


def with_calibrated_uncertainty(m: Measurement) -> Measurement:
    """Attach per-image uncertainties (deg) to a measurement (:func:`uncertainty_deg`).

    The constants are fitted on the synthetic tuning renders (tools/synth mixed, seeds 10, 14
    and 15) by ``benchmarks/calibrate_uncertainty.py`` so that the true error lies inside the
    value at least 92% of the time there, overall and in every condition group of 20 or more
    photos, and checked once on a fresh reporting seed by ``benchmarks/accuracy.py``.
    """
    ut, uk = uncertainty_deg(m.flip_delta_thigh_deg, m.flip_delta_knee_deg, **uncertainty_cues(m))
    return dataclasses.replace(m, thigh_angle_uncertainty_deg=ut, knee_flexion_uncertainty_deg=uk)


def camera_distance_trunks(m: Measurement, f_px: Optional[float]) -> Optional[float]:
    """The camera's distance to the body in trunk lengths: ``f_px`` (the focal length in
    pixels) over the trunk's length in the image (shoulder centre -> hip centre, pixels), by
    the pinhole camera (an object of length L at distance Z spans f L / Z pixels). A trunk
    turned away from square looks shorter, so an oblique view reads a little further. None
    without a focal length or a trunk.

    >>> from types import SimpleNamespace as NS
    >>> camera_distance_trunks(NS(points={"shoulder_centre": [0, 0], "hip_centre": [300, 0]}), 900.0)
    3.0
    """
    if f_px is None or not np.isfinite(f_px) or f_px <= 0:
        return None
    sh, hc = (np.asarray(m.points[k], float) for k in ("shoulder_centre", "hip_centre"))
    trunk = float(np.linalg.norm(hc - sh))
    if not trunk > 1e-6:
        return None
    return float(f_px) / trunk


def _shank_to_thigh(m: Measurement) -> float:
    hip, knee, ankle = (np.asarray(m.points[k], float) for k in ("hip", "knee", "ankle"))
    return float(np.linalg.norm(ankle - knee) / max(np.linalg.norm(knee - hip), 1e-9))


def more_plausible(a: Measurement, b: Measurement) -> Measurement:
    """Of two readings of the same photo that disagree, the one whose shank-to-thigh length
    ratio is nearer the body's (a misplaced knee or ankle distorts it); when both are about
    as plausible, the one whose joints BlazePose saw better.
    """
    da = abs(np.log(_shank_to_thigh(a) / C.SHANK_TO_THIGH_RATIO))
    db = abs(np.log(_shank_to_thigh(b) / C.SHANK_TO_THIGH_RATIO))
    if abs(da - db) > C.RATIO_DECISIVE_LOG:
        return a if da < db else b
    va, vb = np.mean(list(a.visibility.values())), np.mean(list(b.visibility.values()))
    return a if va >= vb else b

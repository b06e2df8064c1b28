"""From angles to findings: which hip flexors appear short, and how sure that is. Pure.

A measurement aid, not a diagnosis: every reason says what was seen, not what is wrong.
Thresholds live in :mod:`thomas_cv.core.constants` with their sources.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Optional

from . import constants as C
from .front import FrontMeasurement
from .measure import Measurement
from .validity import test_position

MUSCLES = ("iliopsoas", "rectus_femoris", "tfl_itb", "sartorius")
STATUSES = ("normal", "borderline", "short", "not_assessable")
PAIN_SITES = ("hip", "knee")

PASS_NOTE = (
    "If the front of the hip or thigh still feels tight although the test reads normal, "
    "that points to muscle tension or overactivity rather than a short muscle."
)
PAIN_NOTE = (
    "Pain in the {site} in the test position is not a muscle-length finding: rule out a "
    "joint or spine problem first (see a clinician) before reading these angles."
)
DISCLAIMER = "A measurement aid, not a diagnosis."


@dataclass(frozen=True)
class Finding:
    """One muscle's reading: ``status`` is one of ``STATUSES``; ``reason`` in plain words."""

    muscle: str
    status: str
    reason: str

    def to_dict(self) -> dict:
        return {"status": self.status, "reason": self.reason}


def _graded(value: float, cutoff: float, band: float) -> str:
    """'normal' above cutoff+band, 'short' below cutoff-band, else 'borderline'.

    >>> _graded(5.0, 0.0, 3.0), _graded(-5.0, 0.0, 3.0), _graded(1.0, 0.0, 3.0)
    ('normal', 'short', 'borderline')
    """
    if value >= cutoff + band:
        return "normal"
    if value <= cutoff - band:
        return "short"
    return "borderline"


def _iliopsoas(m: Measurement) -> Finding:
    t, band = m.thigh_angle_deg, m.thigh_angle_uncertainty_deg
    status = _graded(t, C.THIGH_NORMAL_MIN_DEG, band)
    where = f"{abs(t):.0f} deg {'below' if t >= 0 else 'above'} the horizontal"
    if status == "normal":
        reason = f"Thigh rests {where} (parallel or lower is normal; about 10 deg below is optimal)."
    elif status == "short":
        reason = f"Thigh is held {where}: the knee sits above the hip line, so the one-joint hip flexors (iliopsoas) appear short."
    else:
        reason = f"Thigh is {where}, within the measurement uncertainty (+/-{band:.0f} deg) of parallel: cannot call it either way."
    if "hugged_knee_not_drawn_up" in m.flag_codes and status != "short":
        reason += " The other knee is not drawn up enough, so the pelvis may not be flat: re-test with it hugged closer."
    return Finding("iliopsoas", status, reason)


def _rectus_femoris(m: Measurement) -> Finding:
    k, band = m.knee_flexion_deg, m.knee_flexion_uncertainty_deg
    status = _graded(k, C.KNEE_FLEXION_NORMAL_MIN_DEG, band)
    if status == "normal":
        reason = f"Knee bends {k:.0f} deg (80 deg or more is normal)."
    elif status == "short":
        clearly = " clearly" if k < C.KNEE_FLEXION_CLEARLY_SHORT_DEG else ""
        reason = f"Knee bends only {k:.0f} deg (under 80): the two-joint hip flexor (rectus femoris) appears{clearly} short."
    else:
        reason = f"Knee bends {k:.0f} deg, within the measurement uncertainty (+/-{band:.0f} deg) of the 80 deg cut-off."
    return Finding("rectus_femoris", status, reason)


def _tfl_itb(m: Measurement) -> Finding:
    return Finding(
        "tfl_itb",
        "not_assessable",
        "Thigh abduction and rotation cannot be seen from the side: a front photo (from the foot "
        "end of the table) would show whether the thigh drifts outwards.",
    )


def _sartorius(m: Measurement) -> Finding:
    return Finding(
        "sartorius",
        "not_assessable",
        "Needs the thigh's abduction and outward rotation, which a side view cannot show: "
        "add a front photo from the foot end of the table.",
    )


def _rotation_words(dev: float) -> str:
    if dev >= C.NOTABLE_ROTATION_DEG:
        return f"the foot swings {dev:.0f} deg outwards (hip turned in)"
    if dev <= -C.NOTABLE_ROTATION_DEG:
        return f"the foot swings {-dev:.0f} deg inwards (hip turned out)"
    return f"the shank hangs about straight down ({dev:+.0f} deg)"


def tfl_itb_from_front(f: FrontMeasurement) -> Finding:
    """TFL / IT band from the front view: the thigh drawn out from the ASIS line (abduction)."""
    a, band = f.thigh_abduction_deg, f.thigh_abduction_uncertainty_deg
    cut = C.TFL_ABDUCTION_CUTOFF_DEG
    status = _graded(cut - a, 0.0, band)  # normal when well under the cut-off
    turn = _rotation_words(f.shank_deviation_deg)
    if status == "normal":
        reason = f"The thigh hangs {a:.0f} deg from the midline (under {cut:.0f} deg is normal); {turn}."
    elif status == "short":
        reason = (f"The thigh is drawn {a:.0f} deg out from the midline (the kneecap lies outside the line "
                  f"from the front of the pelvis): the TFL / IT band appears short; {turn}.")
    else:
        reason = (f"The thigh hangs {a:.0f} deg from the midline, within the measurement uncertainty "
                  f"(+/-{band:.0f} deg) of the {cut:.0f} deg cut-off: cannot call it either way.")
    return Finding("tfl_itb", status, reason)


def sartorius_from_front(f: FrontMeasurement) -> Finding:
    """Sartorius: the thigh abducted AND turned out (the shank swung inwards), knee bent."""
    a, ua = f.thigh_abduction_deg, f.thigh_abduction_uncertainty_deg
    d, ud = f.shank_deviation_deg, f.shank_deviation_uncertainty_deg
    abd = _graded(a, C.TFL_ABDUCTION_CUTOFF_DEG, ua)           # "normal" here = clearly abducted
    ext = _graded(-d, C.SARTORIUS_EXTERNAL_ROTATION_DEG, ud)   # "normal" here = clearly turned out
    pattern = f"thigh {a:.0f} deg out from the midline, {_rotation_words(d)}"
    if abd == "normal" and ext == "normal":
        return Finding("sartorius", "short", f"The sartorius pattern shows: {pattern} (abducted and turned out "
                       "with the knee bent): the sartorius appears short.")
    if abd == "short" or ext == "short":
        return Finding("sartorius", "normal", f"No sartorius pattern: {pattern} (it needs the thigh both "
                       f"drawn out past {C.TFL_ABDUCTION_CUTOFF_DEG:.0f} deg and turned out past "
                       f"{C.SARTORIUS_EXTERNAL_ROTATION_DEG:.0f} deg).")
    return Finding("sartorius", "borderline", f"{pattern[0].upper()}{pattern[1:]}: within the measurement uncertainty "
                   "of the sartorius pattern (thigh abducted and turned out): cannot call it either way.")


def interpret_front(f: FrontMeasurement, pain: Optional[str] = None) -> tuple[dict[str, Finding], list[str]]:
    """Findings from a front view alone: TFL / IT band and sartorius; the two flexors measured
    from the side are not assessable without a side photo."""
    if pain is not None and pain not in PAIN_SITES:
        raise ValueError(f"pain must be one of {PAIN_SITES}, got {pain!r}")
    notes: list[str] = []
    if pain is not None:
        reason = PAIN_NOTE.format(site=pain)
        return {mu: Finding(mu, "not_assessable", reason) for mu in MUSCLES}, [reason]
    side_only = ("Needs the side view (thigh angle and knee bend): add a photo taken square to the "
                 "hanging leg from its side.")
    findings = {"iliopsoas": Finding("iliopsoas", "not_assessable", side_only),
                "rectus_femoris": Finding("rectus_femoris", "not_assessable", side_only)}
    if not f.confidence >= C.MIN_CONFIDENCE:
        reason = (f"Confidence {f.confidence:.2f} is too low to judge the front view (joints hard to see): "
                  "retake it from the foot end of the table with both hips and the hanging leg in view.")
        findings.update({mu: Finding(mu, "not_assessable", reason) for mu in ("tfl_itb", "sartorius")})
    else:
        findings["tfl_itb"] = tfl_itb_from_front(f)
        findings["sartorius"] = sartorius_from_front(f)
    return {mu: findings[mu] for mu in MUSCLES}, notes


def interpret(m: Measurement, pain: Optional[str] = None,
              front: Optional[FrontMeasurement] = None) -> tuple[dict[str, Finding], list[str]]:
    """Findings per muscle (keys in ``MUSCLES`` order) and notes for the person; with a
    ``front`` view of the same position, TFL / IT band and sartorius are graded from it.

    ``pain`` ("hip" or "knee") reported in the test position turns every muscle finding
    into ``not_assessable``: a joint problem has to be ruled out first.
    """
    if pain is not None and pain not in PAIN_SITES:
        raise ValueError(f"pain must be one of {PAIN_SITES}, got {pain!r}")
    notes: list[str] = []
    if pain is not None:
        reason = PAIN_NOTE.format(site=pain)
        findings = {mu: Finding(mu, "not_assessable", reason) for mu in MUSCLES}
        notes.append(reason)
        return findings, notes
    # the test-position gate (thomas_cv.core.validity): callers refuse a non-test position before
    # grading; here too nothing is graded unless the position is the test and can be judged
    verdict = test_position(m)
    blocked = verdict.refusal or verdict.not_assessable
    if blocked:
        findings = {mu: Finding(mu, "not_assessable", blocked) for mu in MUSCLES}
        return findings, notes
    if not m.confidence >= C.MIN_CONFIDENCE:  # also NaN: never graded
        reason = (
            f"Confidence {m.confidence:.2f} is too low to judge (joints hard to see or not a "
            "side view): retake the photo from the side with the whole body in view."
        )
        findings = {mu: Finding(mu, "not_assessable", reason) for mu in MUSCLES}
        return findings, notes
    if not all(math.isfinite(v) for v in (m.thigh_angle_uncertainty_deg, m.knee_flexion_uncertainty_deg)):
        reason = "The measurement's uncertainty is not known: not graded."
        findings = {mu: Finding(mu, "not_assessable", reason) for mu in MUSCLES}
        return findings, notes
    findings = {
        "iliopsoas": _iliopsoas(m),
        "rectus_femoris": _rectus_femoris(m),
        "tfl_itb": _tfl_itb(m),
        "sartorius": _sartorius(m),
    }
    if front is not None:
        ff, _ = interpret_front(front)
        findings["tfl_itb"], findings["sartorius"] = ff["tfl_itb"], ff["sartorius"]
    assessed = [f.status for f in findings.values() if f.status != "not_assessable"]
    if assessed and all(s == "normal" for s in assessed):
        notes.append(PASS_NOTE)
    return findings, notes

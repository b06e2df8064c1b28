"""From angles to findings: which hip flexors appear short, and how sure that is. Pure.

A measurement aid, not a diagnosis: every reason says what was seen, not what is wrong.
Thresholds live in :mod:`thomas_cv.constants` with their sources.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Optional

from . import constants as C
from .measure import Measurement

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
        "Thigh abduction and rotation cannot be seen from the side: a photo from the front "
        "or from above the hanging leg would show whether the thigh drifts outwards.",
    )


def _sartorius(m: Measurement) -> Finding:
    return Finding(
        "sartorius",
        "not_assessable",
        "Needs the thigh's abduction and outward rotation, which a side view cannot show: "
        "add a photo from the front or from above.",
    )


def interpret(m: Measurement, pain: Optional[str] = None) -> tuple[dict[str, Finding], list[str]]:
    """Findings per muscle (keys in ``MUSCLES`` order) and notes for the person.

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
    if m.confidence < C.MIN_CONFIDENCE:
        reason = (
            f"Confidence {m.confidence:.2f} is too low to judge (joints hard to see or not a "
            "side view): retake the photo from the side with the whole body in view."
        )
        findings = {mu: Finding(mu, "not_assessable", reason) for mu in MUSCLES}
        return findings, notes
    findings = {
        "iliopsoas": _iliopsoas(m),
        "rectus_femoris": _rectus_femoris(m),
        "tfl_itb": _tfl_itb(m),
        "sartorius": _sartorius(m),
    }
    assessed = [f.status for f in findings.values() if f.status != "not_assessable"]
    if assessed and all(s == "normal" for s in assessed):
        notes.append(PASS_NOTE)
    return findings, notes

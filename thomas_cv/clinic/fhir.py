"""The assessment as FHIR R4 resources: a ``Bundle`` (type ``collection``) with one
``Observation`` per measured side. Angles are components with ``valueQuantity`` in UCUM
``deg``; the body site is the hip joint with its laterality (a SNOMED CT expression).

Codes: SNOMED CT 24136001 |Hip joint structure|, 272741003 |Laterality|, 7771000 |Left| and
24028007 |Right| were checked against published SNOMED CT expressions; the HL7 code systems
(observation-category ``exam``, v3 ObservationInterpretation ``N``/``A``/``IND``) and UCUM
``deg`` are standard. No LOINC code for the Thomas test or its angles could be verified, so the
observation and component codes come from this tool's own code system (:data:`LOCAL_SYSTEM`),
and each such coding carries the extension :data:`UNVERIFIED_EXT` = true: a receiving system
must map them before relying on them.
"""

from __future__ import annotations

from typing import Optional

from .. import __version__
from ..core import constants as C
from ..core.interpret import DISCLAIMER

LOCAL_SYSTEM = "urn:thomas-cv:fhir:codes"
UNVERIFIED_EXT = "urn:thomas-cv:fhir:extension:code-unverified"
UCUM = "http://unitsofmeasure.org"
SNOMED = "http://snomed.info/sct"
V3_INTERP = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"
OBS_CATEGORY = "http://terminology.hl7.org/CodeSystem/observation-category"

LATERALITY = {"left": ("7771000", "Left"), "right": ("24028007", "Right")}
HIP_JOINT = ("24136001", "Hip joint structure")
LATERALITY_ATTR = "272741003"

ANGLES = {
    "thigh_angle_deg": "Thigh angle to the horizontal (+ = knee below hip)",
    "thigh_angle_uncertainty_deg": "Thigh angle uncertainty (about 90% coverage)",
    "knee_flexion_deg": "Knee flexion of the hanging leg (0 = straight)",
    "knee_flexion_uncertainty_deg": "Knee flexion uncertainty (about 90% coverage)",
    "hip_extension_to_trunk_deg": "Hip extension relative to the trunk line",
    "hugged_hip_flexion_deg": "Flexion of the other (hugged) hip",
}
REFERENCE = {
    "thigh_angle_deg": (C.THIGH_NORMAL_MIN_DEG, "0 deg (parallel) or more is normal, about +10 optimal (Kendall et al. 1993)"),
    "knee_flexion_deg": (C.KNEE_FLEXION_NORMAL_MIN_DEG, "80 deg or more is normal (Kendall et al. 1993)"),
}
INTERPRETATION = {"normal": ("N", "Normal"), "short": ("A", "Abnormal"), "borderline": ("IND", "Indeterminate"),
                  "not_assessable": ("IND", "Indeterminate")}


def _local(code: str, display: str) -> dict:
    return {"system": LOCAL_SYSTEM, "code": code, "display": display,
            "extension": [{"url": UNVERIFIED_EXT, "valueBoolean": True}]}


def _deg(v: float) -> dict:
    return {"value": round(float(v), 1), "unit": "deg", "system": UCUM, "code": "deg"}


def body_site(side: str) -> dict:
    """The hip joint with its laterality, as one post-coordinated SNOMED CT expression.

    >>> body_site("left")["coding"][0]["code"]
    '24136001:272741003=7771000'
    """
    lat, lat_name = LATERALITY[side]
    return {"coding": [{"system": SNOMED, "code": f"{HIP_JOINT[0]}:{LATERALITY_ATTR}={lat}",
                        "display": f"{HIP_JOINT[1]}, {lat_name.lower()}"}],
            "text": f"{side} hip"}


def observation(doc: dict, side: str) -> Optional[dict]:
    """One side of an assessment document (``Assessment.to_dict()``) as an Observation, or
    None when that side was not measured."""
    res = (doc.get("sides") or {}).get(side)
    if not res or not res.get("ok"):
        return None
    comps = []
    for key, text in ANGLES.items():
        if res.get(key) is None:
            continue
        c = {"code": {"coding": [_local(key, text)], "text": text}, "valueQuantity": _deg(res[key])}
        if key in REFERENCE:
            low, rtext = REFERENCE[key]
            c["referenceRange"] = [{"low": _deg(low), "text": rtext}]
        comps.append(c)
    for mu, f in ((doc.get("findings") or {}).get(side) or {}).items():
        code, disp = INTERPRETATION[f["status"]]
        comps.append({
            "code": {"coding": [_local(f"finding_{mu}", f"Thomas test finding: {mu}")], "text": f"{mu} finding"},
            "valueString": f"{f['status']}: {f['reason']}"[:1000],
            "interpretation": [{"coding": [{"system": V3_INTERP, "code": code, "display": disp}]}],
        })
    notes = [DISCLAIMER]
    if res.get("corrected"):
        notes.append("Points were corrected by hand; the model's own reading is kept in the assessment document.")
    if res.get("front_corrected"):
        notes.append("The front photo's points were placed by hand; the model's own front reading is kept in the "
                     "assessment document.")
    notes += [f"Flag: {fl}" for fl in res.get("flags") or []]
    obs = {
        "resourceType": "Observation",
        "status": "final",
        "category": [{"coding": [{"system": OBS_CATEGORY, "code": "exam", "display": "Exam"}]}],
        "code": {"coding": [_local("thomas_test", "Modified Thomas test, photo measurement")],
                 "text": "Modified Thomas test (hip flexor length), photo measurement"},
        "bodySite": body_site(side),
        "method": {"text": f"Side-view photo, pose landmarks (thomas-cv {__version__})"
                           + (", points corrected by hand" if res.get("corrected") else "")},
        "component": comps,
        "note": [{"text": n} for n in notes],
    }
    if doc.get("date"):
        obs["effectiveDateTime"] = doc["date"]
    if doc.get("person"):
        obs["subject"] = {"identifier": {"value": str(doc["person"])}, "display": str(doc["person"])}
    return obs


def to_bundle(assessment) -> dict:
    """The assessment (object or ``to_dict()``) as a FHIR R4 ``Bundle`` of type collection."""
    doc = assessment if isinstance(assessment, dict) else assessment.to_dict()
    entries = [{"resource": o} for o in (observation(doc, s) for s in ("left", "right")) if o is not None]
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}

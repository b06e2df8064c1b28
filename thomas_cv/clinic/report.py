"""The assessment report, as a PDF (reportlab, no system dependencies) and as the same
content in one self-contained HTML page (images inlined as ``data:`` URIs, no external
files or requests). Both are built from one :func:`report_content`, so they cannot drift.

Faces are blurred in the overlays by default (``blur_faces=False`` keeps them sharp).
"""

from __future__ import annotations

import base64
import html
import io
from typing import Optional
from xml.sax.saxutils import escape as _xml

from .. import __version__
from ..core import constants as C
from ..core.interpret import DISCLAIMER, MUSCLES
from ..vision.overlay import SHOW_YAW_DEG
from .assessment import ANGLE_LABELS, MUSCLE_LABELS, SIDES, Assessment

TITLE = "Thomas test assessment"
NOT_A_DIAGNOSIS = ("thomas-cv is a measurement aid, not a diagnosis: the angles and findings support a "
                   "clinician's judgement and do not replace it.")

#: the norms the findings use, with their sources (shown in every report)
NORMS = (
    ("Thigh angle", f"{C.THIGH_NORMAL_MIN_DEG:.0f} deg (thigh parallel to the table) or more (knee below the hip) "
     f"is normal, about +{C.THIGH_OPTIMAL_DEG:.0f} deg optimal; a raised thigh (negative) means short one-joint "
     "hip flexors (iliopsoas).",
     "Kendall et al. 1993, Muscles: Testing and Function; common clinical write-ups"),
    ("Knee flexion", f"{C.KNEE_FLEXION_NORMAL_MIN_DEG:.0f} deg or more is normal; less means a short rectus "
     f"femoris, clearly short below {C.KNEE_FLEXION_CLEARLY_SHORT_DEG:.0f} deg.",
     "Kendall et al. 1993; BMC Sports Sci Med Rehabil 2021 (s13102-021-00242-y), table 4"),
    ("Test position", f"The other knee drawn up to at least {C.HUGGED_HIP_FLEXION_MIN_DEG:.0f} deg hip flexion "
     "so the pelvis is flat; otherwise the thigh angle reads too high.",
     "project choice; Vigotsky et al. 2016 (PMC4991856) on pelvic tilt"),
    ("Borderline", "A value within its uncertainty of a cut-off is called borderline, not normal or short.",
     "project rule; uncertainties calibrated on synthetic photos (benchmarks/calibrate_uncertainty.py)"),
    ("Front view", f"Thigh abduction under {C.TFL_ABDUCTION_CUTOFF_DEG:.0f} deg is normal; more means a short TFL / "
     f"IT band; abduction past that with the foot swung inwards more than {C.SARTORIUS_EXTERNAL_ROTATION_DEG:.0f} deg "
     "(hip turned out) is the sartorius pattern. Experimental: the pose model often cannot read this view.",
     "BMC Sports Sci Med Rehabil 2021, table 4; Kendall et al. 1993; cut-offs a project choice (constants.py)"),
    ("Left-right", f"Asymmetry when |left - right| > {C.ASYMMETRY_FACTOR:g} x sqrt(u_left^2 + u_right^2).",
     "project rule (thomas_cv/core/constants.py)"),
    ("Measurement error", "Goniometer SEM 11 deg (hip) / 7 deg (knee); clinicians scoring photos SEM 1.0 deg; "
     f"knee flexion re-test MDD95 2.4-4.2 deg (a change must exceed {C.CHANGE_MDD_DEG:.1f} deg plus the tool's error).",
     "Peeler & Anderson 2007/08; Peeler & Leiter 2013; Kim & Ha 2015 (PMC4339157)"),
)

STATUS_HEX = {"normal": "#1a7f37", "short": "#c00000", "borderline": "#a86b00", "not_assessable": "#666666"}

ROWS = (  # (label, value key, uncertainty key, signed)
    ("Thigh angle (+ = knee below hip)", "thigh_angle_deg", "thigh_angle_uncertainty_deg", True),
    ("Knee flexion (0 = straight)", "knee_flexion_deg", "knee_flexion_uncertainty_deg", False),
    ("Knee inner angle", "knee_inner_angle_deg", None, False),
    ("Hip extension to trunk line", "hip_extension_to_trunk_deg", None, True),
    ("Other (hugged) hip flexion", "hugged_hip_flexion_deg", None, False),
)


#: rows of the front view (issue 14), shown when either leg has one
FRONT_ROWS = (
    ("Thigh abduction, front view (+ = knee away from the midline)", "thigh_abduction_deg",
     "thigh_abduction_uncertainty_deg", True),
    ("Shank deviation, front view (+ = foot swung outwards)", "shank_deviation_deg",
     "shank_deviation_uncertainty_deg", True),
    ("Thigh angle in 3-D (side and front)", "thigh_angle_corrected_deg", None, True),
    ("Knee flexion in 3-D (side and front)", "knee_flexion_corrected_deg", None, False),
)


def _fmt(v, u=None, signed=False) -> str:
    if v is None:
        return "-"
    s = f"{v:+.1f}" if signed else f"{v:.1f}"
    return s + (f" +/- {u:.1f}" if u is not None else "") + " deg"


def overlay_jpeg(result, photo=None, blur_faces: bool = True, max_side: int = 900) -> Optional[bytes]:
    """The evidence overlay of ``result`` as JPEG bytes (at most ``max_side`` px). With the
    ``photo`` it was measured on, the overlay is drawn afresh on the photo with the face
    blurred first (labels stay sharp); else the result's own overlay is blurred."""
    if result is None or not result.ok:
        return None
    from ..vision.overlay import draw_overlay
    from ..vision.privacy import blur_faces as _blur

    if photo is not None:
        base = _blur(photo, result.landmarks, result.other_faces) if blur_faces else photo
        img = draw_overlay(base, result.measurement, result.findings, landmarks=result.landmarks)
    elif result.overlay is not None:
        img = result.overlay
        if blur_faces:
            img = _blur(img, result.landmarks, result.other_faces)
    else:
        return None
    return _jpeg(img, max_side)


def _jpeg(img, max_side: int) -> bytes:
    import cv2

    from ..media import encode_image

    h, w = img.shape[:2]
    f = min(1.0, max_side / max(h, w))
    if f < 1.0:
        img = cv2.resize(img, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA)
    return encode_image(img, "JPEG")


def front_overlay_jpeg(result, blur_faces: bool = True, max_side: int = 900) -> Optional[bytes]:
    """The front view's overlay of ``result`` (a side result with a front view) as JPEG bytes,
    the face blurred unless ``blur_faces`` is False."""
    if result is None or not result.ok or result.front_overlay is None:
        return None
    from ..vision.privacy import blur_faces as _blur

    img = _blur(result.front_overlay, result.front_landmarks, result.front_other_faces) if blur_faces \
        else result.front_overlay
    return _jpeg(img, max_side)


def report_content(a: Assessment, *, blur_faces: bool = True) -> dict:
    """Everything the report shows, as plain data (shared by PDF and HTML)."""
    d = a.to_dict()
    sides = {}
    for s in SIDES:
        res = a.side(s)
        entry = {"file": None, "ok": False, "error": None, "image": None, "rows": [], "flags": [], "notes": [],
                 "corrected": False, "model_reading": None, "info": [], "front_image": None, "front_file": None}
        if res is not None:
            rd = res.to_dict()
            entry.update(file=rd["file"], ok=rd["ok"], error=rd["error"], corrected=rd["corrected"],
                         image=overlay_jpeg(res, a.photos.get(s), blur_faces))
            if res.ok:
                entry["rows"] = [(lab, _fmt(rd.get(k), rd.get(uk) if uk else None, sg))
                                 for lab, k, uk, sg in ROWS + FRONT_ROWS]
                entry["flags"] = [f.message for f in res.measurement.flags]
                if res.front is not None:
                    entry["flags"] += [f"front view: {f.message}" for f in res.front.flags]
                if rd.get("front_error"):
                    entry["flags"].append(f"front photo not measured: {rd['front_error']}")
                entry["front_file"] = rd.get("front_file")
                entry["front_image"] = front_overlay_jpeg(res, blur_faces)
                entry["notes"] = list(res.notes)
                ref = rd["horizon_source"].replace("_", " ")
                entry["info"] = [f"horizontal reference: {ref} ({rd['horizon_deg']:+.1f} deg)",
                                 f"confidence {rd['confidence']:.2f}"]
                if rd.get("view_yaw_deg") is not None and rd["view_yaw_deg"] >= SHOW_YAW_DEG:  # no clutter when square
                    entry["info"].append(f"camera {rd['view_yaw_deg']:.0f} deg off square (perspective corrected)")
                if rd.get("front_corrected"):
                    fm = rd.get("front_model_reading") or {}
                    entry["info"].append("front photo: points placed by hand (the model's own front reading: "
                                         + (f"abduction {_fmt(fm.get('thigh_abduction_deg'), signed=True)})"
                                            if fm.get("ok", True) and fm.get("thigh_abduction_deg") is not None
                                            else f"none, {fm.get('error_code') or 'no model'})"))
                mr = rd.get("model_reading")
                if rd["corrected"] and mr:
                    entry["model_reading"] = (
                        f"Model's own reading: thigh {_fmt(mr.get('thigh_angle_deg'), signed=True)}, "
                        f"knee flexion {_fmt(mr.get('knee_flexion_deg'))}" if mr.get("ok", True) and "thigh_angle_deg" in mr
                        else f"Model's own reading failed: {mr.get('error')}")
        sides[s] = entry
    findings = []
    for mu in MUSCLES:
        per = {s: d["findings"][s].get(mu) for s in SIDES}
        if any(per.values()):
            findings.append((MUSCLE_LABELS[mu], {s: per[s] for s in SIDES}))
    comparison = [(MUSCLE_LABELS[c["muscle"]], ANGLE_LABELS.get(c["angle"], c["angle"]), c) for c in d["comparison"]]
    has_front = any(a.side(s) is not None and a.side(s).ok and a.side(s).front is not None for s in SIDES)
    return {"title": TITLE, "person": d["person"] or "(no person ID)", "date": d["date"] or "-",
            "version": __version__, "sides": sides, "rows": ROWS + (FRONT_ROWS if has_front else ()), "findings": findings, "comparison": comparison,
            "follow_ups": d["follow_ups"], "norms": NORMS, "disclaimer": NOT_A_DIAGNOSIS,
            "blurred": blur_faces}


# ------------------------------------------------------------------------------------ PDF


def to_pdf(a: Assessment, *, blur_faces: bool = True) -> bytes:
    """The report as PDF bytes (A4)."""
    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Image, KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    c = report_content(a, blur_faces=blur_faces)
    ss = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=ss["BodyText"], fontSize=8.5, leading=11)
    small = ParagraphStyle("small", parent=body, fontSize=7.5, leading=9.5, textColor=colors.HexColor("#444444"))
    h1 = ParagraphStyle("h1", parent=ss["Heading1"], fontSize=16, spaceAfter=4)
    h2 = ParagraphStyle("h2", parent=ss["Heading2"], fontSize=11.5, spaceBefore=8, spaceAfter=3)
    warn = ParagraphStyle("warn", parent=body, backColor=colors.HexColor("#fff4d6"), borderPadding=4,
                          fontName="Helvetica-Bold")
    P = lambda t, st=body: Paragraph(_xml(str(t)), st)  # noqa: E731
    grid = TableStyle([("GRID", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
                       ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#e8eef5")),
                       ("VALIGN", (0, 0), (-1, -1), "TOP"), ("FONTSIZE", (0, 0), (-1, -1), 8.5)])
    W = A4[0] - 30 * mm
    story = [P(c["title"], h1),
             P(f"Person: {c['person']}    Date: {c['date']}    thomas-cv {c['version']}"),
             Spacer(1, 4), P(c["disclaimer"], warn), Spacer(1, 6)]
    # overlays, side by side
    cells, caps = [], []
    for s in SIDES:
        e = c["sides"][s]
        if e["image"]:
            from PIL import Image as PILImage

            iw, ih = PILImage.open(io.BytesIO(e["image"])).size
            w = W / 2 - 4 * mm
            cells.append(Image(io.BytesIO(e["image"]), width=w, height=w * ih / iw))
        else:
            cells.append(P(f"{s}: not measured" + (f" ({e['error']})" if e["error"] else ""), small))
        caps.append(P(f"{s.capitalize()} leg" + (" (points corrected by hand)" if e["corrected"] else "")
                      + (" - face blurred" if c["blurred"] and e["image"] else ""), small))
    story += [Table([cells, caps], colWidths=[W / 2, W / 2]), Spacer(1, 4)]
    if any(c["sides"][s]["front_image"] for s in SIDES):  # the front views, under their side photos
        cells, caps = [], []
        for s in SIDES:
            e = c["sides"][s]
            if e["front_image"]:
                from PIL import Image as PILImage

                iw, ih = PILImage.open(io.BytesIO(e["front_image"])).size
                w = min(W / 2 - 4 * mm, 70 * mm * iw / ih)
                cells.append(Image(io.BytesIO(e["front_image"]), width=w, height=w * ih / iw))
            else:
                cells.append(P(f"{s}: no front view", small))
            caps.append(P(f"{s.capitalize()} leg from the front" + (" - face blurred" if c["blurred"] and e["front_image"]
                                                                   else ""), small))
        story += [Table([cells, caps], colWidths=[W / 2, W / 2]), Spacer(1, 4)]
    # angles
    story.append(P("Angles (value +/- uncertainty, about 90% coverage)", h2))
    rows = [[P("", body), P("Left", body), P("Right", body)]]
    labels = [lab for lab, *_ in c["rows"]]
    for i, lab in enumerate(labels):
        rows.append([P(lab)] + [P(dict(c["sides"][s]["rows"]).get(lab, "-")) for s in SIDES])
    rows.append([P("Reference, confidence")] + [P("; ".join(c["sides"][s]["info"]) or "-", small) for s in SIDES])
    story.append(Table(rows, colWidths=[W * 0.3, W * 0.35, W * 0.35], style=grid))
    for s in SIDES:
        if c["sides"][s]["model_reading"]:
            story.append(P(f"{s.capitalize()}: {c['sides'][s]['model_reading']}", small))
    # findings
    story.append(P("Findings per muscle", h2))
    rows = [[P("Muscle"), P("Left"), P("Right")]]
    for label, per in c["findings"]:
        rows.append([P(label)] + [Paragraph(
            f"<font color='{STATUS_HEX[per[s]['status']]}'><b>{per[s]['status'].replace('_', ' ').upper()}</b></font>: "
            + _xml(per[s]["reason"]), body) if per[s] else P("-") for s in SIDES])
    story.append(Table(rows, colWidths=[W * 0.2, W * 0.4, W * 0.4], style=grid))
    # comparison
    story.append(P("Left-right comparison", h2))
    rows = [[P("Muscle (angle)"), P("Left - right"), P("Note")]]
    for label, angle, cmp in c["comparison"]:
        diff = "-" if cmp["difference_deg"] is None else f"{cmp['difference_deg']:+.1f} +/- {cmp['uncertainty_deg']:.1f} deg"
        mark = " ASYMMETRY" if cmp["asymmetric"] else ""
        rows.append([P(f"{label} ({angle})"), P(diff + mark), P(cmp["note"], small)])
    story.append(Table(rows, colWidths=[W * 0.28, W * 0.2, W * 0.52], style=grid))
    # validity
    story.append(P("Validity of the photos", h2))
    for s in SIDES:
        e = c["sides"][s]
        msgs = e["flags"] or (["no warnings"] if e["ok"] else [e["error"] or "not measured"])
        story.append(Paragraph(f"<b>{s.capitalize()}:</b> " + _xml(" | ".join(msgs)), body))
    # follow-ups
    story.append(KeepTogether([P("What usually follows", h2)] + [P("- " + t) for t in c["follow_ups"]]))
    # norms
    story.append(P("Norms and their sources", h2))
    rows = [[P("What"), P("Norm"), P("Source")]] + [[P(a_), P(b_, small), P(s_, small)] for a_, b_, s_ in c["norms"]]
    story.append(Table(rows, colWidths=[W * 0.16, W * 0.5, W * 0.34], style=grid))
    story += [Spacer(1, 6), P(c["disclaimer"], warn)]

    def footer(canvas, doc):
        canvas.saveState()
        canvas.setFont("Helvetica", 7)
        canvas.drawString(15 * mm, 8 * mm, f"thomas-cv {c['version']} - {DISCLAIMER}  Person {c['person']}, {c['date']}")
        canvas.drawRightString(A4[0] - 15 * mm, 8 * mm, f"page {doc.page}")
        canvas.restoreState()

    buf = io.BytesIO()
    doc = SimpleDocTemplate(buf, pagesize=A4, leftMargin=15 * mm, rightMargin=15 * mm, topMargin=14 * mm,
                            bottomMargin=14 * mm, title=f"{TITLE}: {c['person']} {c['date']}", author="thomas-cv",
                            subject=DISCLAIMER, invariant=1)
    doc.build(story, onFirstPage=footer, onLaterPages=footer)
    return buf.getvalue()


# ----------------------------------------------------------------------------------- HTML

_CSS = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:60rem;margin:1.5rem auto;padding:0 1rem;color:#222}
h1{margin-bottom:.2rem}h2{margin-top:1.6rem;border-bottom:1px solid #ccc}
.warn{background:#fff4d6;border:1px solid #e8c36a;padding:.5rem .8rem;font-weight:600}
table{border-collapse:collapse;width:100%;font-size:.92rem}td,th{border:1px solid #bbb;padding:.3rem .5rem;vertical-align:top;text-align:left}
th{background:#e8eef5}.imgs{display:flex;gap:1rem}.imgs figure{flex:1;margin:0}.imgs img{width:100%;height:auto}
.small{font-size:.85rem;color:#444}.asym{color:#b00;font-weight:700}
.normal{color:#1a7f37}.short{color:#c00}.borderline{color:#a86b00}.not_assessable{color:#666}
"""


def to_html(a: Assessment, *, blur_faces: bool = True) -> str:
    """The report as one self-contained HTML page (no external resources)."""
    c = report_content(a, blur_faces=blur_faces)
    e_ = html.escape
    out = ["<!doctype html><html lang='en'><head><meta charset='utf-8'>",
           "<meta name='viewport' content='width=device-width, initial-scale=1'>",
           "<meta http-equiv='Content-Security-Policy' content=\"default-src 'none'; img-src data:; style-src 'unsafe-inline'\">",
           f"<title>{e_(TITLE)}: {e_(c['person'])} {e_(c['date'])}</title><style>{_CSS}</style></head><body>",
           f"<h1>{e_(TITLE)}</h1><p>Person: <b>{e_(c['person'])}</b> &nbsp; Date: <b>{e_(c['date'])}</b> &nbsp; "
           f"thomas-cv {e_(c['version'])}</p>", f"<p class='warn'>{e_(c['disclaimer'])}</p>", "<div class='imgs'>"]
    for s in SIDES:
        e = c["sides"][s]
        cap = f"{s.capitalize()} leg" + (" (points corrected by hand)" if e["corrected"] else "") + \
              (" - face blurred" if c["blurred"] and e["image"] else "")
        if e["image"]:
            src = "data:image/jpeg;base64," + base64.b64encode(e["image"]).decode("ascii")
            out.append(f"<figure><img alt='{e_(s)} leg overlay' src='{src}'><figcaption class='small'>{e_(cap)}</figcaption></figure>")
        else:
            out.append(f"<figure><p>{e_(s)}: not measured{(' (' + e_(e['error']) + ')') if e['error'] else ''}</p></figure>")
    out.append("</div>")
    if any(c["sides"][s]["front_image"] for s in SIDES):
        out.append("<div class='imgs'>")
        for s in SIDES:
            e = c["sides"][s]
            if e["front_image"]:
                src = "data:image/jpeg;base64," + base64.b64encode(e["front_image"]).decode("ascii")
                cap = f"{s.capitalize()} leg from the front" + (" - face blurred" if c["blurred"] else "")
                out.append(f"<figure><img alt='{e_(s)} leg front view overlay' src='{src}'>"
                           f"<figcaption class='small'>{e_(cap)}</figcaption></figure>")
            else:
                out.append(f"<figure><p class='small'>{e_(s)}: no front view</p></figure>")
        out.append("</div>")
    out.append("<h2>Angles (value +/- uncertainty, about 90% coverage)</h2><table><tr><th></th><th>Left</th><th>Right</th></tr>")
    for lab, *_ in c["rows"]:
        out.append(f"<tr><td>{e_(lab)}</td>" + "".join(f"<td>{e_(dict(c['sides'][s]['rows']).get(lab, '-'))}</td>" for s in SIDES) + "</tr>")
    out.append("<tr><td>Reference, confidence</td>" + "".join(
        f"<td class='small'>{e_('; '.join(c['sides'][s]['info']) or '-')}</td>" for s in SIDES) + "</tr></table>")
    for s in SIDES:
        if c["sides"][s]["model_reading"]:
            out.append(f"<p class='small'>{e_(s.capitalize())}: {e_(c['sides'][s]['model_reading'])}</p>")
    out.append("<h2>Findings per muscle</h2><table><tr><th>Muscle</th><th>Left</th><th>Right</th></tr>")
    for label, per in c["findings"]:
        cells = "".join(
            f"<td><b class='{e_(per[s]['status'])}'>{e_(per[s]['status'].replace('_', ' ').upper())}</b>: {e_(per[s]['reason'])}</td>"
            if per[s] else "<td>-</td>" for s in SIDES)
        out.append(f"<tr><td>{e_(label)}</td>{cells}</tr>")
    out.append("</table><h2>Left-right comparison</h2><table><tr><th>Muscle (angle)</th><th>Left - right</th><th>Note</th></tr>")
    for label, angle, cmp in c["comparison"]:
        diff = "-" if cmp["difference_deg"] is None else f"{cmp['difference_deg']:+.1f} +/- {cmp['uncertainty_deg']:.1f} deg"
        mark = " <span class='asym'>ASYMMETRY</span>" if cmp["asymmetric"] else ""
        out.append(f"<tr><td>{e_(label)} ({e_(angle)})</td><td>{e_(diff)}{mark}</td><td class='small'>{e_(cmp['note'])}</td></tr>")
    out.append("</table><h2>Validity of the photos</h2><ul>")
    for s in SIDES:
        e = c["sides"][s]
        msgs = e["flags"] or (["no warnings"] if e["ok"] else [e["error"] or "not measured"])
        out.append(f"<li><b>{e_(s.capitalize())}:</b> {e_(' | '.join(msgs))}</li>")
    out.append("</ul><h2>What usually follows</h2><ul>" + "".join(f"<li>{e_(t)}</li>" for t in c["follow_ups"]) + "</ul>")
    out.append("<h2>Norms and their sources</h2><table><tr><th>What</th><th>Norm</th><th>Source</th></tr>")
    out += [f"<tr><td>{e_(w)}</td><td>{e_(n)}</td><td class='small'>{e_(s_)}</td></tr>" for w, n, s_ in c["norms"]]
    out.append(f"</table><p class='warn'>{e_(c['disclaimer'])}</p></body></html>")
    return "\n".join(out)
